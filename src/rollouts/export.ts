// Exports of the filtered rollouts: JSON Lines in the canonical schema (re-importable as 'native'),
// CSV with one column per reward part, and one group as Markdown for an issue report.

import { QUADRANTS, quadrantOf, rawRecord, segmentsOf, type ProcessBreakdown, type Rollout } from './record';

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

export function toCsv(rollouts: readonly Rollout[]): string {
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
      r.runId, r.split, r.step, r.groupId, r.sampleIdx, quadrantOf(r) ?? '',
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

export function groupMarkdown(group: readonly Rollout[]): string {
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
    const q = quadrantOf(r);
    out.push(
      `| ${r.sampleIdx} | ${q ? QUADRANTS.find((x) => x.id === q)!.label : '–'} | ${parts(r.perception)} | ${parts(r.reasoning)} | ${fmt(r.advantages?.perception)} | ${fmt(r.advantages?.reasoning)} | ${fmt(r.advantages?.grpo)} | ${cell(segmentsOf(r.completion).answer ?? '–')} |`,
    );
  }
  for (const r of group) out.push('', `<details><summary>rollout ${r.sampleIdx}</summary>`, '', '```text', fence(r.completion), '```', '', '</details>');
  return out.join('\n') + '\n';
}
