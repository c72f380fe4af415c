// The streaming scoring core behind `npm run score` (and reusable by the browser): two passes over the
// input so that groups need not be contiguous and memory is bounded by (#records × a few numbers).
//
//   pass 1 (scorePass): read every record, score it (judge calls overlap, at most `concurrency` records in
//          flight), keep only its reward terms, token counts, group id and mismatch flag in typed arrays;
//          at the end apply the group length rule and compute every group's advantages.
//   pass 2 (emitPass):  read the input again and emit one JSON line per record, in input order, with the
//          input fields kept plus rewards, advantages, tokens and diagnostics.
//
// The record text is never held beyond the records in flight; per record the table keeps 14 numbers, and
// per group its key string. A bad record (invalid JSON, missing field, unknown problem_type) keeps its
// reason and is emitted at its position with an `error` field (and `raw` when it is not a JSON object).

import { groupDiagnostics, processAdvantages, thinkAnswerMismatch } from './advantages';
import { normalizeOptions } from './judge';
import { applyGroupLengthRule, groupKey, scoreRollout, validateRecord, type ScoreContext } from './score';
import { parseCompletion } from './template';
import type { ProcessReward } from './types';

/** One input record: a text line (JSON Lines) or an already parsed value (a JSON document's element). */
export type InputItem = { line: number; text: string } | { line: number; value: unknown };

export interface BadRecord {
  /** 1-based line number (JSON Lines) or record number (JSON document). */
  line: number;
  reason: string;
  /** `SOURCE:LINE: reason`. */
  message: string;
}

export interface StreamOptions extends ScoreContext {
  /** The name used in messages (the file name). */
  source?: string;
  /** Records scored at once in pass 1 (their judge calls overlap). */
  concurrency?: number;
  /** Called once per bad record, in pass 1. */
  onBadRecord?: (bad: BadRecord) => void;
}

export interface ScoreSummary {
  records: number;
  scored: number;
  bad: number;
  groups: number;
  collapsedPerception: number;
  collapsedReasoning: number;
  collapsedBoth: number;
  /** Multiple-choice rollouts whose think letter and answer letter could both be read, and how many differ. */
  mismatchChecked: number;
  mismatches: number;
  /** Rollouts whose judge call failed (perception accuracy 0). */
  judgeErrors: number;
  firstJudgeError: string | null;
}

/** Splits text lines into items: 1-based line numbers, blank lines skipped, a BOM and '\r' removed. */
export async function* linesToItems(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<InputItem> {
  let line = 0;
  for await (let text of lines) {
    line++;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') continue;
    yield { line, text };
  }
}

/**
 * Splits a byte stream into text lines, as Node's readline does (line ends: '\n', '\r\n' or a lone
 * '\r'; no empty last line after a final line end), decoding each line as UTF-8. A line holding
 * invalid UTF-8 is decoded with U+FFFD in place of the bad bytes and reported to `onInvalid` with its
 * 1-based line number, so the replacement is never silent. A BOM is kept (linesToItems strips it).
 */
export async function* decodeLines(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onInvalid?: (line: number) => void): AsyncGenerator<string> {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
  let line = 0;
  const decode = (bytes: Uint8Array): string => {
    line++;
    try {
      return strict.decode(bytes);
    } catch {
      onInvalid?.(line);
      return lenient.decode(bytes);
    }
  };
  let rest: Uint8Array = new Uint8Array(0);
  let afterCR = false; // the previous chunk ended with '\r': a '\n' starting this one belongs to it
  for await (const chunk of chunks) {
    let start = 0;
    if (afterCR && chunk.length > 0) {
      if (chunk[0] === 0x0a) start = 1;
      afterCR = false;
    }
    let buf = chunk;
    if (rest.length) {
      buf = new Uint8Array(rest.length + chunk.length - start);
      buf.set(rest);
      buf.set(chunk.subarray(start), rest.length);
      start = 0;
    }
    let from = start;
    for (let i = start; i < buf.length; i++) {
      const b = buf[i];
      if (b !== 0x0a && b !== 0x0d) continue;
      yield decode(buf.subarray(from, i));
      if (b === 0x0d) {
        if (i + 1 < buf.length) {
          if (buf[i + 1] === 0x0a) i++;
        } else afterCR = true;
      }
      from = i + 1;
    }
    rest = buf.slice(from);
  }
  if (rest.length) yield decode(rest);
}

/** 1-based numbers of the lines of `bytes` (split as decodeLines does) that are not valid UTF-8. */
export async function invalidUtf8Lines(bytes: Uint8Array): Promise<number[]> {
  const bad: number[] = [];
  for await (const _ of decodeLines([bytes], (line) => bad.push(line))) void _;
  return bad;
}

/** The elements of a parsed JSON document ({"results": [...]} or a list) as items numbered from 1. */
export function* valuesToItems(values: readonly unknown[]): Generator<InputItem> {
  for (let i = 0; i < values.length; i++) yield { line: i + 1, value: values[i] };
}

/** The record list of a JSON document: {"results": [...]} (Video-R1 eval / CoT output) or a top-level list. */
export function documentRecords(doc: unknown): unknown[] | null {
  if (Array.isArray(doc)) return doc;
  const results = (doc as { results?: unknown } | null)?.results;
  return Array.isArray(results) ? results : null;
}

function parseItem(item: InputItem): { value: unknown } | { error: string } {
  if ('value' in item) return { value: item.value };
  try {
    return { value: JSON.parse(item.text) };
  } catch (e) {
    return { error: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** A Float64Array that grows by doubling. */
class Column {
  data: Float64Array;
  constructor(private readonly width: number) {
    this.data = new Float64Array(width * 1024);
  }
  ensure(rows: number) {
    if (rows * this.width <= this.data.length) return;
    const next = new Float64Array(Math.max(rows * this.width, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}

// Columns of the reward table, per record.
const R_ACC_P = 0, R_FMT_P = 1, R_LEN_P = 2, R_ACC_R = 3, R_FMT_R = 4, R_LEN_R = 5, R_TOK_P = 6, R_TOK_R = 7;
const REWARD_WIDTH = 8;
const MISMATCH_NONE = -1;

/** Everything pass 2 needs, per record: (records × 14) numbers plus the reasons of bad records. */
export class ScoreTable {
  count = 0;
  private readonly rewards = new Column(REWARD_WIDTH);
  /** (records, 3): advantages perception, reasoning, grpo. */
  private readonly advantages = new Column(3);
  /** (records,): group id, −1 for a bad record. */
  private readonly group = new Column(1);
  /** (records,): think–answer mismatch 1 / 0, or −1 when not MC or not extractable. */
  private readonly mismatch = new Column(1);
  private readonly groupIds = new Map<string, number>();
  /** (groups,): bit 0 collapsed perception, bit 1 collapsed reasoning; group sizes. */
  private groupFlags = new Uint8Array(0);
  private groupSizes = new Int32Array(0);
  private readonly errors = new Map<number, string>();
  private readonly judgeErrors = new Map<number, string>();
  private finished = false;

  /** Reserves the next row; returns its index. */
  add(): number {
    const row = this.count++;
    for (const c of [this.rewards, this.advantages, this.group, this.mismatch]) c.ensure(this.count);
    this.group.data[row] = -1;
    this.mismatch.data[row] = MISMATCH_NONE;
    return row;
  }

  setError(row: number, reason: string) {
    this.errors.set(row, reason);
    this.group.data[row] = -1;
  }

  error(row: number): string | undefined {
    return this.errors.get(row);
  }

  setScore(row: number, key: string, perception: ProcessReward, reasoning: ProcessReward, tokens: { perception: number; reasoning: number }, mismatch: boolean | null, judgeError?: string) {
    let id = this.groupIds.get(key);
    if (id === undefined) {
      id = this.groupIds.size;
      this.groupIds.set(key, id);
    }
    this.group.data[row] = id;
    const r = this.rewards.data;
    const o = row * REWARD_WIDTH;
    r[o + R_ACC_P] = perception.accuracy;
    r[o + R_FMT_P] = perception.format;
    r[o + R_LEN_P] = perception.length;
    r[o + R_ACC_R] = reasoning.accuracy;
    r[o + R_FMT_R] = reasoning.format;
    r[o + R_LEN_R] = reasoning.length;
    r[o + R_TOK_P] = tokens.perception;
    r[o + R_TOK_R] = tokens.reasoning;
    this.mismatch.data[row] = mismatch === null ? MISMATCH_NONE : mismatch ? 1 : 0;
    if (judgeError !== undefined) this.judgeErrors.set(row, judgeError);
  }

  private processReward(row: number, process: 'perception' | 'reasoning'): ProcessReward {
    const o = row * REWARD_WIDTH + (process === 'perception' ? R_ACC_P : R_ACC_R);
    const r = this.rewards.data;
    return { accuracy: r[o], format: r[o + 1], length: r[o + 2], total: r[o] + r[o + 1] + r[o + 2] };
  }

  /** After pass 1: the group length rule, then advantages and collapse flags, group by group. */
  finish(config: ScoreContext['config']) {
    const groups = this.groupIds.size;
    // Rows of each group, by counting sort over the group column: (records,) ints, no per-group arrays.
    const sizes = new Int32Array(groups);
    for (let row = 0; row < this.count; row++) {
      const g = this.group.data[row];
      if (g >= 0) sizes[g]++;
    }
    const starts = new Int32Array(groups + 1);
    for (let g = 0; g < groups; g++) starts[g + 1] = starts[g] + sizes[g];
    const rows = new Int32Array(starts[groups]);
    const fill = starts.slice(0, groups);
    for (let row = 0; row < this.count; row++) {
      const g = this.group.data[row];
      if (g >= 0) rows[fill[g]++] = row;
    }
    this.groupFlags = new Uint8Array(groups);
    this.groupSizes = sizes;
    for (let g = 0; g < groups; g++) {
      const members = Array.from(rows.subarray(starts[g], starts[g + 1]));
      const scores = members.map((row) => ({ perception: this.processReward(row, 'perception'), reasoning: this.processReward(row, 'reasoning') }));
      applyGroupLengthRule(scores, config);
      members.forEach((row, i) => (this.rewards.data[row * REWARD_WIDTH + R_LEN_R] = scores[i].reasoning.length));
      const rP = scores.map((s) => s.perception.total);
      const rR = scores.map((s) => s.reasoning.total);
      const adv = processAdvantages(rP, rR, config);
      members.forEach((row, i) => this.advantages.data.set([adv.perception[i], adv.reasoning[i], adv.grpo[i]], row * 3));
      const diag = groupDiagnostics(rP, rR);
      this.groupFlags[g] = (diag.collapsedPerception ? 1 : 0) | (diag.collapsedReasoning ? 2 : 0);
    }
    this.finished = true;
  }

  /** The fields pass 2 adds to a good record. */
  outputFields(row: number): Record<string, unknown> {
    if (!this.finished) throw new Error('ScoreTable.outputFields: call finish() after pass 1');
    const g = this.group.data[row];
    const r = this.rewards.data;
    const o = row * REWARD_WIDTH;
    const a = this.advantages.data;
    const flags = this.groupFlags[g];
    const mismatch = this.mismatch.data[row];
    const fields: Record<string, unknown> = {
      rewards: { perception: this.processReward(row, 'perception'), reasoning: this.processReward(row, 'reasoning') },
      advantages: { perception: a[row * 3], reasoning: a[row * 3 + 1], grpo: a[row * 3 + 2] },
      tokens: { perception: r[o + R_TOK_P], reasoning: r[o + R_TOK_R] },
      diagnostics: {
        groupSize: this.groupSizes[g],
        collapsedPerception: (flags & 1) !== 0,
        collapsedReasoning: (flags & 2) !== 0,
        collapsedBoth: flags === 3,
        thinkAnswerMismatch: mismatch === MISMATCH_NONE ? null : mismatch === 1,
      },
    };
    const judgeError = this.judgeErrors.get(row);
    if (judgeError !== undefined) fields.judge_error = judgeError;
    return fields;
  }

  summary(): ScoreSummary {
    let collapsedPerception = 0, collapsedReasoning = 0, collapsedBoth = 0, mismatchChecked = 0, mismatches = 0;
    for (const f of this.groupFlags) {
      if (f & 1) collapsedPerception++;
      if (f & 2) collapsedReasoning++;
      if (f === 3) collapsedBoth++;
    }
    for (let row = 0; row < this.count; row++) {
      const m = this.mismatch.data[row];
      if (m !== MISMATCH_NONE && this.group.data[row] >= 0) {
        mismatchChecked++;
        if (m === 1) mismatches++;
      }
    }
    const firstJudgeError = this.judgeErrors.size > 0 ? this.judgeErrors.get(Math.min(...this.judgeErrors.keys())) ?? null : null;
    return {
      records: this.count,
      scored: this.count - this.errors.size,
      bad: this.errors.size,
      groups: this.groupIds.size,
      collapsedPerception,
      collapsedReasoning,
      collapsedBoth,
      mismatchChecked,
      mismatches,
      judgeErrors: this.judgeErrors.size,
      firstJudgeError,
    };
  }
}

/** Pass 1: score every record, then the group advantages. Items must come in the same order as in pass 2. */
export async function scorePass(items: AsyncIterable<InputItem> | Iterable<InputItem>, options: StreamOptions): Promise<ScoreTable> {
  const table = new ScoreTable();
  const limit = Math.max(1, options.concurrency ?? 16);
  const inFlight = new Set<Promise<void>>();
  const source = options.source ?? 'input';
  const bad = (row: number, line: number, reason: string) => {
    table.setError(row, reason);
    options.onBadRecord?.({ line, reason, message: `${source}:${line}: ${reason}` });
  };

  for await (const item of items) {
    const row = table.add();
    const parsedItem = parseItem(item);
    if ('error' in parsedItem) {
      bad(row, item.line, parsedItem.error);
      continue;
    }
    const checked = validateRecord(parsedItem.value);
    if ('error' in checked) {
      bad(row, item.line, checked.error);
      continue;
    }
    const record = checked.record;
    const task = (async () => {
      try {
        const parsed = parseCompletion(record.output);
        const score = await scoreRollout(record, parsed, options);
        const mismatch = thinkAnswerMismatch({
          problemType: record.problem_type,
          think: parsed.think?.text ?? null,
          answer: parsed.extractedAnswer,
          options: normalizeOptions(record.options),
        });
        table.setScore(row, groupKey(record), score.perception, score.reasoning, score.tokens, mismatch, score.verdict?.error);
      } catch (e) {
        bad(row, item.line, `scoring failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  table.finish(options.config);
  return table;
}

/** Pass 2: one JSON line per item, in input order (no trailing newline on each string). */
export async function* emitPass(items: AsyncIterable<InputItem> | Iterable<InputItem>, table: ScoreTable): AsyncGenerator<string> {
  let row = 0;
  for await (const item of items) {
    if (row >= table.count) throw new Error('emitPass: the input has more records than in pass 1 (did it change?)');
    const error = table.error(row);
    const parsedItem = parseItem(item);
    const value = 'value' in parsedItem ? parsedItem.value : undefined;
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (error !== undefined) {
      if (isObject) yield JSON.stringify({ ...(value as object), error });
      else yield JSON.stringify({ raw: 'text' in item ? item.text : value, error });
    } else {
      yield JSON.stringify({ ...(value as object), ...table.outputFields(row) });
    }
    row++;
  }
  if (row !== table.count) throw new Error(`emitPass: the input has ${row} records but pass 1 saw ${table.count} (did it change?)`);
}

/** Both passes over an in-memory list of records (the browser's path, and JSON documents). */
export async function scoreValues(values: readonly unknown[], options: StreamOptions): Promise<{ lines: string[]; summary: ScoreSummary }> {
  const table = await scorePass(valuesToItems(values), options);
  const lines: string[] = [];
  for await (const line of emitPass(valuesToItems(values), table)) lines.push(line);
  return { lines, summary: table.summary() };
}
