// The dataset layer end to end in Chromium's real IndexedDB: the synthetic default dataset, an import
// that survives a reload, and an import interrupted by closing the page then resumed.
import { afterAll, describe, expect, it, inject } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, screenshot, sharedBrowser } from './browser';

const SYNTHETIC = 'dataset-card-synthetic-default';

function jsonl(n: number, badEvery = 0): Buffer {
  const types = ['multiple choice', 'numerical', 'OCR', 'free-form', 'regression'];
  const lines = Array.from({ length: n }, (_, i) => {
    if (badEvery && i % badEvery === badEvery - 1) return `{"problem_id": ${i}, "problem": "truncated`;
    const t = types[i % 5];
    return JSON.stringify({
      problem_id: i,
      problem: `Question ${i}: what happens in the clip?`,
      data_type: 'video',
      problem_type: t,
      options: t === 'multiple choice' ? ['A. yes', 'B. no', 'C. maybe', 'D. unclear'] : [],
      solution: `<answer>${t === 'multiple choice' ? 'A' : i}</answer>`,
      path: `./clips/${i}.mp4`,
      data_source: i % 3 === 0 ? 'LLaVA-Video-178K' : 'CLEVRER',
    });
  });
  return Buffer.from(lines.join('\n'));
}

async function waitForSynthetic(page: Page, count: number) {
  await page.locator(`[data-testid="${SYNTHETIC}"][data-state="complete"][data-count="${count}"]`).waitFor({ timeout: 60_000 });
}

async function startImport(page: Page, name: string, buffer: Buffer, shardSamples?: number) {
  await page.getByTestId('import-open').click();
  await page.getByTestId('import-files').setInputFiles({ name, mimeType: 'application/json', buffer });
  if (shardSamples) await page.getByTestId('import-shard-samples').fill(String(shardSamples));
  await page.getByTestId('import-start').click();
}

const importedCard = (page: Page) => page.locator(`[data-testid^="dataset-card-"]:not([data-testid="${SYNTHETIC}"])`);

describe('datasets in Chromium IndexedDB', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('opens on the synthetic dataset, generated on first load, with frames and gold fields', async () => {
    const { page, errors, close } = await openApp('?syntheticVideos=12#/datasets');
    await waitForSynthetic(page, 60);
    const rows = page.getByTestId('sample-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThan(5);
    expect(await rows.count()).toBeLessThan(60); // virtualised: only the visible rows exist
    const detail = page.getByTestId('sample-detail');
    await detail.waitFor();
    expect(await page.getByTestId('frame-strip').locator('canvas').count()).toBe(8);
    expect(await page.getByTestId('frame-strip').locator('canvas').first().getAttribute('data-encoding')).toMatch(/^image\/(webp|jpeg)$/);
    expect(await detail.textContent()).toContain('<observation>Based on the question, I need to notice');
    await page.getByTestId('filter-type').selectOption({ label: 'OCR (12)' });
    expect(await page.getByTestId('row-count').textContent()).toBe('12 of 60 samples');
    expect(await page.getByTestId('storage-usage').textContent()).toMatch(/Storage: .+ of .+/);
    await screenshot(page, 'datasets-synthetic');
    expect(errors).toEqual([]);
    await close();
  });

  it('imports a generated JSON Lines file, reports bad lines, and keeps the samples after a reload', async () => {
    const { page, errors, close } = await openApp('?syntheticVideos=2#/datasets');
    await waitForSynthetic(page, 10);
    await startImport(page, 'train.jsonl', jsonl(500, 100));
    const summary = page.locator('[data-testid="import-summary"][data-name="train.jsonl"][data-state="complete"]');
    await summary.waitFor({ timeout: 30_000 });
    expect(await summary.getByTestId('summary-imported').textContent()).toBe('495');
    expect(await summary.getByTestId('summary-skipped').textContent()).toBe('5');
    expect(await summary.textContent()).toContain('InvalidJson ×5');
    await summary.locator('summary').click();
    expect(await summary.locator('.issues li').first().textContent()).toContain('train.jsonl:100');
    await page.reload();
    const card = importedCard(page);
    await card.waitFor();
    expect(await card.getAttribute('data-count')).toBe('495');
    expect(await card.getAttribute('data-state')).toBe('complete');
    await card.locator('button.link').click();
    await page.getByTestId('filter-source').selectOption({ label: 'CLEVRER (330)' });
    expect(await page.getByTestId('row-count').textContent()).toBe('330 of 495 samples');
    await screenshot(page, 'datasets-imported');
    expect(errors).toEqual([]);
    await close();
  });

  it('resumes an import interrupted by closing the page, with every record present exactly once', async () => {
    const context = await (await sharedBrowser()).newContext();
    const url = new URL('?syntheticVideos=2&importPace=25#/datasets', inject('baseURL')).toString();
    const n = 3000;
    const file = jsonl(n);
    const first = await context.newPage();
    await first.goto(url);
    await waitForSynthetic(first, 10);
    await startImport(first, 'big.jsonl', file, 100);
    await first.waitForFunction(() => Number(document.querySelector('[data-testid="import-progress"]')?.getAttribute('data-cursor') ?? 0) >= 600, null, { timeout: 30_000 });
    await first.close(); // mid-import: the open transaction is aborted with the page

    const second = await context.newPage();
    const errors: string[] = [];
    second.on('pageerror', (e) => errors.push(e.message));
    await second.goto(url);
    const card = importedCard(second);
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('importing'); // left unfinished
    const before = Number(await card.getAttribute('data-count'));
    expect(before).toBeGreaterThanOrEqual(600);
    expect(before).toBeLessThan(n);
    expect(before % 100).toBe(0); // whole shards only
    const id = (await card.getAttribute('data-testid'))!.replace('dataset-card-', '');
    await second.getByTestId(`resume-files-${id}`).setInputFiles({ name: 'big.jsonl', mimeType: 'application/json', buffer: file });
    await second.locator(`[data-testid="dataset-card-${id}"][data-state="complete"]`).waitFor({ timeout: 60_000 });
    const ids = await second.evaluate((id) => (globalThis as any).__p2rDatasets.allIds(id), id);
    expect(ids.length).toBe(n);
    expect(new Set(ids).size).toBe(n);
    expect(ids.map(Number).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(errors).toEqual([]);
    await context.close();
  });
});
