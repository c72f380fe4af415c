// inspect_ai logs (inspector.md §3.3): `.json` = one EvalLog with `samples[]`; `.eval` = ZIP with
// `header.json` and `samples/{id}_epoch_{epoch}.json` (deflate or zstd members). Mapping: group = sample
// `id`, index = `epoch − 1`, prompt = `input`, completion = `output.completion` (else the last assistant
// message), rewards = `scores[name].value` flattened (dict values as their keys), judge explanation kept.

import { parseLenientJson } from '../lenient_json';
import { processKey, textOf, type DraftRollout, type ProcessBreakdown } from '../record';
import { ImportError, isRecord, type ParsedFile } from './common';
import { readZipEntry, zipEntries } from './zip';

type Json = Record<string, unknown>;

/** Resolves `attachment://<hash>` strings through the sample's attachments map. */
function resolve(value: unknown, attachments: Json): unknown {
  if (typeof value === 'string' && value.startsWith('attachment://')) {
    const hit = attachments[value.slice('attachment://'.length)];
    return typeof hit === 'string' ? hit : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, attachments));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, attachments)]));
  return value;
}

/** Text of message content: a string, or typed parts (text, reasoning, image/video placeholders). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return textOf(content);
  return content
    .map((part) => {
      if (!isRecord(part)) return textOf(part);
      switch (part.type) {
        case 'text':
          return textOf(part.text);
        case 'reasoning':
          return part.redacted ? '[redacted reasoning]' : textOf(part.reasoning);
        case 'image':
        case 'video':
        case 'audio':
          return `[${String(part.type)}]`;
        default:
          return textOf(part.text ?? part.data ?? '');
      }
    })
    .join('\n');
}

function promptText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (Array.isArray(input)) return input.map((m) => (isRecord(m) ? `${String(m.role ?? '')}: ${contentText(m.content)}` : textOf(m))).join('\n');
  return textOf(input);
}

function completionText(sample: Json): string {
  const output = isRecord(sample.output) ? sample.output : {};
  if (typeof output.completion === 'string' && output.completion) return output.completion;
  const choices = Array.isArray(output.choices) ? output.choices : [];
  const first = choices[0];
  if (isRecord(first) && isRecord(first.message)) return contentText(first.message.content);
  const messages = Array.isArray(sample.messages) ? sample.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (isRecord(m) && m.role === 'assistant') return contentText(m.content);
  }
  return '';
}

/** inspect score values: numbers, booleans, "C"/"I"/"P"/"N" grades, or dicts of those. */
function scoreNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const grade = { C: 1, I: 0, P: 0.5, N: 0 }[v];
    if (grade !== undefined) return grade;
    const n = Number(v);
    return v.trim() && Number.isFinite(n) ? n : null;
  }
  return null;
}

export function inspectSampleDraft(sampleIn: Json, file: string, line: number): DraftRollout {
  const attachments = isRecord(sampleIn.attachments) ? sampleIn.attachments : {};
  const sample = resolve({ ...sampleIn, attachments: undefined, events: undefined }, attachments) as Json;
  const rewards: Record<string, number> = {};
  const extra: Record<string, unknown> = {};
  const judged: { perception?: ProcessBreakdown['judge']; reasoning?: ProcessBreakdown['judge'] } = {};
  const scores = isRecord(sample.scores) ? sample.scores : {};
  for (const [name, score] of Object.entries(scores)) {
    if (!isRecord(score)) continue;
    const explanation = typeof score.explanation === 'string' ? score.explanation : undefined;
    const put = (key: string, v: unknown) => {
      const n = scoreNumber(v);
      if (n !== null) rewards[key] = n;
      else extra[`score.${key}`] = v;
      const m = processKey(key);
      if (m && explanation && m.part === 'accuracy') judged[m.process] = { verdict: n ?? undefined, explanation };
    };
    if (isRecord(score.value)) for (const [k, v] of Object.entries(score.value)) put(processKey(k) ? k : `${name}.${k}`, v);
    else put(name, score.value);
    if (explanation) extra[`${name}.explanation`] = explanation;
    if (score.answer !== undefined) extra[`${name}.answer`] = score.answer;
  }
  if (sample.metadata !== undefined) extra.metadata = sample.metadata;
  const id = textOf(sample.id);
  const epoch = typeof sample.epoch === 'number' ? sample.epoch : 1;
  const meta = isRecord(sample.metadata) ? sample.metadata : {};
  const draft: DraftRollout = {
    step: typeof meta.step === 'number' ? meta.step : 0,
    groupKey: id,
    sampleIdx: epoch - 1,
    prompt: promptText(sample.input),
    completion: completionText(sample),
    groundTruth: sample.target === undefined ? null : Array.isArray(sample.target) ? sample.target.map(textOf).join(' | ') : textOf(sample.target),
    rewards,
    advantage: null,
    extra,
    line,
    raw: sample,
    split: 'val',
  };
  for (const process of ['perception', 'reasoning'] as const) {
    const j = judged[process];
    if (!j) continue;
    // Breakdown numbers come from the reward keys in finalizeRollouts; here only the judge's words.
    draft[process] = { judge: j };
  }
  return draft;
}

/** `.json` EvalLog. */
export function importInspectJson(doc: Json, file: string): ParsedFile {
  const samples = Array.isArray(doc.samples) ? doc.samples.filter(isRecord) : [];
  const warnings = samples.length ? [] : [`${file}: the EvalLog has no samples (was it written with --no-log-samples?)`];
  return { format: 'inspect', drafts: samples.map((s, i) => inspectSampleDraft(s, file, i + 1)), warnings, columns: ['id', 'epoch', 'input', 'target', 'output', 'scores', 'metadata'], keepGroupKey: true };
}

/** `.eval` ZIP: every `samples/*.json` member (header.json is optional: absent while a run is in progress). */
export function importInspectEval(bytes: Uint8Array, file: string): ParsedFile {
  const entries = zipEntries(bytes);
  const decoder = new TextDecoder();
  const samples = entries.filter((e) => /^samples\/.+\.json$/.test(e.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (samples.length === 0) throw new ImportError(`${file}: no samples/*.json members`, 'the log may still be running, or samples were not logged');
  const drafts = samples.map((e, i) => {
    const sample = parseLenientJson(decoder.decode(readZipEntry(bytes, e)));
    if (!isRecord(sample)) throw new ImportError(`${file}: ${e.name} is not a sample object`, 'is this an inspect_ai log?');
    return inspectSampleDraft(sample, file, i + 1);
  });
  return { format: 'inspect', drafts, warnings: [], columns: ['id', 'epoch', 'input', 'target', 'output', 'scores', 'metadata'], keepGroupKey: true };
}

export function isEvalLog(doc: unknown): doc is Json {
  return isRecord(doc) && Array.isArray(doc.samples) && ('eval' in doc || 'version' in doc);
}
