// `npm run dataset -- import` (scripts/dataset.ts) against the page's import on one fixture: the
// datasets store's importFiles (what the Import button runs) and the CLI, on the same file and
// media folder, give the same counts and the same issue report line for line. Plus the CLI's
// exit status 2 with a message naming the file on bad paths and write errors.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetsStore } from '../../src/store/datasets';

const TSX = join(process.cwd(), 'node_modules/.bin/tsx');

function cli(...args: string[]) {
  const r = spawnSync(TSX, ['scripts/dataset.ts', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fixture(): string {
  const types = ['multiple choice', 'numerical', 'OCR', 'free-form', 'regression'];
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    const t = types[i % 5];
    const r: Record<string, unknown> = { problem_id: i, problem: `问题 ${i}: what happens?`, data_type: 'video', problem_type: t, options: t === 'multiple choice' ? "['A. yes', 'B. no']" : [], solution: t === 'multiple choice' ? 'A' : String(i), path: `./clips/${i}.mp4`, data_source: 'fixture' };
    if (i === 17) delete r.solution;
    if (i === 33) r.problem_type = 'essay';
    if (i === 50) r.problem = 7;
    if (i % 40 === 39) r.path = ''; // text-only records: no media to look for
    lines.push(i === 70 ? '{"problem_id": 70, "problem": "trunc' : JSON.stringify(r));
  }
  return lines.join('\n') + '\n';
}

describe('the dataset CLI and the page on one fixture', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'p2r-dataset-cli-'));
    writeFileSync(join(dir, 'fixture.jsonl'), fixture());
    // Media folder: none of the fixture's clips (Node decodes no video), one unrelated file.
    mkdirSync(join(dir, 'media', 'clips'), { recursive: true });
    writeFileSync(join(dir, 'media', 'clips', 'other.mp4'), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const policy of ['skip', 'keep'] as const) {
    it(`gives the page's counts and report with missing media (${policy})`, async () => {
      const report = join(dir, `report-${policy}.jsonl`);
      const r = cli('import', join(dir, 'fixture.jsonl'), '--media-dir', join(dir, 'media'), '--on-media-error', policy, '--report', report, '--json');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const counts = JSON.parse(r.stdout);

      const text = readFileSync(join(dir, 'fixture.jsonl'));
      const file = new File([text], 'fixture.jsonl');
      const media = new File(['x'], 'other.mp4');
      const store = datasetsStore.getState();
      await store.importFiles({ files: [file], mediaFiles: [media], onMediaError: policy, shardSamples: 16 });
      const m = datasetsStore.getState().datasets.find((d) => d.name === 'fixture.jsonl')!;
      expect(m.progress.state).toBe('complete');
      expect({ imported: counts.imported, skipped: counts.skipped, keptWithoutMedia: counts.keptWithoutMedia, byReason: counts.byReason, records: counts.records }).toEqual({
        imported: m.progress.imported,
        skipped: m.progress.skipped,
        keptWithoutMedia: m.progress.keptWithoutMedia,
        byReason: m.progress.byReason,
        records: m.progress.cursor,
      });
      // Fixed by the fixture, so the comparison is not between two empty reports.
      expect(m.progress.byReason).toMatchObject({ MissingField: 1, UnknownProblemType: 1, InvalidField: 1, InvalidJson: 1, MediaMissing: 113 });
      expect(m.progress.imported).toBe(policy === 'skip' ? 3 : 116);
      const pageLines = (await (await store.issueReport(m.id)).text()).trimEnd().split('\n');
      expect(readFileSync(report, 'utf8').trimEnd().split('\n')).toEqual(pageLines);
      expect(pageLines.length).toBe(117);
      await store.remove(m.id);
    }, 60_000); // a tsx process start: seconds on a loaded machine
  }

  it('exits 2 naming the file on a missing input, a media folder that is a file, an unwritable report, and a write error', () => {
    const missing = cli('import', join(dir, 'nope.jsonl'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'nope.jsonl')} does not exist`);
    const badMedia = cli('import', join(dir, 'fixture.jsonl'), '--media-dir', join(dir, 'fixture.jsonl'));
    expect(badMedia.status).toBe(2);
    expect(badMedia.stderr).toContain(`--media-dir ${join(dir, 'fixture.jsonl')} is a file`);
    const noFolder = cli('import', join(dir, 'fixture.jsonl'), '--report', join(dir, 'no', 'such', 'r.jsonl'));
    expect(noFolder.status).toBe(2);
    expect(noFolder.stderr).toContain(join(dir, 'no', 'such', 'r.jsonl'));
    const r = spawnSync(TSX, ['scripts/dataset.ts', 'import', join(dir, 'fixture.jsonl'), '--report', join(dir, 'failing.jsonl')], { encoding: 'utf8', env: { ...process.env, P2R_INJECT_WRITE_ERROR: 'failing' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/writing .*failing\.jsonl failed: EIO/);
    expect(existsSync(join(dir, 'failing.jsonl'))).toBe(false);
    const gz = join(dir, 'notgzip.json.gz');
    writeFileSync(gz, '[{}]');
    const bad = cli('import', gz);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('DecompressionFailed: notgzip.json.gz');
  }, 120_000); // five tsx process starts
});
