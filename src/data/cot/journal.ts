// Paid calls are never repeated: every answered request is written to a journal, keyed by a content
// hash of the request, BEFORE its answer is used; a resumed run replays answers from the journal
// instead of sending the request again. This works at the fetch level, so the generator's client and
// the rewards' HTTP judge (src/rewards/judge.ts) are journaled by the same wrapper, unchanged.
// Pure: crypto.subtle, Response (Node 20, workers, the page).

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Where answers are kept: a JSON Lines file in the CLI, IndexedDB in the app, a Map in tests. */
export interface RequestJournal {
  get(key: string): Promise<string | undefined> | string | undefined;
  /** Must resolve only once the answer is durably stored; a rejection stops the run (never silent). */
  put(key: string, body: string): Promise<void> | void;
}

/** A journal write failed: the run must stop (an answer that cannot be kept would be paid for again). */
export class JournalWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalWriteError';
  }
}

/**
 * Remembers the first failed write; once one failed, every later request is refused before it is
 * sent, so no further paid call is made whose answer could not be kept. The pipeline checks `failure`
 * after each record and stops the run with it.
 */
export class GuardedJournal implements RequestJournal {
  failure: JournalWriteError | null = null;
  constructor(readonly inner: RequestJournal) {}
  get(key: string) {
    return this.inner.get(key);
  }
  async put(key: string, body: string): Promise<void> {
    if (this.failure) throw this.failure;
    try {
      await this.inner.put(key, body);
    } catch (e) {
      this.failure = e instanceof JournalWriteError ? e : new JournalWriteError(`journal write failed: ${(e as Error)?.message ?? String(e)}`);
      throw this.failure;
    }
  }
}

export class MemoryJournal implements RequestJournal {
  readonly map = new Map<string, string>();
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  put(key: string, body: string): void {
    this.map.set(key, body);
  }
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The key of a request: SHA-256 of its URL, method and body. Headers are left out on purpose: the
 * Authorization header changes with the key, not with the question asked.
 */
export function requestKey(url: string, method: string, body: string): Promise<string> {
  return sha256Hex(JSON.stringify([url, method.toUpperCase(), body]));
}

/** Told of every answer used: fresh from the endpoint, or replayed from the journal. */
export interface JournalEvent {
  key: string;
  url: string;
  body: string;
  replayed: boolean;
}

/** The response header that marks a replayed answer (the generator's client reads it). */
export const REPLAYED_HEADER = 'x-p2r-replayed';

/**
 * `inner`, journaled: a POST whose key is in the journal is answered from it without a request; a
 * 2xx answer is stored before it is returned. Non-2xx answers (429, 5xx, 4xx) are not stored: they
 * did not answer the question and are retried or reported by the caller. Identical requests in
 * flight at once share one call.
 */
export function journaledFetch(inner: FetchLike, journal: RequestJournal, onAnswer?: (event: JournalEvent) => void): FetchLike {
  const pending = new Map<string, Promise<{ status: number; body: string; stored: boolean; response: Response }>>();
  const answer = (key: string, url: string, status: number, body: string, replayed: boolean): Response => {
    onAnswer?.({ key, url, body, replayed });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (replayed) headers[REPLAYED_HEADER] = '1';
    return new Response(body, { status, headers });
  };
  return async (url, init = {}) => {
    const method = init.method ?? 'GET';
    if (method.toUpperCase() !== 'POST' || typeof init.body !== 'string') return inner(url, init);
    if (journal instanceof GuardedJournal && journal.failure) throw journal.failure;
    const key = await requestKey(url, method, init.body);
    const stored = await journal.get(key);
    if (stored !== undefined) return answer(key, url, 200, stored, true);
    const shared = pending.get(key);
    if (shared !== undefined) {
      const r = await shared;
      if (r.stored) return answer(key, url, r.status, r.body, true);
    }
    const call = (async () => {
      const response = await inner(url, init);
      if (!response.ok) return { status: response.status, body: '', stored: false, response };
      const body = await response.text();
      await journal.put(key, body);
      return { status: response.status, body, stored: true, response };
    })();
    pending.set(key, call);
    try {
      const r = await call;
      if (!r.stored) return r.response;
      return answer(key, url, r.status, r.body, false);
    } finally {
      pending.delete(key);
    }
  };
}
