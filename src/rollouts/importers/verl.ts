// verl rollout / validation dumps: one `{step}.jsonl` per step (inspector.md §3.1, method.md §5.1).
// Keys `input, output, gts, score, step` + every key the reward function returned (e.g. `perception`,
// `reasoning`), `uid` only in the v1 trainer. Rows are reordered by balance_batch: groups are rebuilt
// by (step, input). Python writes NaN / Infinity: parsed leniently.

import { parseJsonLines } from '../lenient_json';
import { textOf, type DraftRollout } from '../record';
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
      // The uid's sample part is per batch, so it is combined with the prompt to stay a group key.
      groupKey: uid ? `${uid[1]}\u0000${prompt}` : prompt,
      ...(uid ? { sampleIdx: Number(uid[2]) } : {}),
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

export function importVerl(text: string, fileName: string, opts: ImportOptions): ParsedFile {
  const split = opts.split ?? (/(^|[\\/])val[^\\/]*[\\/]/i.test(fileName) ? 'val' : 'train');
  const { values, errors } = parseJsonLines(text);
  return { format: 'verl', drafts: verlDrafts(values, fileName, split), warnings: errors, columns: columnsOf(values.map((v) => v.value).filter(isRecord)) };
}
