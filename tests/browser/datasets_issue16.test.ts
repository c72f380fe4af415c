// Issue 16 end to end in Chromium: a bad record behind 210 missing media is one filter away, the
// exported report equals the CLI's (same counts on the same fixture and media folder), a new import
// does not show the previous job's summary, and a second import of the same content asks before
// importing (open / copy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, screenshot, sharedBrowser } from './browser';

const SYNTHETIC = 'dataset-card-synthetic-default';
const imported = '[data-testid^="dataset-card-"]:not([data-testid="dataset-card-synthetic-default"])';

function record(i: number, path: string, extra: Record<string, unknown> = {}) {
  return { problem_id: i, problem: `Which colour is shown in ${i}?`, data_type: 'image', problem_type: 'numerical', solution: `<answer>${i}</answer>`, path, data_source: 'issue16', ...extra };
}

/** Records 1..210: missing images; 211: no solution; 212..215: images in the folder; then one broken line. */
function noisy(): string {
  const lines = Array.from({ length: 215 }, (_, k) => {
    const i = k + 1;
    if (i === 211) {
      const { solution: _, ...r } = record(i, './images/x.png');
      return JSON.stringify(r);
    }
    return JSON.stringify(record(i, i <= 210 ? `./images/missing-${i}.png` : `./images/${i}.png`));
  });
  lines.push('{"problem_id": 216, "problem": "cut');
  return lines.join('\n') + '\n';
}

describe('dataset imports at Video-R1 scale (issue 16)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'p2r-issue16-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await (await sharedBrowser()).close();
  });

  it('finds the skipped record behind media noise, exports the CLI report, clears a stale summary, and asks before importing the same content twice', async () => {
    const { page, errors, close } = await openApp('?syntheticVideos=1&importPace=30#/datasets');
    await page.locator(`[data-testid="${SYNTHETIC}"][data-state="complete"]`).waitFor({ timeout: 60_000 });
    const png = await page.evaluate(async () => {
      const c = new OffscreenCanvas(64, 48);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#0a0';
      ctx.fillRect(0, 0, 64, 48);
      const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
      return btoa(String.fromCharCode(...bytes));
    });
    const folder = join(dir, 'Video-R1-data');
    mkdirSync(join(folder, 'images'), { recursive: true });
    for (const i of [212, 213, 214, 215]) writeFileSync(join(folder, 'images', `${i}.png`), Buffer.from(png, 'base64'));
    const source = join(dir, 'noisy.jsonl');
    writeFileSync(source, noisy());

    // The CLI on the fixture.
    const report = join(dir, 'cli-report.jsonl');
    const run = spawnSync(join(process.cwd(), 'node_modules/.bin/tsx'), ['scripts/dataset.ts', 'import', source, '--media-dir', folder, '--on-media-error', 'keep', '--report', report, '--json'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const cli = JSON.parse(run.stdout);
    expect(cli).toMatchObject({ imported: 214, skipped: 2, keptWithoutMedia: 210, byReason: { MediaMissing: 210, MissingField: 1, InvalidJson: 1 } });

    // The page on the same fixture and folder.
    await page.getByTestId('import-open').click();
    await page.getByTestId('import-files').setInputFiles(source);
    await page.getByTestId('import-media').setInputFiles(folder);
    await page.getByTestId('import-media-keep').check();
    await page.getByTestId('import-start').click();
    const summary = page.locator('[data-testid="import-summary"][data-name="noisy.jsonl"][data-state="complete"]');
    await summary.waitFor({ timeout: 60_000 });
    expect(Number(await summary.getByTestId('summary-imported').textContent())).toBe(cli.imported);
    expect(Number(await summary.getByTestId('summary-skipped').textContent())).toBe(cli.skipped);
    expect(await summary.textContent()).toContain(`${cli.keptWithoutMedia} kept without media`);
    for (const [code, n] of Object.entries(cli.byReason)) expect(await summary.textContent()).toContain(`${code} ×${n}`);

    // The skipped record, behind 210 MediaMissing: one filter away.
    await summary.locator('summary').click();
    await page.getByTestId('issue-kind').selectOption('MissingField');
    await expect.poll(() => summary.locator('.issues li').allTextContents()).toEqual([expect.stringMatching(/noisy\.jsonl:211 id 211 field solution \[MissingField, skipped\]/)]);
    await page.getByTestId('issue-kind').selectOption('MediaMissing');
    await expect.poll(() => summary.locator('.issues li').count()).toBe(200);
    await page.getByTestId('issue-more').click();
    await expect.poll(() => summary.locator('.issues li').count()).toBe(210);
    await screenshot(page, 'datasets-issue16-issues');

    // The exported report is the CLI's, line for line.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('issue-export').click()]);
    expect(download.suggestedFilename()).toBe('noisy.jsonl.issues.jsonl');
    await download.saveAs(join(dir, 'exported.jsonl')); // the browser is remote: path() is not available
    const exported = readFileSync(join(dir, 'exported.jsonl'), 'utf8');
    expect(exported).toBe(readFileSync(report, 'utf8'));
    expect(exported.trimEnd().split('\n').length).toBe(212);

    // A new import: the previous summary goes as soon as it starts.
    const other = Array.from({ length: 1200 }, (_, i) => JSON.stringify(record(1000 + i, ''))).join('\n');
    await page.getByTestId('import-open').click();
    await page.getByTestId('import-files').setInputFiles({ name: 'other.jsonl', mimeType: 'application/json', buffer: Buffer.from(other) });
    await page.getByTestId('import-shard-samples').fill('50');
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-progress').waitFor();
    expect(await page.getByTestId('import-summary').count()).toBe(0);
    await page.locator('[data-testid="import-summary"][data-name="other.jsonl"][data-state="complete"]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('import-summary').count()).toBe(1);
    await expect.poll(() => page.locator(imported).count()).toBe(2);

    // The same content again, under another name: asked, not imported.
    await page.getByTestId('import-open').click();
    await page.getByTestId('import-files').setInputFiles({ name: 'renamed.jsonl', mimeType: 'application/json', buffer: readFileSync(source) });
    await page.getByTestId('import-start').click();
    const prompt = page.getByTestId('import-duplicate');
    await prompt.waitFor();
    expect(await prompt.textContent()).toContain('noisy.jsonl');
    await screenshot(page, 'datasets-issue16-duplicate');
    await page.getByTestId('duplicate-open').click();
    await prompt.waitFor({ state: 'detached' });
    expect(await page.locator(imported).count()).toBe(2);
    // Again, as a copy under a new name.
    await page.getByTestId('import-open').click();
    await page.getByTestId('import-files').setInputFiles({ name: 'renamed.jsonl', mimeType: 'application/json', buffer: readFileSync(source) });
    await page.getByTestId('import-start').click();
    await prompt.waitFor();
    await page.getByTestId('duplicate-copy-name').fill('noisy copy');
    await page.getByTestId('duplicate-copy').click();
    await page.locator('[data-testid="import-summary"][data-name="noisy copy"][data-state="complete"]').waitFor({ timeout: 60_000 });
    expect(await page.locator(imported).count()).toBe(3);
    expect(errors).toEqual([]);
    await close();
  });
});
