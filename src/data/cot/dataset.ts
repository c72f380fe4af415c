// The pipeline over a stored dataset, written as a new dataset of shards: each kept CoT becomes a
// sample whose `output` is the CoT (the SFT target, with observation/process/answer split out as in
// VideoP2R-CoT-162K), each discarded or failed record an issue with its reason, so the dataset's
// progress counts outcomes by reason and a resumed run starts at the first uncommitted record. Also
// the export in the VideoP2R-CoT release's shape. Pure: storage goes through db.ts and writer.ts.

import { stripTag } from '../records';
import type { DataRecord, Frame, ImportIssue, StoredSample } from '../types';
import type { SourceEntry } from '../writer';
import { loadSampleFrames } from '../shard';
import { parseCompletion } from '../../rewards/template';
import type { CotItem, CotOutcome } from './pipeline';
import type { ImagePart } from './prompt';

/** Issue codes of a CoT dataset: one per discard reason, and one for errors. */
export const COT_ISSUE_CODES = { template: 'CotTemplate', answer: 'CotAnswer', judge: 'CotJudge', error: 'CotError' } as const;

/** The stored record of a kept CoT: the source record with the CoT as its SFT output. */
export function cotRecordOf(record: DataRecord, o: CotOutcome): DataRecord {
  const cot = o.cot ?? '';
  const parsed = parseCompletion(cot);
  const out: DataRecord = { ...record, output: cot };
  if (parsed.observation) out.observation = parsed.observation.text.trim();
  if (parsed.think) out.process = parsed.think.text.trim();
  out.answer = parsed.extractedAnswer;
  if (o.verdicts.answerScore !== null) out.reward = o.verdicts.answerScore;
  out.select = true;
  return out;
}

/** The SourceEntry for the dataset writer of one record's outcome, at its source position. */
export function cotEntry(position: number, source: { record: DataRecord | null; frames: Frame[] }, o: CotOutcome, file: string): SourceEntry {
  if (o.status === 'kept' && source.record) return { position, sample: { record: cotRecordOf(source.record, o), frames: source.frames } };
  const code = o.status === 'error' ? COT_ISSUE_CODES.error : COT_ISSUE_CODES[o.reason as keyof typeof COT_ISSUE_CODES] ?? COT_ISSUE_CODES.error;
  const detail =
    o.status === 'error'
      ? o.reason ?? 'error'
      : o.reason === 'template'
        ? `template: ${(o.verdicts.template ?? []).join('; ') || 'does not match'}`
        : o.reason === 'answer'
          ? `answer scored ${o.verdicts.answerScore?.toFixed(3)} < ${o.verdicts.threshold}`
          : `the judge found the observation insufficient${o.verdicts.judgeExplanation ? `: ${o.verdicts.judgeExplanation.slice(0, 300)}` : ''}`;
  const issue: ImportIssue = { code, file, record: position, message: detail, action: 'skipped' };
  if (source.record) issue.problemId = String(source.record.problem_id);
  return { position, issues: [issue] };
}

/** A stored frame as an image for the message; rgba8 frames go through `encode` (the page's canvas). */
export async function frameImages(frames: Frame[], encode?: (frames: Frame[]) => Promise<Frame[]>): Promise<ImagePart[]> {
  let ready = frames;
  if (frames.some((f) => f.encoding === 'rgba8')) {
    if (!encode) throw new Error('raw RGBA frames cannot be sent without an image encoder');
    ready = await encode(frames);
  }
  return ready.map((f) => {
    if (f.encoding === 'rgba8') throw new Error('a frame is still raw RGBA after encoding');
    return { mime: f.encoding, bytes: f.bytes };
  });
}

/** Stored samples from `from` on as pipeline items; each item's frames are loaded once, for the message and the new dataset. */
export async function* storedItems(samples: AsyncIterable<StoredSample>, encode?: (frames: Frame[]) => Promise<Frame[]>): AsyncGenerator<CotItem & { frames: () => Promise<Frame[]> }> {
  for await (const s of samples) {
    let loaded: Promise<Frame[]> | null = null;
    const frames = () => (loaded ??= loadSampleFrames(s.frames));
    yield { index: s.ordinal, record: s.record, frames, images: async () => frameImages(await frames(), encode) };
  }
}

// ---- VideoP2R-CoT export -------------------------------------------------------------------------------

/** One record in the VideoP2R-CoT-162K release's shape (method.md §1.4.1). */
export interface VideoP2RCotRecord {
  problem_id: string | number;
  problem: string;
  data_type: string;
  problem_type: string;
  options: string[];
  solution: string;
  path: string;
  data_source: string;
  observation: string;
  process: string;
  output: string;
  answer: string;
  reward: number | null;
  select: boolean;
}

export function videoP2RCotRecord(r: DataRecord): VideoP2RCotRecord {
  const output = r.output ?? '';
  const parsed = parseCompletion(output);
  const observation = r.observation ?? parsed.observation?.text.trim() ?? '';
  const process = r.process ?? parsed.think?.text.trim() ?? '';
  return {
    problem_id: r.problem_id,
    problem: r.problem,
    data_type: r.data_type,
    problem_type: r.problem_type,
    options: r.options,
    solution: r.solution,
    path: r.path,
    data_source: r.data_source,
    observation: `<observation>${stripTag(observation, 'observation')}</observation>`,
    process: `<think>${stripTag(process, 'think')}</think>`,
    output,
    answer: r.answer ?? parsed.extractedAnswer,
    reward: r.reward ?? null,
    select: r.select ?? true,
  };
}

/** The export as JSON list text, streamed in pieces (a 160k-record list is never one string). */
export async function* videoP2RCotJson(records: AsyncIterable<DataRecord>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const r of records) {
    yield (first ? '\n' : ',\n') + JSON.stringify(videoP2RCotRecord(r));
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/** A stored dataset's samples in order from ordinal `from` (shards before it are not read). */
export async function* samplesFrom(reader: { manifest: { shards: { first: number; count: number }[] }; shard(index: number): Promise<StoredSample[]> }, from: number): AsyncGenerator<StoredSample> {
  for (let i = 0; i < reader.manifest.shards.length; i++) {
    const info = reader.manifest.shards[i];
    if (info.first + info.count <= from) continue;
    const samples = await reader.shard(i);
    for (let k = Math.max(0, from - info.first); k < samples.length; k++) yield samples[k];
  }
}
