// Perception judges: the paper's prompt, the HTTP judge against a local chat-completions server on
// 127.0.0.1 (success, timeout, 5xx, 429, malformed replies, cache, concurrency), the rule and field judges.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildJudgeRequest,
  createJudge,
  FieldJudge,
  HttpJudge,
  judgeCacheKey,
  judgeCorrectAnswer,
  judgePrompt,
  judgeQuestion,
  mentions,
  MemoryJudgeCache,
  normalizeOptions,
  parseJudgement,
  RuleJudge,
} from '../../src/rewards/judge';
import type { JudgeRequest, RolloutRecord } from '../../src/rewards/types';

const RECORD: RolloutRecord = {
  problem_id: 2,
  problem: 'What appears on the screen during the ascent?',
  problem_type: 'multiple choice',
  options: ['A. A subscription notification', 'B. A military command', 'C. A warning message'],
  solution: '<answer>B</answer>',
  data_type: 'video',
  output: '',
};

function request(observation: string, record: RolloutRecord = RECORD): JudgeRequest {
  return buildJudgeRequest(record, observation);
}

describe('the judge prompt', () => {
  it('fills the paper template with the data type, the question with options, the letter plus option text and the stripped observation', () => {
    const prompt = judgePrompt(request('  Based on the question, I need to notice the text.  '));
    expect(prompt).toBe(
      'You will receive a question, its correct answer, and a set of observations extracted from video. Your task is to decide—strictly based on the observations—whether the correct answer can be deduced. Do **not** assume any information beyond what is provided.\n' +
        '### Question\nWhat appears on the screen during the ascent?Options:\nA. A subscription notification\nB. A military command\nC. A warning message\n\n' +
        '### Correct Answer\nB. A military command\n' +
        '### Observations\nBased on the question, I need to notice the text.\n' +
        '### Instruction\n1. Carefully read the question and the correct answer.\n2. Briefly explain whether (and how) the observations support the correct answer.\n' +
        '3. Finally output your judgement, either <judgement>Yes</judgement> or <judgement>No</judgement>.',
    );
  });

  it('does not substitute placeholders that appear inside the observation', () => {
    expect(judgePrompt(request('I see {Question} written on a sign'))).toContain('I see {Question} written on a sign');
  });

  it('passes the plain ground truth for other problem types and the problem alone as the question', () => {
    const rec = { ...RECORD, problem_type: 'numerical', options: [], solution: '<answer> 3.5 </answer>' };
    expect(judgeQuestion(rec)).toBe(RECORD.problem);
    expect(judgeCorrectAnswer(rec)).toBe('3.5');
  });

  it('reads options given as a JSON string, a Python list literal or one per line', () => {
    expect(normalizeOptions('["A. x", "B. y"]')).toEqual(['A. x', 'B. y']);
    expect(normalizeOptions("['A. it\\'s', \"B. y\"]")).toEqual(["A. it's", 'B. y']);
    expect(normalizeOptions('A. x\nB. y\n')).toEqual(['A. x', 'B. y']);
    expect(normalizeOptions(undefined)).toEqual([]);
    expect(normalizeOptions('[]')).toEqual([]);
  });

  it('takes the last <judgement> tag, case-insensitively', () => {
    expect(parseJudgement('<judgement>No</judgement> ... on reflection <JUDGEMENT> yes </judgement>')).toBe(1);
    expect(parseJudgement('<judgement>Yes</judgement> then <judgement>no</judgement>')).toBe(0);
    expect(parseJudgement('Yes')).toBeNull();
  });

  it('keys the cache on question, answer, observation and model', () => {
    const a = judgeCacheKey('m', request('obs'));
    expect(judgeCacheKey('m', request('obs'))).toBe(a);
    expect(judgeCacheKey('m', request('obs2'))).not.toBe(a);
    expect(judgeCacheKey('m2', request('obs'))).not.toBe(a);
  });
});

// ---- a local chat-completions server ----------------------------------------------------------------

type Handler = (body: { model: string; messages: { role: string; content: string }[] }, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

let server: Server;
let baseUrl: string;
let handler: Handler;
let requests: { body: unknown; authorization: string | undefined }[];
let inFlight = 0;
let maxInFlight = 0;

function reply(res: ServerResponse, content: string, status = 200) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const body = JSON.parse(data);
      requests.push({ body, authorization: req.headers.authorization });
      try {
        await handler(body, req, res);
      } finally {
        inFlight--;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
  inFlight = 0;
  maxInFlight = 0;
  handler = (_body, _req, res) => reply(res, 'The observations mention the command. <judgement>Yes</judgement>');
});

const noSleep = async () => {};

describe('HttpJudge', () => {
  it('sends the judge prompt to /chat/completions with the key and reads a Yes', async () => {
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', apiKey: 'sk-test-secret', sleep: noSleep });
    const v = await judge.judge(request('Based on the question, I need to notice the screen text: a military command.'));
    expect(v.verdict).toBe(1);
    expect(v.error).toBeUndefined();
    expect(requests).toHaveLength(1);
    const body = requests[0].body as { model: string; messages: { role: string; content: string }[]; temperature: number };
    expect(body.model).toBe('judge-1');
    expect(body.temperature).toBe(0);
    expect(body.messages[0].role).toBe('user');
    expect(body.messages[0].content).toContain('### Correct Answer\nB. A military command');
    expect(requests[0].authorization).toBe('Bearer sk-test-secret');
    expect(judge.stats).toMatchObject({ calls: 1, cacheHits: 0, failures: 0, requests: 1 });
  });

  it('never exposes the API key when the judge is serialised', () => {
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', apiKey: 'sk-test-secret' });
    expect(JSON.stringify(judge)).not.toContain('sk-test-secret');
    expect(Object.values(judge).map(String).join(' ')).not.toContain('sk-test-secret');
  });

  it('reads a No and answers a repeated question from the cache without a second request', async () => {
    handler = (_b, _r, res) => reply(res, '<judgement>No</judgement>');
    const cache = new MemoryJudgeCache();
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', cache, sleep: noSleep });
    expect((await judge.judge(request('nothing useful'))).verdict).toBe(0);
    expect((await judge.judge(request('nothing useful'))).verdict).toBe(0);
    expect(requests).toHaveLength(1);
    expect(cache.size).toBe(1);
    expect(judge.stats).toMatchObject({ calls: 2, cacheHits: 1, failures: 0 });
  });

  it('gives verdict 0 with an error when the endpoint does not answer within the timeout', async () => {
    handler = async (_b, _r, res) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      if (!res.destroyed) reply(res, '<judgement>Yes</judgement>');
    };
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', timeoutMs: 50, retries: 1, sleep: noSleep });
    const v = await judge.judge(request('obs'));
    expect(v.verdict).toBe(0);
    expect(v.error).toMatch(/timed out after 50 ms \(after 2 attempts\)/);
    expect(judge.stats).toMatchObject({ calls: 1, failures: 1, requests: 2 });
  });

  it('retries a 500 with exponential backoff and jitter, then scores 0 and counts the failure', async () => {
    handler = (_b, _r, res) => {
      res.writeHead(500);
      res.end('boom');
    };
    const sleeps: number[] = [];
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', retries: 3, backoffMs: 100, random: () => 1, sleep: async (ms) => void sleeps.push(ms) });
    const v = await judge.judge(request('obs'));
    expect(v).toMatchObject({ verdict: 0, error: expect.stringMatching(/HTTP 500.*4 attempts/) });
    expect(requests).toHaveLength(4);
    expect(sleeps).toEqual([150, 300, 600]);
    expect(judge.stats.failures).toBe(1);
  });

  it('recovers when a 429 or a 503 is followed by a good reply, and does not cache failures', async () => {
    let n = 0;
    handler = (_b, _r, res) => {
      n++;
      if (n === 1) {
        res.writeHead(429, { 'Retry-After': '0' });
        res.end();
      } else if (n === 2) {
        res.writeHead(503);
        res.end();
      } else reply(res, '<judgement>Yes</judgement>');
    };
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', retries: 2, sleep: noSleep });
    const v = await judge.judge(request('obs'));
    expect(v.verdict).toBe(1);
    expect(requests).toHaveLength(3);
    expect(judge.stats.failures).toBe(0);
  });

  it('does not retry a 401', async () => {
    handler = (_b, _r, res) => {
      res.writeHead(401);
      res.end('bad key');
    };
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', retries: 3, sleep: noSleep });
    const v = await judge.judge(request('obs'));
    expect(v.verdict).toBe(0);
    expect(v.error).toMatch(/HTTP 401/);
    expect(requests).toHaveLength(1);
  });

  it('scores 0 with an error on a malformed reply or a reply without a judgement', async () => {
    handler = (_b, _r, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"choices": [');
    };
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', retries: 0, sleep: noSleep });
    expect(await judge.judge(request('obs a'))).toMatchObject({ verdict: 0, error: expect.stringMatching(/malformed chat-completions reply/) });
    handler = (_b, _r, res) => reply(res, 'I think yes.');
    expect(await judge.judge(request('obs b'))).toMatchObject({ verdict: 0, error: expect.stringMatching(/no <judgement>/) });
    expect(judge.stats.failures).toBe(2);
  });

  it('keeps at most `concurrency` requests in flight and shares identical requests in flight', async () => {
    handler = async (_b, _r, res) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      reply(res, '<judgement>Yes</judgement>');
    };
    const judge = new HttpJudge({ baseUrl, model: 'judge-1', concurrency: 2, sleep: noSleep });
    const verdicts = await Promise.all([...Array.from({ length: 6 }, (_, i) => judge.judge(request(`obs ${i}`))), judge.judge(request('obs 0'))]);
    expect(verdicts.every((v) => v.verdict === 1)).toBe(true);
    expect(requests).toHaveLength(6);
    expect(maxInFlight).toBe(2);
  });

  it('accepts a base URL that already ends in /chat/completions, and an injected fetch', async () => {
    const seen: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response(JSON.stringify({ choices: [{ message: { content: [{ type: 'text', text: '<judgement>yes</judgement>' }] } }] }), { status: 200 });
    };
    const judge = new HttpJudge({ baseUrl: 'http://127.0.0.1:9/v1/chat/completions/', model: 'm', fetch: fakeFetch });
    expect((await judge.judge(request('x'))).verdict).toBe(1);
    expect(seen).toEqual(['http://127.0.0.1:9/v1/chat/completions']);
  });
});

describe('RuleJudge', () => {
  const facts = [
    { id: 'color', text: 'the circle is red', mentions: [['red', 'crimson'], ['circle', 'disc']] },
    { id: 'motion', text: 'it moves left', mentions: [['moves left', 'moving left', 'leftward']] },
  ];
  const rec = { ...RECORD, facts };

  it('says sufficient when every fact is stated, case-insensitively', async () => {
    const v = await new RuleJudge().judge(request('Based on the question, I need to notice a CRIMSON Disc   moving\nleft.', rec));
    expect(v).toEqual({ verdict: 1, explanation: 'all 2 facts stated' });
  });

  it('lists the missing facts and matches whole words only', async () => {
    const v = await new RuleJudge().judge(request('A reddish circle moves left.', rec));
    expect(v.verdict).toBe(0);
    expect(v.explanation).toBe('missing 1 of 2 facts: color (the circle is red)');
    expect(mentions('a red-circle', 'red')).toBe(true);
    expect(mentions('bored', 'red')).toBe(false);
  });

  it('gives verdict 0 with an error when the record has no facts', async () => {
    const judge = new RuleJudge();
    const v = await judge.judge(request('anything'));
    expect(v.verdict).toBe(0);
    expect(v.error).toMatch(/no scene facts/);
    expect(judge.stats).toMatchObject({ calls: 1, failures: 1 });
  });
});

describe('FieldJudge', () => {
  it.each([
    [1, 1],
    [0, 0],
    [true, 1],
    [false, 0],
    ['yes', 1],
    [' No ', 0],
    ['Reasoning... <judgement>Yes</judgement>', 1],
    ['<judgement>Yes</judgement> <judgement>No</judgement>', 0],
  ])('reads %j as verdict %i', async (value, expected) => {
    const v = await new FieldJudge('judge_verdict').judge(request('obs', { ...RECORD, judge_verdict: value }));
    expect(v).toEqual({ verdict: expected });
  });

  it('gives verdict 0 with an error for a missing or unreadable field', async () => {
    const judge = new FieldJudge('judge_verdict');
    expect((await judge.judge(request('obs'))).error).toMatch(/no field 'judge_verdict'/);
    expect((await judge.judge(request('obs', { ...RECORD, judge_verdict: 'maybe' }))).error).toMatch(/holds no verdict/);
    expect(judge.stats).toMatchObject({ calls: 2, failures: 2 });
  });
});

describe('createJudge', () => {
  it('builds each judge from its spec', () => {
    expect(createJudge('rules')).toBeInstanceOf(RuleJudge);
    const field = createJudge('field:sufficient');
    expect(field).toBeInstanceOf(FieldJudge);
    expect(field.name).toBe('field:sufficient');
    expect(createJudge('http', { http: { baseUrl, model: 'm' } })).toBeInstanceOf(HttpJudge);
  });

  it('refuses an unknown spec and http without options', () => {
    expect(() => createJudge('claude')).toThrow(/unknown judge 'claude'/);
    expect(() => createJudge('http')).toThrow(/baseUrl, model/);
  });
});
