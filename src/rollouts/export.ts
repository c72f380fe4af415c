// Exports of the filtered rollouts: JSON Lines in the canonical schema (re-importable as 'native'),
// CSV with one column per reward part, and one group as Markdown for an issue report.

import { QUADRANTS, quadrantOf, quadrantRule, rawRecord, segmentsOf, type ProcessBreakdown, type QuadrantRule, type Rollout } from './record';

export function toJsonl(rollouts: readonly Rollout[]): string {
  // JSON has no NaN/Infinity: write them as Python does, which our importer reads back.
  return rollouts.map(({ rawRefs, ...r }) => JSON.stringify(rawRefs ? { ...r, raw: rawRecord({ ...r, rawRefs }) } : r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? `\u0000${v}` : v)).replace(/"\\u0000(NaN|-?Infinity)"/g, '$1')).join('\n') + (rollouts.length ? '\n' : '');
}

/** RFC 4180 field: quoted when it holds a comma, quote or newline; a leading =+-@ is neutralised (CSV injection). */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isNaN(v) ? 'NaN' : String(v)) : typeof v === 'string' ? v : JSON.stringify(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const PARTS = ['accuracy', 'format', 'length', 'total'] as const;

/** `rule`: the run's quadrant rule (by default the one these rollouts give). */
export function toCsv(rollouts: readonly Rollout[], rule: QuadrantRule = quadrantRule(rollouts)): string {
  const rewardKeys = [...new Set(rollouts.flatMap((r) => Object.keys(r.rewards)))].sort();
  const header = [
    'run', 'split', 'step', 'group', 'sample', 'quadrant',
    ...PARTS.map((p) => `perception.${p}`), ...PARTS.map((p) => `reasoning.${p}`),
    'adv.perception', 'adv.reasoning', 'adv.grpo', 'advantage',
    ...rewardKeys.map((k) => `rewards.${k}`),
    'ground_truth', 'prompt', 'completion',
  ];
  const lines = [header.map(csvField).join(',')];
  for (const r of rollouts) {
    const row = [
      r.runId, r.split, r.step, r.groupId, r.sampleIdx, quadrantOf(r, rule) ?? '',
      ...PARTS.map((p) => r.perception?.[p]), ...PARTS.map((p) => r.reasoning?.[p]),
      r.advantages?.perception, r.advantages?.reasoning, r.advantages?.grpo, r.advantage,
      ...rewardKeys.map((k) => r.rewards[k]),
      r.groundTruth, r.prompt, r.completion,
    ];
    lines.push(row.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? '–' : Number.isNaN(x) ? 'NaN' : Number.isInteger(x) ? String(x) : x.toFixed(3));
const parts = (b: ProcessBreakdown | null) => (b ? `${fmt(b.total)} (acc ${fmt(b.accuracy)}, fmt ${fmt(b.format)}, len ${fmt(b.length)})` : '–');
/** Text inside a Markdown table cell or fence: pipes escaped, fences broken. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fence = (s: string) => s.replace(/```/g, '`\u200b``');

export function groupMarkdown(group: readonly Rollout[], rule?: QuadrantRule): string {
  if (group.length === 0) return '';
  const r0 = group[0];
  const out = [
    `### Run \`${r0.runId}\` · step ${r0.step} · group \`${r0.groupId}\` (G = ${group.length})`,
    '',
    '**Prompt**',
    '',
    '```text',
    fence(r0.prompt),
    '```',
    '',
    `**Ground truth:** ${cell(r0.groundTruth ?? '–')}`,
    '',
    '| # | quadrant | perception R_P | reasoning R_R | A_P | A_R | A_GRPO | answer |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of group) {
    const q = quadrantOf(r, rule);
    out.push(
      `| ${r.sampleIdx} | ${q ? QUADRANTS.find((x) => x.id === q)!.label : '–'} | ${parts(r.perception)} | ${parts(r.reasoning)} | ${fmt(r.advantages?.perception)} | ${fmt(r.advantages?.reasoning)} | ${fmt(r.advantages?.grpo)} | ${cell(segmentsOf(r.completion).answer ?? '–')} |`,
    );
  }
  for (const r of group) out.push('', `<details><summary>rollout ${r.sampleIdx}</summary>`, '', '```text', fence(r.completion), '```', '', '</details>');
  return out.join('\n') + '\n';
}

/** A run id as a file name: anything but letters, digits, '.', '_' and '-' becomes '_'. */
export function exportFileName(runId: string, ext: string): string {
  const base = runId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 120) || 'run';
  return `${base}.${ext}`;
}

export interface ExportFile {
  name: string;
  text: string;
  type: string;
  count: number;
}

/**
 * The Rollouts page's export of a run (JSON Lines or CSV), filtered to `hits` when a filter is on:
 * the file to download, or why there is none (the run cannot be read, holds nothing, the filter
 * matches nothing, or the text is too large for one string). Never an empty file without a word.
 */
export async function exportRun(
  runId: string,
  kind: 'jsonl' | 'csv',
  hits: readonly { step: number; groupId: string; sampleIdx: number }[] | null,
  load: (runId: string) => Promise<Rollout[]>,
  serialize?: (rollouts: readonly Rollout[]) => string,
  rule?: QuadrantRule,
): Promise<ExportFile | { error: string }> {
  const name = exportFileName(runId, kind);
  let all: Rollout[];
  try {
    all = await load(runId);
  } catch (e) {
    return { error: `${name} not exported: could not read run ${runId}: ${(e as Error)?.message ?? e}` };
  }
  if (all.length === 0) return { error: `${name} not exported: run ${runId} has no stored rollouts (deleted in another tab?)` };
  const keys = hits ? new Set(hits.map((h) => `${h.step}|${h.groupId}|${h.sampleIdx}`)) : null;
  const chosen = keys ? all.filter((r) => keys.has(`${r.step}|${r.groupId}|${r.sampleIdx}`)) : all;
  if (chosen.length === 0) return { error: `${name} not exported: the filter matches none of the run's ${all.length} rollouts` };
  let text: string;
  try {
    text = serialize ? serialize(chosen) : kind === 'jsonl' ? toJsonl(chosen) : toCsv(chosen, rule ?? quadrantRule(all));
  } catch (e) {
    return { error: `${name} not exported: ${(e as Error)?.message ?? e} (${chosen.length} rollouts: filter to fewer and export in parts)` };
  }
  return { name, text, type: kind === 'jsonl' ? 'application/x-ndjson' : 'text/csv', count: chosen.length };
}
