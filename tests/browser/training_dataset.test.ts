// SFT on a stored dataset in Chromium (issue 14 §1, "usable for SFT in one click"): an imported
// VideoP2R-style dataset with CoT outputs (one broken) opens on the Train page from its card's
// "Train SFT on this", trains 2 steps in the worker, and the page says how many samples were used
// and skipped; then the stored synthetic dataset, whose frames are WebP images the worker decodes.
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, screenshot, sharedBrowser } from './browser';

const COT = (i: number) => `<observation>clip ${i} shows a red square moving right</observation> <think>it moves right, so B</think><answer>B</answer>`;

function cotJsonl(): Buffer {
  const lines = [0, 1, 2, 3].map((i) =>
    JSON.stringify({
      problem_id: `q${i}`,
      problem: `Where does the square go in clip ${i}?`,
      data_type: 'video',
      problem_type: 'multiple choice',
      options: ['A. left', 'B. right'],
      solution: '<answer>B</answer>',
      path: `./clips/${i}.mp4`,
      data_source: 'test',
      // Sample q2's CoT has no observation: skipped and counted.
      output: i === 2 ? '<think>right</think><answer>B</answer>' : COT(i),
    }),
  );
  return gzipSync(Buffer.from(lines.join('\n')));
}

async function trainTwoSteps(page: Page) {
  await page.getByTestId('train-preset').selectOption('test');
  await page.getByTestId('train-steps').fill('2');
  await page.getByTestId('train-batch').fill('2');
  await page.getByTestId('train-start').click();
  await page.locator('[data-testid="train-status"][data-status="finished"]').waitFor({ timeout: 120_000 });
}

describe('SFT on a stored dataset', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('opens the Train page from a CoT dataset, trains on its valid CoTs, and counts the skipped ones', async () => {
    const { page, errors, close } = await openApp('?syntheticVideos=2&trainProgressMs=100#/datasets');
    try {
      await page.locator('[data-testid="dataset-card-synthetic-default"][data-state="complete"]').waitFor({ timeout: 60_000 });
      await page.getByTestId('import-open').click();
      await page.getByTestId('import-files').setInputFiles({ name: 'cots.jsonl.gz', mimeType: 'application/gzip', buffer: cotJsonl() });
      await page.getByTestId('import-start').click();
      const card = page.locator('[data-testid^="dataset-card-cots"][data-state="complete"]');
      await card.waitFor({ timeout: 30_000 });
      const id = (await card.getAttribute('data-testid'))!.replace('dataset-card-', '');

      // One click: the Train page with this dataset chosen for SFT.
      await page.getByTestId(`dataset-train-sft-${id}`).click();
      await page.getByTestId('train-view').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('train-mode').inputValue()).toBe('sft');
      expect(await page.getByTestId('train-dataset').inputValue()).toBe(id);
      expect(await page.getByTestId('train-preset').inputValue()).toBe('demo'); // tiny reads palette colours only
      expect(await page.getByTestId('train-data').textContent()).toContain('is the target');
      expect(await page.getByTestId('heldout-plan').textContent()).toContain('Off for SFT on a stored dataset');

      // The tiny preset says out loud what it does to real images.
      await page.getByTestId('train-preset').selectOption('tiny');
      expect(await page.getByTestId('train-data-encoding').textContent()).toContain('one-hot');
      expect(await page.getByTestId('train-dataset').inputValue()).toBe(id);

      await trainTwoSteps(page);
      const summary = page.getByTestId('train-data-summary');
      expect(await summary.getAttribute('data-used')).toBe('3');
      expect(await summary.getAttribute('data-skipped')).toBe('1');
      expect(await summary.textContent()).toMatch(/Training on 3 of 4 samples.*1 with a broken template/);
      expect(await summary.textContent()).toContain('have no frames');
      expect(Number(await page.getByTestId('chart-loss').getAttribute('data-points'))).toBe(2);
      expect(await page.getByTestId('train-view').textContent()).toMatch(/loss \d+\.\d{4}/);
      await screenshot(page, 'train-stored-dataset');

      // The stored synthetic dataset: WebP frames decoded in the worker, every sample has frames.
      await page.getByTestId('train-dataset').selectOption('synthetic-default');
      await trainTwoSteps(page);
      expect(await page.getByTestId('train-data-summary').getAttribute('data-used')).toBe('10');
      expect(await page.getByTestId('train-data-summary').textContent()).not.toContain('no frames');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
