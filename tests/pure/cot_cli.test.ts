// `npm run cot` (scripts/cot.ts) end to end against a local chat-completions server: success, a broken
// template, a wrong answer, a judge rejection, a 429 with Retry-After, a timeout, media as image_url
// data URLs, bad paths, and a run killed midway then resumed without any answered request sent again.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cotRecord, startCotServer } from './cot_server';
import { FileJournal } from '../../scripts/cot_files';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'p2r-cot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** The CLI as a direct child (node --import tsx), so a signal reaches the script itself. */
function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cot.ts', ...args], { cwd: ROOT, env: { ...process.env, OPENAI_API_KEY: '', JUDGE_API_KEY: '', ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
  return { child, done };
}

const runCli = (args: string[], env: Record<string, string> = {}) => startCli(args, env).done;

function jsonl(name: string, records: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

function readOut(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const endpoints = (url: string) => ['--endpoint', url, '--model', 'gen-model', '--judge-url', url, '--judge-model', 'judge-model'];

describe('npm run cot', () => {
  it('keeps a good CoT and discards a broken template, a wrong answer and a judge rejection, in input order', async () => {
    const server = await startCotServer({ delayMs: 5 });
    try {
      const media = join(dir, 'media');
      mkdirSync(join(media, 'imgs'), { recursive: true });
      writeFileSync(join(media, 'imgs', 'a.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
      const input = jsonl('mixed.jsonl', [
        cotRecord(1, 'Q-OK'),
        cotRecord(2, 'Q-BROKEN'),
        cotRecord(3, 'Q-WRONG'),
        cotRecord(4, 'Q-VAGUE'),
        cotRecord(5, 'Q-IMG', { path: './Video-R1-data/imgs/a.png', data_type: 'image', extra_field: 'kept' }),
        cotRecord(6, 'Q-429'),
      ]);
      const out = join(dir, 'mixed.out.jsonl');
      const run = await runCli(['--in', input, '--media-dir', media, '--out', out, ...endpoints(server.url), '--concurrency', '3', '--backoff', '10', '--price-per-1k', '2', '--judge-price-per-1k', '1', '--progress-every', '1'], { OPENAI_API_KEY: 'sk-gen', JUDGE_API_KEY: 'sk-judge' });
      expect(run.stderr).not.toMatch(/Error|at .*\.ts/);
      expect(run.code).toBe(0);
      const rows = readOut(out);
      expect(rows.map((r) => r.problem_id)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(rows.map((r) => [r.status, r.reason])).toEqual([
        ['kept', null],
        ['discarded', 'template'],
        ['discarded', 'answer'],
        ['discarded', 'judge'],
        ['kept', null],
        ['kept', null],
      ]);
      expect(rows[0].cot).toMatch(/^<observation>Based on the question/);
      expect(rows[4].extra_field).toBe('kept');
      expect((rows[2].verdicts as { answerScore: number }).answerScore).toBe(0);
      expect((rows[3].verdicts as { judge: number }).judge).toBe(0);

      // The image went as a data URL; the others as text only. Keys went to their own endpoint.
      const gens = server.log.filter((r) => r.kind === 'generate');
      const img = gens.find((r) => r.marker === 'Q-IMG')!;
      expect(img.imageUrls).toBe(1);
      expect(JSON.stringify(img.body)).toContain('data:image/png;base64,iVBORwECAw==');
      expect(gens.filter((r) => r.marker !== 'Q-IMG').every((r) => r.imageUrls === 0)).toBe(true);
      expect(gens.every((r) => r.authorization === 'Bearer sk-gen')).toBe(true);
      expect(server.log.filter((r) => r.kind === 'judge').every((r) => r.authorization === 'Bearer sk-judge')).toBe(true);
      expect(gens[0].body).toMatchObject({ model: 'gen-model', temperature: 0 });

      // The judge is asked only for CoTs that passed verification (1, 4, 5, 6).
      expect(server.log.filter((r) => r.kind === 'judge').map((r) => r.marker).sort()).toEqual(['Q-429', 'Q-IMG', 'Q-OK', 'Q-VAGUE']);

      // 429: retried once, after Retry-After (1 s) although the backoff was 10 ms.
      const tries = server.log.filter((r) => r.marker === 'Q-429' && r.kind === 'generate');
      expect(tries.map((r) => r.status)).toEqual([429, 200]);
      expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(950);

      // Progress: counts by outcome, tokens and cost (6 generations × 150 at 2/1k, 4 judge calls × 50 at 1/1k).
      const done = run.stderr.split('\n').find((l) => l.startsWith('cot: done'))!;
      expect(done).toContain('6/6 records: kept 3, discarded 3 (template 1, answer 1, judge 1), error 0');
      expect(run.stderr).toMatch(/^cot: \d\/6 records: .* records\/s, ETA /m);
      expect(done).toContain('tokens 1100');
      expect(done).toContain(`cost ≈ $${((6 * 150 * 2 + 4 * 50 * 1) / 1000).toFixed(4)}`);
      expect(run.stderr).not.toContain('sk-gen');
      expect(readFileSync(`${out}.journal`, 'utf8')).not.toMatch(/sk-gen|sk-judge/);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('writes a request that times out as an error with the reason, and exits 1', async () => {
    const server = await startCotServer();
    try {
      const input = jsonl('hang.jsonl', [cotRecord(1, 'Q-OK'), cotRecord(2, 'Q-HANG')]);
      const out = join(dir, 'hang.out.jsonl');
      const run = await runCli(['--in', input, '--out', out, ...endpoints(server.url), '--timeout', '300', '--retries', '1', '--backoff', '10']);
      expect(run.code).toBe(1);
      const rows = readOut(out);
      expect(rows.map((r) => r.status)).toEqual(['kept', 'error']);
      expect(rows[1].reason).toMatch(/timed out after 300 ms \(after 2 attempts\)/);
      expect(rows[1].cot).toBeNull();
      expect(server.log.filter((r) => r.marker === 'Q-HANG')).toHaveLength(2);
      expect(run.stderr).toContain('1 records ended in error');
    } finally {
      await server.close();
    }
  }, 60_000);

  it('resumes after a kill without sending any answered request again, and writes every record in order', async () => {
    let onHold: () => void = () => undefined;
    const holding = new Promise<void>((r) => (onHold = r));
    const first = await startCotServer({ holdAfter: 7, onHold: () => onHold() });
    const records = Array.from({ length: 8 }, (_, i) => cotRecord(i + 1, ['Q-OK', 'Q-WRONG', 'Q-VAGUE', 'Q-BROKEN'][i % 4]));
    const input = jsonl('resume.jsonl', records);
    const out = join(dir, 'resume.out.jsonl');
    const args = ['--in', input, '--out', out, '--concurrency', '1'];
    let firstLog: typeof first.log;
    const port = first.port;
    try {
      const cli = startCli([...args, ...endpoints(first.url)]);
      await holding;
      cli.child.kill('SIGKILL');
      const killed = await cli.done;
      expect(killed.signal).toBe('SIGKILL');
      expect(existsSync(out)).toBe(false);
      firstLog = [...first.log];
    } finally {
      await first.close();
    }
    const answeredBefore = new Set(firstLog.filter((r) => r.status === 200).map((r) => r.hash));
    expect(answeredBefore.size).toBe(7);

    // Same endpoint URL as before (the journal keys on it), a fresh server that logs from zero.
    const second = await startCotServer({ port });
    try {
      const run = await runCli([...args, ...endpoints(second.url)]);
      expect(run.code).toBe(0);
      // 7 answered requests, and records 1–4 finished whole.
      expect(run.stderr).toContain('11 entries (answered requests and finished records) are replayed');
      const sentAgain = second.log.filter((r) => answeredBefore.has(r.hash));
      expect(sentAgain).toEqual([]);
      // The one request held unanswered at the kill is sent again (it was never answered), then the rest.
      expect(second.log.length).toBeGreaterThan(0);
      expect(second.log[0].hash).toBe(firstLog[firstLog.length - 1].hash);
      expect(new Set(second.log.map((r) => r.hash)).size).toBe(second.log.length);
      const rows = readOut(out);
      expect(rows.map((r) => r.problem_id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(rows.map((r) => r.status)).toEqual(['kept', 'discarded', 'discarded', 'discarded', 'kept', 'discarded', 'discarded', 'discarded']);
      expect(rows.map((r) => r.reason)).toEqual([null, 'answer', 'judge', 'template', null, 'answer', 'judge', 'template']);
    } finally {
      await second.close();
    }

    // A third run with everything journaled sends nothing at all.
    const third = await startCotServer({ port });
    try {
      const run = await runCli([...args, ...endpoints(third.url)]);
      expect(run.code).toBe(0);
      expect(third.log).toEqual([]);
      expect(run.stderr).toContain('8 finished records replayed whole');
      expect(readOut(out)).toHaveLength(8);
    } finally {
      await third.close();
    }
  }, 90_000);

  it('reads a Video-R1 JSON list: video frames from a frame folder, a bad record written as an error at its place', async () => {
    const server = await startCotServer();
    try {
      const media = join(dir, 'media-list');
      mkdirSync(join(media, 'clips', 'v.mp4.frames'), { recursive: true });
      writeFileSync(join(media, 'clips', 'v.mp4'), 'not decoded');
      for (const [i, b] of [1, 2, 3, 4, 5].entries()) writeFileSync(join(media, 'clips', 'v.mp4.frames', `${String(i).padStart(3, '0')}.jpg`), Buffer.from([0xff, 0xd8, b]));
      const records = [cotRecord(1, 'Q-VID', { path: './clips/v.mp4' }), { problem_id: 2, problem: 'no type', solution: 'x' }, cotRecord(3, 'Q-GONE', { path: './clips/gone.mp4' })];
      const input = join(dir, 'list.json');
      writeFileSync(input, JSON.stringify(records, null, 2));
      const out = join(dir, 'list.out.jsonl');
      const run = await runCli(['--in', input, '--media-dir', media, '--frames', '3', '--out', out, ...endpoints(server.url)]);
      expect(run.code).toBe(1);
      const rows = readOut(out);
      expect(rows.map((r) => [r.problem_id, r.status])).toEqual([
        [1, 'kept'],
        [2, 'error'],
        [3, 'error'],
      ]);
      expect(rows[1].reason).toMatch(/^list\.json:\d+ \(field 'problem_type'\): The record has no 'problem_type'/);
      expect(rows[2].reason).toBe(`media: ./clips/gone.mp4 is not in ${media}`);
      const gen = server.log.find((r) => r.marker === 'Q-VID')!;
      // 3 of 5 frames, evenly spaced: the first, the middle and the last.
      const urls = JSON.stringify(gen.body).match(/data:image\/jpeg;base64,[^"]+/g);
      expect(urls).toEqual([1, 3, 5].map((b) => `data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, b]).toString('base64')}`));
      expect(server.log.some((r) => r.marker === 'Q-GONE')).toBe(false);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('fails with exit 2 naming the file when the output cannot be written (disk full), leaving OUT as it was', async () => {
    const server = await startCotServer();
    try {
      const input = jsonl('full.jsonl', [cotRecord(1, 'Q-OK'), cotRecord(2, 'Q-WRONG')]);
      const out = join(dir, 'full.out.jsonl');
      writeFileSync(out, 'previous complete output\n');
      symlinkSync('/dev/full', `${out}.partial`); // every write to the partial output hits ENOSPC
      const run = await runCli(['--in', input, '--out', out, ...endpoints(server.url)]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`writing ${out}.partial failed: ENOSPC`);
      expect(run.stderr).toContain(`${out} is unchanged`);
      expect(run.stderr).not.toContain('cot: done');
      expect(readFileSync(out, 'utf8')).toBe('previous complete output\n');
      expect(existsSync(`${out}.partial`)).toBe(false); // the partial output is deleted
      // The answers were journaled: a rerun once there is space pays for nothing again.
      const sent = server.log.length;
      const rerun = await runCli(['--in', input, '--out', out, ...endpoints(server.url)]);
      expect(rerun.code).toBe(0);
      expect(server.log.length).toBe(sent);
      expect(readOut(out).map((r) => r.status)).toEqual(['kept', 'discarded']);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('refuses a journal it cannot open with exit 2 naming it', async () => {
    const input = jsonl('journal.jsonl', [cotRecord(1, 'Q-OK')]);
    const out = join(dir, 'journal.out.jsonl');
    mkdirSync(`${out}.journal`);
    const server = await startCotServer();
    try {
      const run = await runCli(['--in', input, '--out', out, ...endpoints(server.url)]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`cannot open the journal ${out}.journal`);
      expect(server.log).toEqual([]);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('journal file: drops a last line cut off by a kill, and appends after it on a line of its own', async () => {
    const path = join(dir, 'cut.journal');
    writeFileSync(path, JSON.stringify({ k: 'a', r: '{"x":1}' }) + '\n' + '{"k":"b","r":"{\\"x');
    const journal = await FileJournal.open(path);
    expect(journal.entries).toBe(1);
    expect(journal.dropped).toBe(1);
    expect(await journal.get('a')).toBe('{"x":1}');
    expect(await journal.get('b')).toBeUndefined();
    await journal.put('c', '{"y":"é"}');
    expect(await journal.get('c')).toBe('{"y":"é"}');
    await journal.close();
    const again = await FileJournal.open(path);
    expect(again.entries).toBe(2);
    expect(again.dropped).toBe(0);
    expect(await again.get('c')).toBe('{"y":"é"}');
    await again.close();
    // Read in chunks smaller than a line: the same entries, at the same places.
    const small = await FileJournal.open(path, 7);
    expect([small.entries, small.dropped, await small.get('a'), await small.get('c')]).toEqual([2, 0, '{"x":1}', '{"y":"é"}']);
    await small.close();
  });

  it('refuses bad paths with exit 2 naming the file, before any request', async () => {
    const server = await startCotServer();
    try {
      const input = jsonl('paths.jsonl', [cotRecord(1, 'Q-OK')]);
      const missingIn = await runCli(['--in', join(dir, 'nope.jsonl'), '--out', join(dir, 'x.jsonl'), ...endpoints(server.url)]);
      expect(missingIn.code).toBe(2);
      expect(missingIn.stderr).toContain(`--in ${join(dir, 'nope.jsonl')}: no such file`);
      const badOut = await runCli(['--in', input, '--out', join(dir, 'no-folder', 'x.jsonl'), ...endpoints(server.url)]);
      expect(badOut.code).toBe(2);
      expect(badOut.stderr).toContain(`the folder ${join(dir, 'no-folder')} does not exist`);
      const outIsDir = await runCli(['--in', input, '--out', dir, ...endpoints(server.url)]);
      expect(outIsDir.code).toBe(2);
      expect(outIsDir.stderr).toContain(`--out ${dir} is a directory`);
      const badMedia = await runCli(['--in', input, '--media-dir', join(dir, 'no-media'), '--out', join(dir, 'y.jsonl'), ...endpoints(server.url)]);
      expect(badMedia.code).toBe(2);
      expect(badMedia.stderr).toContain(`--media-dir ${join(dir, 'no-media')}: no such folder`);
      expect(server.log).toEqual([]);
    } finally {
      await server.close();
    }
  }, 60_000);
});
