// The CoT pipeline's pure parts (src/data/cot/): the prompt and message, the chat client's retries
// (backoff with jitter, Retry-After as seconds and as a date, timeouts), verification by the task
// metric, the journal (replay instead of a second request; a failed write stops the run) and the
// ordered runner, all with an injected fetch and clock.

import { describe, expect, it } from 'vitest';
import { ChatClient, ChatError, parseRetryAfter } from '../../src/data/cot/chat';
import { GuardedJournal, journaledFetch, JournalWriteError, MemoryJournal, type FetchLike } from '../../src/data/cot/journal';
import { createCotPipeline, runCot, type CotItem, type CotOutcome } from '../../src/data/cot/pipeline';
import { cotMessages, cotPrompt } from '../../src/data/cot/prompt';
import { verifyCot } from '../../src/data/cot/verify';
import type { DataRecord } from '../../src/data/types';
import { startCotServer } from './cot_server';

const mc: DataRecord = { problem_id: 1, problem: 'Where does red go?', problem_type: 'multiple choice', options: ['A. up', 'B. left'], solution: '<answer>B</answer>', data_type: 'video', path: '', data_source: 't' };
const cot = (obs: string, ans: string) => `<observation>Based on the question, I need to notice ${obs}</observation> <think>Based on the observations, so ${ans}.</think><answer>${ans}</answer>`;

function okReply(content: string, usage = { prompt_tokens: 10, completion_tokens: 5 }): Response {
  return new Response(JSON.stringify({ choices: [{ message: { content }, finish_reason: 'stop' }], usage }), { status: 200 });
}

describe('CoT prompt', () => {
  it('fills the paper template with the question and options and appends the type hint unless turned off', () => {
    const p = cotPrompt(mc);
    expect(p.startsWith('Where does red go?Options:\nA. up\nB. left\n You are required to answer')).toBe(true);
    expect(p.endsWith('Please provide only the single option letter (e.g., A, B, C, D, etc.) within the <answer> </answer> tags.')).toBe(true);
    expect(cotPrompt(mc, { typeHint: false }).endsWith('<answer> [Insert your final answer here.] </answer>')).toBe(true);
    // A question holding '$&' or '{Question}' is inserted literally.
    expect(cotPrompt({ ...mc, problem: 'cost $& {Question}?', problem_type: 'free-form', options: [] }).startsWith('cost $& {Question}? You are')).toBe(true);
  });

  it('sends frames as image_url data URLs before the text, and text alone without frames', () => {
    const [withImages] = cotMessages('Q', [{ mime: 'image/jpeg', bytes: new Uint8Array([255, 216, 255]) }]);
    expect(withImages.content).toEqual([
      { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } },
      { type: 'text', text: 'Q' },
    ]);
    expect(cotMessages('Q', [])).toEqual([{ role: 'user', content: 'Q' }]);
  });
});

describe('CoT verification', () => {
  it('discards a broken template with the issues and a wrong answer with its score', () => {
    const broken = verifyCot(mc, '<think>x</think><answer>B</answer>');
    expect(broken).toMatchObject({ ok: false, reason: 'template', score: null });
    expect(broken.issues).toContain('missing <observation>');
    expect(verifyCot(mc, cot('red', 'A'))).toMatchObject({ ok: false, reason: 'answer', score: 0 });
    expect(verifyCot(mc, cot('red', 'B'))).toMatchObject({ ok: true, score: 1, observation: 'Based on the question, I need to notice red' });
    expect(verifyCot(mc, '<observation> </observation> <think>t</think><answer>B</answer>')).toMatchObject({ ok: false, reason: 'template' });
  });

  it('scores OCR by 1 − WER and free-form by ROUGE against configurable thresholds', () => {
    const ocr: DataRecord = { ...mc, problem_type: 'OCR', options: [], solution: '<answer>the quick brown fox jumps</answer>' };
    // one substitution in five words: 1 − 1/5 = 0.8
    expect(verifyCot(ocr, cot('text', 'the quick brown cat jumps')).score).toBeCloseTo(0.8, 12);
    expect(verifyCot(ocr, cot('text', 'the quick brown cat jumps'), { thresholds: { OCR: 0.9 } })).toMatchObject({ ok: false, reason: 'answer', threshold: 0.9 });
    expect(verifyCot(ocr, cot('text', 'the quick brown cat jumps')).ok).toBe(true);
    const free: DataRecord = { ...mc, problem_type: 'free-form', options: [], solution: '<answer>red and blue move the same way</answer>' };
    const partial = verifyCot(free, cot('both', 'red moves left'));
    expect(partial.score!).toBeGreaterThan(0);
    expect(partial.score!).toBeLessThan(0.6);
    expect(partial.reason).toBe('answer');
    expect(verifyCot(free, cot('both', 'red moves left'), { thresholds: { 'free-form': partial.score! } }).ok).toBe(true);
    const num: DataRecord = { ...mc, problem_type: 'numerical', options: [], solution: '<answer>3</answer>' };
    expect(verifyCot(num, cot('3', '3')).ok).toBe(true);
    expect(verifyCot(num, cot('3', '3.0')).ok).toBe(false);
  });
});

describe('chat client', () => {
  it('waits Retry-After (seconds or an HTTP date) on a 429, else backs off exponentially with jitter', async () => {
    const waits: number[] = [];
    const answers = [
      new Response('{}', { status: 429, headers: { 'Retry-After': '7' } }),
      new Response('{}', { status: 429, headers: { 'Retry-After': new Date(1_000_000 + 12_000).toUTCString() } }),
      new Response('busy', { status: 503 }),
      okReply('hi'),
    ];
    const client = new ChatClient({ baseUrl: 'http://x/v1/', model: 'm', retries: 3, backoffMs: 100, fetch: async () => answers.shift()!, sleep: async (ms) => void waits.push(ms), now: () => 1_000_000, random: () => 1 });
    const reply = await client.complete([{ role: 'user', content: 'q' }]);
    expect(reply).toMatchObject({ content: 'hi', attempts: 4, replayed: false, usage: { promptTokens: 10, completionTokens: 5 } });
    // attempt 0: max(100·1.5, 7000); attempt 1: max(200·1.5, 12000); attempt 2: 400·1.5 (no Retry-After)
    expect(waits).toEqual([7000, 12000, 600]);
    expect(parseRetryAfter('soon', 0)).toBeNull();
  });

  it('gives up after the retries with the last error, and does not retry a 400', async () => {
    let calls = 0;
    const failing = new ChatClient({ baseUrl: 'http://x', model: 'm', retries: 2, backoffMs: 1, fetch: async () => (calls++, new Response('', { status: 500 })), sleep: async () => undefined });
    await expect(failing.complete([])).rejects.toThrow('generation endpoint answered HTTP 500 (after 3 attempts)');
    expect(calls).toBe(3);
    calls = 0;
    const bad = new ChatClient({ baseUrl: 'http://x', model: 'm', retries: 2, fetch: async () => (calls++, new Response('bad model', { status: 400 })), sleep: async () => undefined });
    await expect(bad.complete([])).rejects.toThrow(/HTTP 400: bad model/);
    expect(calls).toBe(1);
  });

  it('times out a request that never answers', async () => {
    const server = await startCotServer();
    try {
      const client = new ChatClient({ baseUrl: server.url, model: 'm', timeoutMs: 100, retries: 0 });
      const error = await client.complete([{ role: 'user', content: 'Q-HANG' }]).catch((e) => e);
      expect(error).toBeInstanceOf(ChatError);
      expect(error.message).toBe('generation request timed out after 100 ms');
    } finally {
      await server.close();
    }
  });

  it('never serialises the key', () => {
    const client = new ChatClient({ baseUrl: 'http://x', model: 'm', apiKey: 'sk-secret' });
    expect(JSON.stringify(client)).not.toContain('sk-secret');
  });
});

describe('request journal', () => {
  it('answers a journaled request from the journal without sending it, and keys on the request content', async () => {
    const journal = new MemoryJournal();
    let sent = 0;
    const inner: FetchLike = async () => (sent++, okReply('a'));
    const events: boolean[] = [];
    const f = journaledFetch(inner, journal, (e) => events.push(e.replayed));
    const post = (body: string) => f('http://x/v1/chat/completions', { method: 'POST', body, headers: { Authorization: 'Bearer k1' } });
    expect(JSON.parse(await (await post('{"q":1}')).text()).choices[0].message.content).toBe('a');
    const again = await journaledFetch(inner, journal)('http://x/v1/chat/completions', { method: 'POST', body: '{"q":1}', headers: { Authorization: 'Bearer other' } });
    expect(again.headers.get('x-p2r-replayed')).toBe('1');
    expect(sent).toBe(1);
    await post('{"q":2}');
    expect(sent).toBe(2);
    expect(journal.map.size).toBe(2);
    expect(events).toEqual([false, false]);
  });

  it('keeps no failed answer (429, 500) so it is retried, and shares one call between identical requests in flight', async () => {
    const journal = new MemoryJournal();
    let sent = 0;
    const f = journaledFetch(async () => (sent++, await new Promise((r) => setTimeout(r, 10)), okReply('x')), journal);
    const body = { method: 'POST', body: '{"same":true}' };
    await Promise.all([f('http://x', body), f('http://x', body), f('http://x', body)]);
    expect(sent).toBe(1);
    const failing = journaledFetch(async () => new Response('', { status: 429 }), journal);
    expect((await failing('http://x', { method: 'POST', body: '{"other":1}' })).status).toBe(429);
    expect(journal.map.size).toBe(1);
  });
});

describe('runCot', () => {
  const settings = (url: string) => ({ generate: { baseUrl: url, model: 'g' }, judge: { baseUrl: url, model: 'j', backoffMs: 1 } });
  const item = (index: number, marker: string): CotItem => ({ index, record: { ...mc, problem_id: index, problem: `${marker} GT=B (#${index}) q` } });

  it('emits every record once, in input order, whatever order they finish in; a second run over the same journal sends nothing', async () => {
    const server = await startCotServer();
    const journal = new MemoryJournal();
    try {
      // Random per-request delays make later records finish first.
      const slow: FetchLike = async (u, i) => (await new Promise((r) => setTimeout(r, Math.random() * 30)), fetch(u, i));
      const items = Array.from({ length: 12 }, (_, i) => item(i, ['Q-OK', 'Q-WRONG', 'Q-VAGUE', 'Q-BROKEN'][i % 4]));
      const pipeline = createCotPipeline(settings(server.url), { journal, fetch: slow });
      const seen: [number, CotOutcome['status'], string | null][] = [];
      const complete = await runCot(items, pipeline, (it, o) => void seen.push([it.index, o.status, o.reason]), { concurrency: 4 });
      expect(complete).toBe(true);
      expect(seen.map((s) => s[0])).toEqual(items.map((i) => i.index));
      expect(seen.map((s) => s[2])).toEqual(items.map((_, i) => [null, 'answer', 'judge', 'template'][i % 4]));
      const sent = server.log.length;
      expect(pipeline.tally.snapshot()).toMatchObject({ records: 12, kept: 3, discarded: { template: 3, answer: 3, judge: 3 }, errors: 0, answered: sent, replayed: 0 });

      const again = createCotPipeline(settings(server.url), { journal });
      const seen2: string[] = [];
      await runCot(items, again, (_, o) => void seen2.push(o.status));
      expect(server.log.length).toBe(sent);
      expect(seen2).toEqual(seen.map((s) => s[1]));
      expect(again.tally.snapshot()).toMatchObject({ answered: 0, replayed: sent, tokens: 0 });
    } finally {
      await server.close();
    }
  });

  it('stops the run when the journal cannot be written, without sending another request', async () => {
    const server = await startCotServer();
    try {
      const full = { get: () => undefined, put: () => Promise.reject(new Error('ENOSPC: no space left on device')) };
      const pipeline = createCotPipeline(settings(server.url), { journal: full });
      const emitted: number[] = [];
      const error = await runCot([item(0, 'Q-OK'), item(1, 'Q-OK'), item(2, 'Q-OK')], pipeline, (it) => void emitted.push(it.index), { concurrency: 1 }).catch((e) => e);
      expect(error).toBeInstanceOf(JournalWriteError);
      expect(error.message).toContain('ENOSPC');
      expect(server.log).toHaveLength(1);
      expect(emitted).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('writes a record whose media cannot be loaded as an error, and goes on', async () => {
    const server = await startCotServer();
    try {
      const pipeline = createCotPipeline(settings(server.url), { journal: new GuardedJournal(new MemoryJournal()) });
      const out: [string, string | null][] = [];
      const items: CotItem[] = [{ ...item(0, 'Q-OK'), images: () => Promise.reject(new Error('a.mp4 is not in /media')) }, item(1, 'Q-OK'), { index: 2, record: null, problem: 'x.jsonl:3: invalid JSON' }];
      await runCot(items, pipeline, (_, o) => void out.push([o.status, o.reason]));
      expect(out).toEqual([
        ['error', 'media: a.mp4 is not in /media'],
        ['kept', null],
        ['error', 'x.jsonl:3: invalid JSON'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('stops at once when aborted mid-request: the cut request is not retried, its record neither counted nor emitted', async () => {
    let received: () => void = () => undefined;
    const first = new Promise<void>((r) => (received = r));
    const server = await startCotServer({ holdAfter: 1, onHold: () => received() });
    try {
      const controller = new AbortController();
      const pipeline = createCotPipeline({ generate: { baseUrl: server.url, model: 'g', timeoutMs: 60_000, retries: 3, backoffMs: 5_000 }, judge: { baseUrl: server.url, model: 'j', timeoutMs: 60_000, retries: 3, backoffMs: 5_000 } }, { journal: new MemoryJournal(), signal: controller.signal });
      const out: [number, string][] = [];
      const t0 = Date.now();
      const running = runCot([item(0, 'Q-OK'), item(1, 'Q-OK'), item(2, 'Q-OK')], pipeline, (it, o) => void out.push([it.index, o.status]), { concurrency: 1, signal: controller.signal });
      await first; // record 0's generation answered, its judge request held
      controller.abort();
      expect(await running).toBe(false);
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(out).toEqual([]);
      expect(pipeline.tally.snapshot()).toMatchObject({ records: 0, errors: 0 });
      expect(server.log.map((r) => r.kind)).toEqual(['generate', 'judge']);
    } finally {
      await server.close();
    }
  });

  it('stops taking records when aborted and reports the run as incomplete', async () => {
    const server = await startCotServer({ delayMs: 20 });
    try {
      const pipeline = createCotPipeline(settings(server.url), { journal: new MemoryJournal() });
      const controller = new AbortController();
      const out: number[] = [];
      const complete = await runCot(
        Array.from({ length: 10 }, (_, i) => item(i, 'Q-OK')),
        pipeline,
        (it) => {
          out.push(it.index);
          if (it.index === 1) controller.abort();
        },
        { concurrency: 1, signal: controller.signal },
      );
      expect(complete).toBe(false);
      expect(out).toEqual([0, 1]);
    } finally {
      await server.close();
    }
  });
});
