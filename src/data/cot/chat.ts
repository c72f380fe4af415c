// An OpenAI-compatible chat-completions client for step 1 (generation): POST {endpoint}/chat/completions,
// a timeout per attempt, retries on 429 / 5xx / timeouts / network errors with exponential backoff and
// jitter, honouring Retry-After (seconds or an HTTP date) on a 429 or 503. Fetch, sleep, clock and
// jitter are injected, so it runs in Node, a worker, the page and tests. The key is held in a private
// field and never serialised.

import { REPLAYED_HEADER, type FetchLike } from './journal';
import type { ChatMessage } from './prompt';

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatReply {
  content: string;
  usage: ChatUsage | null;
  finishReason: string | null;
  /** Answered from the journal (no request was sent). */
  replayed: boolean;
  /** HTTP requests sent for this reply, retries included (0 when replayed). */
  attempts: number;
}

export interface ChatClientOptions {
  /** e.g. 'https://api.openai.com/v1'; '/chat/completions' is appended unless already there. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  /** Per attempt, in ms. */
  timeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  /** First backoff; doubles per retry, plus up to 50% jitter, capped by maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  /** Wall clock in ms since the epoch (for Retry-After given as an HTTP date). */
  now?: () => number;
  random?: () => number;
  /** When it fires, the call fails at once with no further retry (the run was stopped). */
  signal?: AbortSignal;
}

export const CHAT_DEFAULTS = {
  temperature: 0, // the paper generated its CoT at temperature 0 (method.md §1.3.1)
  maxTokens: 1024,
  timeoutMs: 120_000,
  retries: 4,
  backoffMs: 1_000,
  maxBackoffMs: 60_000,
} as const;

/** A failed call; `retryable` for 429, 5xx, timeouts and network errors. */
export class ChatError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChatError';
  }
}

export function chatUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base.endsWith('/chat/completions') ? base : `${base}/chat/completions`;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/** choices[0].message.content (a string or text parts), usage and finish_reason of a reply body. */
export function parseChatReply(text: string): { content: string; usage: ChatUsage | null; finishReason: string | null } {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch (e) {
    throw new ChatError(`malformed chat-completions reply (not JSON: ${(e as Error).message})`, false);
  }
  const choices = (reply as { choices?: unknown })?.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw new ChatError('malformed chat-completions reply (no choices)', false);
  const choice = choices[0] as { message?: { content?: unknown }; finish_reason?: unknown };
  const raw = choice?.message?.content;
  let content: string;
  if (typeof raw === 'string') content = raw;
  else if (Array.isArray(raw)) content = raw.map((p) => (typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text : '')).join('');
  else throw new ChatError('malformed chat-completions reply (choices[0].message.content is not text)', false);
  return { content, usage: usageOf(reply), finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null };
}

/** usage.prompt_tokens / completion_tokens of any chat-completions reply body; null when absent. */
export function usageOf(reply: unknown): ChatUsage | null {
  const u = (reply as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!u || typeof u !== 'object') return null;
  const p = Number(u.prompt_tokens);
  const c = Number(u.completion_tokens);
  if (!Number.isFinite(p) && !Number.isFinite(c)) return null;
  return { promptTokens: Number.isFinite(p) ? p : 0, completionTokens: Number.isFinite(c) ? c : 0 };
}

export class ChatClient {
  readonly url: string;
  readonly model: string;
  readonly #apiKey: string | undefined;
  private readonly o: Required<Omit<ChatClientOptions, 'apiKey' | 'signal'>>;
  private readonly signal: AbortSignal | undefined;

  constructor(options: ChatClientOptions) {
    if (!options.baseUrl) throw new Error('ChatClient: an endpoint URL is required (e.g. http://localhost:8000/v1)');
    if (!options.model) throw new Error('ChatClient: a model name is required');
    this.url = chatUrl(options.baseUrl);
    this.model = options.model;
    this.#apiKey = options.apiKey || undefined;
    this.signal = options.signal;
    this.o = {
      baseUrl: options.baseUrl,
      model: options.model,
      temperature: options.temperature ?? CHAT_DEFAULTS.temperature,
      maxTokens: options.maxTokens ?? CHAT_DEFAULTS.maxTokens,
      timeoutMs: options.timeoutMs ?? CHAT_DEFAULTS.timeoutMs,
      retries: options.retries ?? CHAT_DEFAULTS.retries,
      backoffMs: options.backoffMs ?? CHAT_DEFAULTS.backoffMs,
      maxBackoffMs: options.maxBackoffMs ?? CHAT_DEFAULTS.maxBackoffMs,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      now: options.now ?? (() => Date.now()),
      random: options.random ?? Math.random,
    };
  }

  /** Never exposes the key. */
  toJSON(): object {
    return { url: this.url, model: this.model };
  }

  /** The request body (also what the journal key hashes). */
  body(messages: ChatMessage[]): string {
    return JSON.stringify({ model: this.model, messages, temperature: this.o.temperature, max_tokens: this.o.maxTokens });
  }

  async complete(messages: ChatMessage[]): Promise<ChatReply> {
    const body = this.body(messages);
    const { retries, backoffMs, maxBackoffMs, random, sleep } = this.o;
    let attempts = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.once(body);
        attempts += reply.replayed ? 0 : 1;
        return { ...reply, attempts };
      } catch (e) {
        attempts++;
        if (!(e instanceof ChatError)) throw e; // a journal that cannot be written stops the run: not a retry
        const error = e;
        if (!error.retryable || attempt >= retries || this.signal?.aborted) {
          throw new ChatError(`${error.message}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`, false, error.status);
        }
        const backoff = Math.min(maxBackoffMs, backoffMs * 2 ** attempt) * (1 + 0.5 * random());
        // Retry-After is honoured in full: waiting less than the server asks only earns another 429.
        await sleep(Math.max(backoff, error.retryAfterMs ?? 0));
      }
    }
  }

  private async once(body: string): Promise<Omit<ChatReply, 'attempts'>> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (this.#apiKey) headers.Authorization = `Bearer ${this.#apiKey}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.o.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.o.fetch(this.url, { method: 'POST', headers, body, signal: controller.signal });
      text = await response.text();
    } catch (e) {
      if ((e as Error)?.name === 'JournalWriteError') throw e;
      if (controller.signal.aborted) throw new ChatError(`generation request timed out after ${this.o.timeoutMs} ms`, true);
      throw new ChatError(`generation request failed: ${(e as Error)?.message ?? String(e)}`, true);
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 429 || response.status >= 500) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), this.o.now());
      throw new ChatError(`generation endpoint answered HTTP ${response.status}`, true, response.status, retryAfter ?? undefined);
    }
    if (!response.ok) throw new ChatError(`generation endpoint answered HTTP ${response.status}: ${text.slice(0, 200)}`, false, response.status);
    return { ...parseChatReply(text), replayed: response.headers.get(REPLAYED_HEADER) === '1' };
  }
}
