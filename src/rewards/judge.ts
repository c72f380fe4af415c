// Perception judges (method.md §1.3.2, §1.5.1, §6 item 3): an OpenAI-compatible chat-completions judge
// with the paper's prompt, a rule judge over known scene facts (synthetic tasks), and a verdict read from
// a record field. Pure: fetch, AbortController and timers only (runs in Node, a worker or the page).

import { ChecklistJudge } from './checklist';
import { normalizeOptions } from './options';
import type { JudgeRequest, JudgeVerdict, PerceptionJudge, RolloutRecord, SceneFact } from './types';

export { normalizeOptions };

export interface JudgeStats {
  /** judge() calls. */
  calls: number;
  /** Calls answered from the cache (HTTP judge only). */
  cacheHits: number;
  /** Calls that ended with an error (verdict 0). */
  failures: number;
  /** HTTP requests sent, retries included (HTTP judge only). */
  requests: number;
}

/** A judge that counts its calls and failures. */
export interface CountingJudge extends PerceptionJudge {
  readonly stats: JudgeStats;
}

function newStats(): JudgeStats {
  return { calls: 0, cacheHits: 0, failures: 0, requests: 0 };
}

// ---- the judge prompt (method.md §1.3.2, paper Fig. 8, verbatim) ----------------------------------------

export const JUDGE_PROMPT_TEMPLATE = `You will receive a question, its correct answer, and a set of observations extracted from {data_type}. Your task is to decide—strictly based on the observations—whether the correct answer can be deduced. Do **not** assume any information beyond what is provided.
### Question
{Question}
### Correct Answer
{CorrectAnswer}
### Observations
{Observations}
### Instruction
1. Carefully read the question and the correct answer.
2. Briefly explain whether (and how) the observations support the correct answer.
3. Finally output your judgement, either <judgement>Yes</judgement> or <judgement>No</judgement>.`;

/** Fill the template in one pass, so that a '{Question}' inside the observation is not substituted again. */
export function judgePrompt(request: Pick<JudgeRequest, 'dataType' | 'question' | 'correctAnswer' | 'observation'>): string {
  const values: Record<string, string> = {
    data_type: request.dataType,
    Question: request.question,
    CorrectAnswer: request.correctAnswer,
    Observations: request.observation,
  };
  return JUDGE_PROMPT_TEMPLATE.replace(/\{(data_type|Question|CorrectAnswer|Observations)\}/g, (_, k: string) => values[k]);
}

/** Video-R1's extract_answer on the solution: the first <answer>…</answer>, stripped; else the text stripped. */
function groundTruthOf(solution: string): string {
  const m = /<answer>\s*([\s\S]*?)\s*<\/answer>/.exec(solution);
  return (m ? m[1] : solution).trim();
}

/** {Question}: for multiple choice `problem + "Options:\n" + Σ(option + "\n")` (Video-R1, method.md §2.2). */
export function judgeQuestion(record: Pick<RolloutRecord, 'problem' | 'problem_type' | 'options'>): string {
  const options = normalizeOptions(record.options);
  if (record.problem_type === 'multiple choice' && options.length > 0) {
    return record.problem + 'Options:\n' + options.map((o) => o + '\n').join('');
  }
  return record.problem;
}

/**
 * {CorrectAnswer}: the ground truth (not the policy's answer). For multiple choice the letter plus the
 * option text ("B. A military command"), which is the option string itself [U → I, method.md §1.3.2].
 */
export function judgeCorrectAnswer(record: Pick<RolloutRecord, 'solution' | 'problem_type' | 'options'>): string {
  const gt = groundTruthOf(record.solution);
  if (record.problem_type !== 'multiple choice') return gt;
  const letter = /^\(?([A-Za-z])\)?\.?$/.exec(gt)?.[1];
  if (letter === undefined) return gt;
  const option = normalizeOptions(record.options).find((o) => new RegExp(`^\\s*\\(?${letter}\\)?[.):]`).test(o));
  return option !== undefined ? option.trim() : gt;
}

/** The judge's inputs for one rollout; `observation` is the inner text of <observation> (tags stripped). */
export function buildJudgeRequest(record: RolloutRecord, observation: string): JudgeRequest {
  return {
    question: judgeQuestion(record),
    correctAnswer: judgeCorrectAnswer(record),
    observation: observation.trim(),
    dataType: typeof record.data_type === 'string' && record.data_type !== '' ? record.data_type : 'video',
    record,
  };
}

/** Reads the LAST <judgement>Yes|No</judgement>, case-insensitive; null when there is none. */
export function parseJudgement(text: string): 0 | 1 | null {
  let last: 0 | 1 | null = null;
  for (const m of text.matchAll(/<judgement>\s*(yes|no)\s*<\/judgement>/gi)) last = m[1].toLowerCase() === 'yes' ? 1 : 0;
  return last;
}

// ---- cache ------------------------------------------------------------------------------------------

/** Where verdicts are kept; the app can back this with IndexedDB. Only successful verdicts are stored. */
export interface JudgeCacheStore {
  get(key: string): JudgeVerdict | undefined | Promise<JudgeVerdict | undefined>;
  set(key: string, verdict: JudgeVerdict): void | Promise<void>;
}

export class MemoryJudgeCache implements JudgeCacheStore {
  private readonly map = new Map<string, JudgeVerdict>();
  get size(): number {
    return this.map.size;
  }
  get(key: string): JudgeVerdict | undefined {
    return this.map.get(key);
  }
  set(key: string, verdict: JudgeVerdict): void {
    this.map.set(key, verdict);
  }
}

/** 64-bit FNV-1a over the UTF-8 bytes, as 16 hex digits (a small pure hash; BigInt keeps it exact). */
export function fnv1a64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/**
 * Cache key of (question, answer, observation), plus the judge model and the data type, because both
 * change the verdict and a persisted store may outlive a change of model.
 */
export function judgeCacheKey(model: string, request: Pick<JudgeRequest, 'dataType' | 'question' | 'correctAnswer' | 'observation'>): string {
  const payload = JSON.stringify([model, request.dataType, request.question, request.correctAnswer, request.observation]);
  return `${fnv1a64(payload)}-${fnv1a64('salt:' + payload)}`;
}

// ---- (a) HTTP judge ---------------------------------------------------------------------------------

export interface HttpJudgeOptions {
  /** e.g. 'https://api.openai.com/v1' (the '/chat/completions' path is appended unless already there). */
  baseUrl: string;
  model: string;
  /** Kept in memory only (a private field); never serialised, logged or written anywhere. */
  apiKey?: string;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Per request, in ms (AbortController). */
  timeoutMs?: number;
  /** Retries after the first attempt, on 429, 5xx, timeouts and network errors. */
  retries?: number;
  /** First backoff in ms; doubles per retry, with up to +50% jitter, capped by maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  temperature?: number;
  maxTokens?: number;
  fetch?: typeof fetch;
  cache?: JudgeCacheStore;
  /** For tests: the jitter source and the sleep. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const HTTP_JUDGE_DEFAULTS = {
  concurrency: 4,
  timeoutMs: 60_000,
  retries: 3,
  backoffMs: 1_000,
  maxBackoffMs: 30_000,
  temperature: 0,
} as const;

class RetryableError extends Error {}

/** A counting semaphore: at most `limit` tasks run at once, the others wait in FIFO order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`Limiter: limit must be >= 1, got ${limit}`);
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class HttpJudge implements CountingJudge {
  readonly name: string;
  readonly stats = newStats();
  readonly model: string;
  readonly url: string;
  readonly cache: JudgeCacheStore;
  readonly #apiKey: string | undefined;
  private readonly options: Required<Omit<HttpJudgeOptions, 'apiKey' | 'maxTokens' | 'cache'>> & { maxTokens?: number };
  private readonly limiter: Limiter;
  /** Identical requests in flight share one HTTP call. */
  private readonly pending = new Map<string, Promise<JudgeVerdict>>();

  constructor(options: HttpJudgeOptions) {
    if (!options.baseUrl) throw new Error('HttpJudge: baseUrl is required (e.g. https://api.openai.com/v1)');
    if (!options.model) throw new Error('HttpJudge: model is required');
    const base = options.baseUrl.replace(/\/+$/, '');
    this.url = base.endsWith('/chat/completions') ? base : `${base}/chat/completions`;
    this.model = options.model;
    this.name = `http:${options.model}`;
    this.#apiKey = options.apiKey;
    this.cache = options.cache ?? new MemoryJudgeCache();
    this.options = {
      baseUrl: base,
      model: options.model,
      concurrency: options.concurrency ?? HTTP_JUDGE_DEFAULTS.concurrency,
      timeoutMs: options.timeoutMs ?? HTTP_JUDGE_DEFAULTS.timeoutMs,
      retries: options.retries ?? HTTP_JUDGE_DEFAULTS.retries,
      backoffMs: options.backoffMs ?? HTTP_JUDGE_DEFAULTS.backoffMs,
      maxBackoffMs: options.maxBackoffMs ?? HTTP_JUDGE_DEFAULTS.maxBackoffMs,
      temperature: options.temperature ?? HTTP_JUDGE_DEFAULTS.temperature,
      maxTokens: options.maxTokens,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      random: options.random ?? Math.random,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
    this.limiter = new Limiter(this.options.concurrency);
  }

  /** Never exposes the key. */
  toJSON(): object {
    return { name: this.name, url: this.url, model: this.model, stats: this.stats };
  }

  async judge(request: JudgeRequest): Promise<JudgeVerdict> {
    this.stats.calls++;
    const key = judgeCacheKey(this.model, request);
    const cached = await this.cache.get(key);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return cached;
    }
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) {
      this.stats.cacheHits++;
      return inFlight;
    }
    const promise = this.limiter.run(() => this.callWithRetries(request));
    this.pending.set(key, promise);
    try {
      const verdict = await promise;
      if (verdict.error === undefined) await this.cache.set(key, verdict);
      else this.stats.failures++;
      return verdict;
    } finally {
      this.pending.delete(key);
    }
  }

  private async callWithRetries(request: JudgeRequest): Promise<JudgeVerdict> {
    const { retries, backoffMs, maxBackoffMs, random, sleep } = this.options;
    let lastError = '';
    let attempts = 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      attempts++;
      try {
        return await this.callOnce(request);
      } catch (e) {
        const retryable = e instanceof RetryableError;
        lastError = e instanceof Error ? e.message : String(e);
        if (!retryable || attempt === retries) break;
        const retryAfterMs = (e as RetryableError & { retryAfterMs?: number }).retryAfterMs ?? 0;
        const backoff = Math.min(maxBackoffMs, backoffMs * 2 ** attempt) * (1 + 0.5 * random());
        await sleep(Math.min(maxBackoffMs, Math.max(backoff, retryAfterMs)));
      }
    }
    return { verdict: 0, error: `${lastError}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}` };
  }

  /** One HTTP round trip; throws RetryableError for 429 / 5xx / timeouts / network errors. */
  private async callOnce(request: JudgeRequest): Promise<JudgeVerdict> {
    const body: Record<string, unknown> = {
      model: this.model,
      messages: [{ role: 'user', content: judgePrompt(request) }],
      temperature: this.options.temperature,
    };
    if (this.options.maxTokens !== undefined) body.max_tokens = this.options.maxTokens;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (this.#apiKey) headers.Authorization = `Bearer ${this.#apiKey}`;

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    this.stats.requests++;
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(this.url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
      text = await response.text();
    } catch (e) {
      if (controller.signal.aborted) throw new RetryableError(`judge request timed out after ${this.options.timeoutMs} ms`);
      throw new RetryableError(`judge request failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearTimeout(timer);
    }

    if (response.status === 429 || response.status >= 500) {
      const error = new RetryableError(`judge endpoint answered HTTP ${response.status}`) as RetryableError & { retryAfterMs?: number };
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) error.retryAfterMs = retryAfter * 1000;
      throw error;
    }
    if (!response.ok) throw new Error(`judge endpoint answered HTTP ${response.status}: ${text.slice(0, 200)}`);

    let content: string;
    try {
      content = chatContent(JSON.parse(text));
    } catch (e) {
      throw new Error(`malformed chat-completions reply: ${e instanceof Error ? e.message : String(e)}`);
    }
    const verdict = parseJudgement(content);
    if (verdict === null) throw new Error('no <judgement>Yes|No</judgement> in the judge reply');
    return { verdict, explanation: content };
  }
}

/** choices[0].message.content, as a string or as a list of text parts. */
function chatContent(reply: unknown): string {
  const choices = (reply as { choices?: unknown })?.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw new Error('no choices');
  const content = (choices[0] as { message?: { content?: unknown } })?.message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === 'string' ? part : typeof part?.text === 'string' ? part.text : '')).join('');
  }
  throw new Error('choices[0].message.content is not text');
}

// ---- (b) rule judge over scene facts ----------------------------------------------------------------

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A case-insensitive, word-bounded match of `phrase` (inner whitespace matches any whitespace). */
export function mentions(text: string, phrase: string): boolean {
  const body = phrase.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
  if (body === '') return false;
  return new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}

/** A fact is stated when each of its mention groups has at least one alternative in the text. */
export function factStated(text: string, fact: SceneFact): boolean {
  return fact.mentions.every((group) => group.some((alternative) => mentions(text, alternative)));
}

/** Sufficient iff every scene fact on the record is stated in the observation. */
export class RuleJudge implements CountingJudge {
  readonly name = 'rules';
  readonly stats = newStats();

  async judge(request: JudgeRequest): Promise<JudgeVerdict> {
    this.stats.calls++;
    const facts = request.record.facts;
    if (!Array.isArray(facts) || facts.length === 0) {
      this.stats.failures++;
      return { verdict: 0, error: 'no scene facts on the record (the rules judge needs `facts`)' };
    }
    const missing = facts.filter((f) => !factStated(request.observation, f));
    if (missing.length === 0) return { verdict: 1, explanation: `all ${facts.length} facts stated` };
    return { verdict: 0, explanation: `missing ${missing.length} of ${facts.length} facts: ${missing.map((f) => `${f.id} (${f.text})`).join('; ')}` };
  }
}

// ---- (c) a verdict already in the record ------------------------------------------------------------

/** Reads 1/0, true/false, 'yes'/'no' or a '<judgement>Yes</judgement>' text from `record[field]`. */
export class FieldJudge implements CountingJudge {
  readonly name: string;
  readonly stats = newStats();

  constructor(readonly field: string) {
    if (!field) throw new Error('FieldJudge: a field name is required (field:NAME)');
    this.name = `field:${field}`;
  }

  async judge(request: JudgeRequest): Promise<JudgeVerdict> {
    this.stats.calls++;
    const verdict = verdictOfValue(request.record[this.field]);
    if (verdict === null) {
      this.stats.failures++;
      const value = request.record[this.field];
      return { verdict: 0, error: value === undefined ? `no field '${this.field}' on the record` : `field '${this.field}' holds no verdict: ${JSON.stringify(value)?.slice(0, 80)}` };
    }
    return { verdict };
  }
}

export function verdictOfValue(value: unknown): 0 | 1 | null {
  if (value === true || value === 1) return 1;
  if (value === false || value === 0) return 0;
  if (typeof value !== 'string') return null;
  const s = value.trim().toLowerCase();
  if (s === 'yes' || s === 'true' || s === '1') return 1;
  if (s === 'no' || s === 'false' || s === '0') return 0;
  return parseJudgement(value);
}

// ---- factory ----------------------------------------------------------------------------------------

export type JudgeSpec = 'rules' | 'http' | 'checklist' | `checklist:${string}` | `field:${string}`;

/** Judges that need a model (the policy itself): only the RL trainer can build them (src/train/self_answer.ts). */
export const MODEL_JUDGES = ['self-answer'] as const;

export interface CreateJudgeOptions {
  http?: HttpJudgeOptions;
}

export function createJudge(spec: JudgeSpec | string, options: CreateJudgeOptions = {}): CountingJudge {
  if (spec === 'rules') return new RuleJudge();
  if (spec === 'http') {
    if (!options.http) throw new Error("createJudge('http'): HTTP options (baseUrl, model) are required");
    return new HttpJudge(options.http);
  }
  if (spec === 'checklist') return new ChecklistJudge();
  if (spec.startsWith('checklist:')) return new ChecklistJudge(spec.slice('checklist:'.length));
  if (spec.startsWith('field:')) return new FieldJudge(spec.slice('field:'.length));
  if ((MODEL_JUDGES as readonly string[]).includes(spec)) {
    throw new Error(`judge '${spec}' answers with the policy model: it is available in RL training only (the Train page, npm run train / experiment -- --judge ${spec})`);
  }
  throw new Error(`unknown judge '${spec}'; expected rules, http, checklist, checklist:FIELD or field:NAME`);
}
