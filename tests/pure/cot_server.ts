// A local OpenAI-compatible chat-completions server for the CoT pipeline tests. It plays both the
// generator and the judge, decided by the prompt, and behaves by markers in the question:
//   Q-OK        a well-formed CoT with the right answer (the solution's)
//   Q-BROKEN    no <observation> segment
//   Q-WRONG     well-formed, answer 'Z'
//   Q-VAGUE     well-formed, right answer, observation 'INSUFFICIENT' (the judge says No)
//   Q-429       the first request gets 429 with Retry-After: 1, later ones Q-OK
//   Q-HANG      never answered (a timeout)
// The judge says Yes unless the observation contains INSUFFICIENT. Every request is logged.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  kind: 'generate' | 'judge';
  /** SHA-256 of the body: equal bodies are the same request. */
  hash: string;
  marker: string;
  at: number;
  status: number | null;
  imageUrls: number;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

export interface ServerOptions {
  /** Delay before each answer, ms. */
  delayMs?: number;
  /** After this many answered requests, hold every further one (never answer) and call onHold. */
  holdAfter?: number;
  onHold?: () => void;
  /** Listen on this port (a resumed run talks to the same endpoint URL), else any free one. */
  port?: number;
}

function promptText(body: { messages?: { content: unknown }[] }): { text: string; images: number } {
  const content = body.messages?.[0]?.content;
  if (typeof content === 'string') return { text: content, images: 0 };
  if (Array.isArray(content)) {
    const text = content.filter((p) => p.type === 'text').map((p) => p.text as string).join('');
    return { text, images: content.filter((p) => p.type === 'image_url').length };
  }
  return { text: '', images: 0 };
}

function reply(res: ServerResponse, content: string, usage = { prompt_tokens: 100, completion_tokens: 50 }): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }));
}

export async function startCotServer(initial: ServerOptions = {}) {
  const options = { ...initial };
  const log: LoggedRequest[] = [];
  const seen429 = new Set<string>();
  let answered = 0;
  let held = false;
  const hanging: ServerResponse[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const body = JSON.parse(raw) as { messages?: { content: unknown }[] };
    const { text, images } = promptText(body);
    const isJudge = text.includes('### Observations');
    const marker = /Q-[A-Z0-9]+/.exec(text)?.[0] ?? '?';
    const entry: LoggedRequest = { kind: isJudge ? 'judge' : 'generate', hash: createHash('sha256').update(raw).digest('hex'), marker, at: Date.now(), status: null, imageUrls: images, body: body as Record<string, unknown>, authorization: req.headers.authorization };
    log.push(entry);
    const answer = (f: () => void, status: number) => {
      if (options.holdAfter !== undefined && answered >= options.holdAfter) {
        if (!held) {
          held = true;
          options.onHold?.();
        }
        hanging.push(res);
        return;
      }
      setTimeout(() => {
        answered++;
        entry.status = status;
        f();
      }, options.delayMs ?? 0);
    };
    if (isJudge) {
      const observation = /### Observations\n([\s\S]*?)\n### Instruction/.exec(text)?.[1] ?? '';
      const yes = !observation.includes('INSUFFICIENT');
      return answer(() => reply(res, `The observations ${yes ? 'support' : 'do not support'} it. <judgement>${yes ? 'Yes' : 'No'}</judgement>`, { prompt_tokens: 40, completion_tokens: 10 }), 200);
    }
    const gt = /GT=([A-Za-z0-9]+)/.exec(text)?.[1] ?? 'A';
    const good = (obs: string, ans: string) => `<observation>Based on the question, I need to notice ${obs}</observation> <think>Based on the observations, the answer is ${ans}.</think><answer>${ans}</answer>`;
    switch (marker) {
      case 'Q-HANG':
        hanging.push(res);
        return;
      case 'Q-BROKEN':
        return answer(() => reply(res, `<think>I skipped the observation.</think><answer>${gt}</answer>`), 200);
      case 'Q-WRONG':
        return answer(() => reply(res, good('the scene.', 'Z')), 200);
      case 'Q-VAGUE':
        return answer(() => reply(res, good('INSUFFICIENT detail.', gt)), 200);
      case 'Q-429':
        if (!seen429.has(entry.hash)) {
          seen429.add(entry.hash);
          entry.status = 429;
          res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' });
          res.end('{"error":{"message":"rate limited"}}');
          return;
        }
        return answer(() => reply(res, good('the red square.', gt)), 200);
      default:
        return answer(() => reply(res, good(`the object for ${marker}.`, gt)), 200);
    }
  };

  const server = createServer((req, res) => {
    // The app calls the endpoint from its own origin: allow it, as a real endpoint must (CORS).
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type, Authorization', 'Access-Control-Max-Age': '600' });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404).end();
        return;
      }
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    port: (server.address() as AddressInfo).port,
    log,
    /** Stop holding: the held requests are dropped (never answered), later ones are answered. */
    release: () => {
      options.holdAfter = undefined;
      for (const r of hanging.splice(0)) r.destroy();
    },
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Video-R1 style record whose question carries a behaviour marker and its ground truth. */
export function cotRecord(id: number, marker: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    problem_id: id,
    problem: `${marker} GT=B (#${id}) What does the square do?`,
    problem_type: 'multiple choice',
    options: ['A. stays', 'B. moves left', 'C. moves right'],
    solution: '<answer>B</answer>',
    data_type: 'video',
    path: '',
    data_source: 'test',
    ...extra,
  };
}
