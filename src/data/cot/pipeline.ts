// The three-step process-aware CoT pipeline (method.md §1.4.2) for one record and for a stream of
// records: 1. generate with a vision-language model (chat.ts), 2. verify the template and the answer
// (verify.ts), 3. judge the observation text-only with the paper's sufficiency prompt through the
// rewards' HTTP judge (src/rewards/judge.ts). Both endpoints go through one journaled fetch
// (journal.ts), so a resumed run never sends an answered request again. Pure: injected fetch, clock
// and storage; runs in Node, a worker and the page.

import { buildJudgeRequest, HttpJudge, type HttpJudgeOptions } from '../../rewards/judge';
import type { PerceptionJudge } from '../../rewards/types';
import type { DataRecord } from '../types';
import { ChatClient, usageOf, type ChatClientOptions, type ChatUsage } from './chat';
import { GuardedJournal, journaledFetch, type FetchLike, type JournalEvent, type RequestJournal } from './journal';
import { cotMessages, cotPrompt, type CotPromptOptions, type ImagePart } from './prompt';
import { verifyCot, type VerifyOptions } from './verify';

export type CotStatus = 'kept' | 'discarded' | 'error';
export type DiscardReason = 'template' | 'answer' | 'judge';

/** What happened to one record: its generation, its verdicts and why it was kept, discarded or failed. */
export interface CotOutcome {
  status: CotStatus;
  /** 'template' | 'answer' | 'judge' when discarded; the error message on error; null when kept. */
  reason: string | null;
  /** The generated text, or null when generation failed. */
  cot: string | null;
  verdicts: {
    /** Template issues ([] when the template holds); null when nothing was generated. */
    template: string[] | null;
    /** The generated answer's task-metric score against the ground truth, and the threshold. */
    answerScore: number | null;
    threshold: number | null;
    /** 1 sufficient, 0 not, null when the judge was not asked. */
    judge: 0 | 1 | null;
    judgeExplanation: string | null;
  };
}

export interface CotStepDeps {
  generator: Pick<ChatClient, 'complete'>;
  judge: PerceptionJudge;
  prompt?: CotPromptOptions;
  verify?: VerifyOptions;
}

function outcome(status: CotStatus, reason: string | null, cot: string | null, verdicts: Partial<CotOutcome['verdicts']> = {}): CotOutcome {
  return { status, reason, cot, verdicts: { template: null, answerScore: null, threshold: null, judge: null, judgeExplanation: null, ...verdicts } };
}

/** The three steps for one record; never throws except for a journal that cannot be written. */
export async function cotForRecord(record: DataRecord, images: readonly ImagePart[], deps: CotStepDeps): Promise<CotOutcome> {
  let cot: string;
  try {
    const reply = await deps.generator.complete(cotMessages(cotPrompt(record, deps.prompt), images));
    cot = reply.content;
  } catch (e) {
    if ((e as Error)?.name === 'JournalWriteError') throw e;
    return outcome('error', (e as Error)?.message ?? String(e), null);
  }

  const check = verifyCot(record, cot, deps.verify);
  const verdicts = { template: check.issues, answerScore: check.score, threshold: check.threshold };
  if (!check.ok) return outcome('discarded', check.reason!, cot, verdicts);

  const verdict = await deps.judge.judge(buildJudgeRequest({ ...record, output: cot }, check.observation));
  const judged = { ...verdicts, judge: verdict.error === undefined ? verdict.verdict : null, judgeExplanation: verdict.explanation ?? null };
  if (verdict.error !== undefined) return outcome('error', `judge: ${verdict.error}`, cot, judged);
  return verdict.verdict === 1 ? outcome('kept', null, cot, judged) : outcome('discarded', 'judge', cot, judged);
}

// ---- accounting -------------------------------------------------------------------------------------

export interface TokenCount {
  prompt: number;
  completion: number;
}

/** Counts by outcome, tokens (sent now vs replayed from the journal) and the cost of what was sent now. */
export class CotTally {
  records = 0;
  kept = 0;
  discarded: Record<DiscardReason, number> = { template: 0, answer: 0, judge: 0 };
  errors = 0;
  /** Tokens of answers paid for in this run, by endpoint. */
  generateTokens: TokenCount = { prompt: 0, completion: 0 };
  judgeTokens: TokenCount = { prompt: 0, completion: 0 };
  /** Tokens of answers replayed from the journal (paid for in an earlier run). */
  replayedTokens = 0;
  /** Records whose whole outcome came from the journal (no media read, no request). */
  wholeRecords = 0;
  /** Requests answered now / replayed. */
  answered = 0;
  replayed = 0;

  constructor(readonly prices: { generatePer1k: number; judgePer1k: number } = { generatePer1k: 0, judgePer1k: 0 }) {}

  add(o: CotOutcome): void {
    this.records++;
    if (o.status === 'kept') this.kept++;
    else if (o.status === 'error') this.errors++;
    else this.discarded[o.reason as DiscardReason] = (this.discarded[o.reason as DiscardReason] ?? 0) + 1;
  }

  usage(kind: 'generate' | 'judge', usage: ChatUsage | null, replayed: boolean): void {
    if (replayed) {
      this.replayed++;
      if (usage) this.replayedTokens += usage.promptTokens + usage.completionTokens;
      return;
    }
    this.answered++;
    if (!usage) return;
    const t = kind === 'generate' ? this.generateTokens : this.judgeTokens;
    t.prompt += usage.promptTokens;
    t.completion += usage.completionTokens;
  }

  get tokens(): number {
    return this.generateTokens.prompt + this.generateTokens.completion + this.judgeTokens.prompt + this.judgeTokens.completion;
  }

  /** Estimated cost of this run's paid tokens, in the unit of the prices. */
  get cost(): number {
    const g = this.generateTokens.prompt + this.generateTokens.completion;
    const j = this.judgeTokens.prompt + this.judgeTokens.completion;
    return (g * this.prices.generatePer1k + j * this.prices.judgePer1k) / 1000;
  }

  get discardedTotal(): number {
    return this.discarded.template + this.discarded.answer + this.discarded.judge;
  }

  snapshot(): CotProgress {
    return {
      records: this.records,
      kept: this.kept,
      discarded: { ...this.discarded },
      errors: this.errors,
      tokens: this.tokens,
      generateTokens: { ...this.generateTokens },
      judgeTokens: { ...this.judgeTokens },
      replayedTokens: this.replayedTokens,
      answered: this.answered,
      replayed: this.replayed,
      wholeRecords: this.wholeRecords,
      cost: this.cost,
    };
  }
}

export interface CotProgress {
  records: number;
  kept: number;
  discarded: Record<DiscardReason, number>;
  errors: number;
  tokens: number;
  generateTokens: TokenCount;
  judgeTokens: TokenCount;
  replayedTokens: number;
  answered: number;
  replayed: number;
  wholeRecords: number;
  cost: number;
}

/** One line of progress: 'kept 3, discarded 2 (template 1, answer 1, judge 0), error 0; tokens …'. */
export function formatProgress(p: CotProgress, total: number | null, currency = '$'): string {
  const of = total === null ? '' : `/${total}`;
  const d = p.discarded;
  return (
    `${p.records}${of} records: kept ${p.kept}, discarded ${d.template + d.answer + d.judge} (template ${d.template}, answer ${d.answer}, judge ${d.judge}), error ${p.errors}; ` +
    `tokens ${p.tokens} (generate ${p.generateTokens.prompt}+${p.generateTokens.completion}, judge ${p.judgeTokens.prompt}+${p.judgeTokens.completion}); ` +
    `requests ${p.answered} sent, ${p.replayed} replayed from the journal (${p.replayedTokens} tokens)${p.wholeRecords > 0 ? `, ${p.wholeRecords} finished records replayed whole` : ''}; cost ≈ ${currency}${p.cost.toFixed(4)}`
  );
}

// ---- wiring: endpoints through one journal -----------------------------------------------------------

export interface CotSettings {
  generate: Omit<ChatClientOptions, 'fetch' | 'sleep' | 'now' | 'random' | 'signal'>;
  judge: Omit<HttpJudgeOptions, 'fetch' | 'sleep' | 'random' | 'cache'>;
  prompt?: CotPromptOptions;
  verify?: VerifyOptions;
  prices?: { generatePer1k: number; judgePer1k: number };
}

export interface CotEnvironment {
  fetch?: FetchLike;
  journal: RequestJournal;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /**
   * Stops the run's requests: those in flight are aborted and no retry waits. An aborted request was
   * never answered, so a resume sends it again; nothing paid for is lost.
   */
  signal?: AbortSignal;
}

/** The message a request stopped by the run's signal fails with. */
export const STOPPED = 'stopped before the endpoint answered';

/** `fetch` and `sleep` that give up at once when `signal` fires. */
function stoppable(base: FetchLike, sleep: (ms: number) => Promise<void>, signal: AbortSignal | undefined) {
  if (!signal) return { fetch: base, sleep };
  const fetchStoppable: FetchLike = (url, init = {}) => {
    if (signal.aborted) return Promise.reject(new Error(STOPPED));
    const both = init.signal ? AbortSignal.any([init.signal, signal]) : signal;
    return base(url, { ...init, signal: both }).catch((e: unknown) => {
      throw signal.aborted ? new Error(STOPPED) : e;
    });
  };
  // A wait between retries ends when the run is stopped (its timer just runs out later).
  const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  return { fetch: fetchStoppable, sleep: (ms: number) => (signal.aborted ? Promise.resolve() : Promise.race([sleep(ms), stopped])) };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface CotPipeline extends CotStepDeps {
  tally: CotTally;
  journal: GuardedJournal;
}

/** The generator and the HTTP judge, each behind the journaled fetch, with usage counted per endpoint. */
export function createCotPipeline(settings: CotSettings, env: CotEnvironment): CotPipeline {
  const tally = new CotTally(settings.prices);
  const journal = new GuardedJournal(env.journal);
  const { fetch: base, sleep } = stoppable(env.fetch ?? ((input, init) => globalThis.fetch(input, init)), env.sleep ?? defaultSleep, env.signal);
  const counted = (kind: 'generate' | 'judge') => (event: JournalEvent) => {
    let usage: ChatUsage | null = null;
    try {
      usage = usageOf(JSON.parse(event.body));
    } catch {
      // a reply that is not JSON is reported by its reader; it has no usage
    }
    tally.usage(kind, usage, event.replayed);
  };
  const generator = new ChatClient({ ...settings.generate, fetch: journaledFetch(base, journal, counted('generate')), sleep, now: env.now, random: env.random, signal: env.signal });
  // The judge's own verdict cache is per run; the journal is what survives a restart.
  const judge = new HttpJudge({ ...settings.judge, fetch: journaledFetch(base, journal, counted('judge')) as typeof fetch, sleep, random: env.random });
  return { generator, judge, prompt: settings.prompt, verify: settings.verify, tally, journal };
}

// ---- a stream of records, in order ---------------------------------------------------------------------

/** One input record: parsed (with a loader for its images) or the reason it could not be read. */
export interface CotItem {
  index: number;
  record: DataRecord | null;
  /** Why the record could not be read (record is then null). */
  problem?: string;
  /** Frames or images for the message; [] for text only. Throws when media is missing. */
  images?: () => Promise<ImagePart[]>;
  /** The outcome already known (a resumed run's finished record): used as is, nothing is loaded or sent. */
  outcome?: CotOutcome;
}

export interface RunOptions {
  concurrency?: number;
  /** Stop taking new records; those in flight finish, or are cut when the pipeline has the same signal. */
  signal?: AbortSignal;
  /** How far ahead of the oldest unfinished record work may start (bounds the reorder buffer). */
  maxAhead?: number;
}

/**
 * Runs the pipeline over `items` with `concurrency` records in flight and calls `emit` once per item,
 * in input order (awaited, so a failed write stops the run). When `signal` fires, no new record is
 * started, and emission ends before the first record whose request the signal cut (when the pipeline
 * was created with the same signal). Rejects on a journal or emit failure after the records in flight
 * have settled. Returns false when stopped by the signal before the end.
 */
export async function runCot<T extends CotItem>(items: AsyncIterable<T> | Iterable<T>, pipeline: CotPipeline, emit: (item: T, outcome: CotOutcome) => Promise<void> | void, options: RunOptions = {}): Promise<boolean> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const maxAhead = Math.max(concurrency, options.maxAhead ?? concurrency * 8);
  const iterator: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  const done = new Map<number, { item: T; outcome: CotOutcome }>();
  let nextToEmit = 0;
  let started = 0;
  let exhausted = false;
  let failure: unknown = null;
  let emitting: Promise<void> = Promise.resolve();
  let waiters: (() => void)[] = [];
  const wakeAll = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  // A record whose request was cut by the signal was not processed: it is neither counted nor emitted,
  // and neither is anything after it (the output stays a prefix of the input, in order).
  let halted = false;
  const flush = async () => {
    while (failure === null && !halted && done.has(nextToEmit)) {
      const { item, outcome: o } = done.get(nextToEmit)!;
      if (options.signal?.aborted && o.status === 'error' && o.reason?.includes(STOPPED)) {
        halted = true;
        wakeAll();
        return;
      }
      done.delete(nextToEmit);
      nextToEmit++;
      pipeline.tally.add(o);
      await emit(item, o);
      wakeAll();
    }
  };

  const processItem = async (seq: number, item: T): Promise<void> => {
    let o: CotOutcome;
    if (item.outcome) {
      o = item.outcome;
      pipeline.tally.wholeRecords++;
    } else if (item.record === null) o = outcome('error', item.problem ?? 'unreadable record', null);
    else {
      let images: ImagePart[] = [];
      let mediaError: string | null = null;
      try {
        images = item.images ? await item.images() : [];
      } catch (e) {
        mediaError = `media: ${(e as Error)?.message ?? String(e)}`;
      }
      o = mediaError !== null ? outcome('error', mediaError, null) : await cotForRecord(item.record, images, pipeline);
    }
    if (pipeline.journal.failure) throw pipeline.journal.failure;
    done.set(seq, { item, outcome: o });
    emitting = emitting.then(flush);
    await emitting;
  };

  // Pulls are chained, so each item's sequence number is given in input order.
  let pullChain: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<{ seq: number; item: T } | null> => {
    const p = pullChain.then(async () => {
      if (exhausted) return null;
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        return null;
      }
      return { seq: started++, item: next.value };
    });
    pullChain = p.catch(() => undefined);
    return p;
  };

  const worker = async (): Promise<void> => {
    try {
      for (;;) {
        while (failure === null && !options.signal?.aborted && started - nextToEmit >= maxAhead) await new Promise<void>((r) => waiters.push(r));
        if (failure !== null || exhausted || options.signal?.aborted) return;
        const next = await pull();
        if (next === null) return;
        await processItem(next.seq, next.item);
      }
    } catch (e) {
      if (failure === null) failure = e;
      wakeAll();
    }
  };

  const onAbort = () => wakeAll();
  options.signal?.addEventListener('abort', onAbort);
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    await emitting.catch(() => undefined);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (!exhausted) await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
  if (failure !== null) throw failure;
  return exhausted && !halted && nextToEmit === started;
}
