// verl rollout / validation dumps: one `{step}.jsonl` per step (inspector.md §3.1, method.md §5.1).
// The classic trainer writes `input, output, gts, score, step` + every key the reward function returned
// (e.g. `perception`, `reasoning`), rows reordered by balance_batch: groups are rebuilt by (step, input).
// The v1 trainer (`trainer.use_v1`, now the default) writes only `input, output, gts, score, step, uid`
// with uid `{sample}_{rollout}_{output}`, sorted by uid, and no reward extras (engines.md): groups are
// the uid's sample part, since one prompt text can be two groups of a step. Python writes NaN / Infinity:
// parsed leniently.

import { parseJsonLines } from '../lenient_json';
import { processKey, textOf, type DraftRollout } from '../record';
import { columnsOf, isRecord, splitColumns, stepFromFileName, toStep, type ImportOptions, type ParsedFile } from './common';

const KNOWN = new Set(['input', 'output', 'gts', 'step', 'uid', 'request_id']);
/** v1 trainer uid: "{sample}_{rollout}_{output}" → group = sample, index = rollout. */
const UID_RE = /^(.+?)_(\d+)_(\d+)$/;

export function verlDrafts(rows: readonly { value: unknown; line: number }[], fileName: string, split: 'train' | 'val'): DraftRollout[] {
  const fileStep = stepFromFileName(fileName) ?? 0;
  const drafts: DraftRollout[] = [];
  for (const { value, line } of rows) {
    if (!isRecord(value)) continue;
    const { rewards, extra } = splitColumns(value, KNOWN);
    if (value.request_id !== undefined) extra.request_id = value.request_id;
    const uid = typeof value.uid === 'string' ? UID_RE.exec(value.uid) : null;
    const prompt = textOf(value.input);
    drafts.push({
      step: toStep(value.step, fileStep),
      // The uid's sample part (a uuid per prompt per batch) is the group; its id is made from the prompt,
      // so the same prompt keeps its group id from step to step (finalizeRollouts tells repeats apart).
      groupKey: uid ? `uid\u0000${uid[1]}` : prompt,
      ...(uid ? { groupName: prompt, sampleIdx: Number(uid[2]) } : {}),
      prompt,
      completion: textOf(value.output),
      groundTruth: value.gts === undefined || value.gts === null ? null : textOf(value.gts),
      rewards,
      advantage: null,
      extra,
      line,
      raw: value,
      split,
    });
  }
  return drafts;
}

/**
 * What a verl dump lacks: a v1 training dump (uid on every line) carries no per-process reward columns,
 * so the run's perception and reasoning rewards are unknown until they are recomputed.
 */
export function verlWarnings(drafts: readonly DraftRollout[]): string[] {
  if (drafts.length === 0 || !drafts.every((d) => isRecord(d.raw) && typeof d.raw.uid === 'string')) return [];
  if (drafts.some((d) => Object.keys(d.rewards).some((k) => processKey(k)))) return [];
  return [
    `verl v1 training dump (uid on every line, no reward extra keys): per-process rewards are missing. ` +
      'Recompute them with the rewards module: "recompute" on the run dashboard, or npm run rollouts -- summary FILES --rescore --judge rules|field:NAME|http.',
  ];
}

export function importVerl(text: string, fileName: string, opts: ImportOptions): ParsedFile {
  const split = opts.split ?? (/(^|[\\/])val[^\\/]*[\\/]/i.test(fileName) ? 'val' : 'train');
  const { values, errors } = parseJsonLines(text);
  const drafts = verlDrafts(values, fileName, split);
  return { format: 'verl', drafts, warnings: [...errors, ...verlWarnings(drafts)], columns: columnsOf(values.map((v) => v.value).filter(isRecord)) };
}
