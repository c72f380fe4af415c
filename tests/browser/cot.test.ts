// The CoT panel of the Datasets page in Chromium, against a local chat-completions server the test
// starts: an imported dataset goes through generate → verify → judge, the page is reloaded midway,
// the run resumes from the IndexedDB journal without any answered request sent again, and the kept
// CoTs are a new dataset, exported as VideoP2R-CoT JSON.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openApp, screenshot, sharedBrowser } from './browser';
import { cotRecord, startCotServer } from '../pure/cot_server';

const MARKERS = ['Q-OK', 'Q-WRONG', 'Q-VAGUE', 'Q-BROKEN', 'Q-OK', 'Q-OK'];

describe('CoT panel', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('generates, survives a reload mid-run without paying twice, and exports the kept CoTs', async () => {
    let onHold: () => void = () => undefined;
    const holding = new Promise<void>((r) => (onHold = r));
    // 5 answers (records 1–3: generate, judge, generate, generate, judge), then the server holds.
    const server = await startCotServer({ holdAfter: 5, onHold: () => onHold() });
    const { page, errors, close } = await openApp('?syntheticVideos=2#/datasets');
    try {
      await page.locator('[data-testid="dataset-card-synthetic-default"][data-state="complete"]').waitFor({ timeout: 60_000 });
      const source = Buffer.from(MARKERS.map((m, i) => JSON.stringify(cotRecord(i + 1, m))).join('\n'));
      await page.getByTestId('import-open').click();
      await page.getByTestId('import-files').setInputFiles({ name: 'cot-src.jsonl', mimeType: 'application/json', buffer: source });
      await page.getByTestId('import-start').click();
      await page.locator('[data-testid^="dataset-card-cot-src"][data-state="complete"]').waitFor({ timeout: 30_000 });

      await page.getByTestId('cot-toggle').click();
      await page.getByTestId('cot-source').selectOption({ label: 'cot-src.jsonl (6 samples)' });
      await page.getByTestId('cot-endpoint').fill(server.url);
      await page.getByTestId('cot-model').fill('gen-model');
      await page.getByTestId('cot-judge-url').fill(server.url);
      await page.getByTestId('cot-judge-model').fill('judge-model');
      await page.getByTestId('cot-key').fill('sk-not-saved');
      await page.getByTestId('cot-concurrency').fill('1');
      await page.getByTestId('cot-start').click();
      await holding;
      await page.getByTestId('cot-progress').waitFor();

      // Reload mid-run: the page forgets the key (not saved) and the run; the dataset stays unfinished.
      await page.reload();
      const resume = page.locator('[data-testid^="cot-resume-"]');
      await resume.waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('cot-key').count()).toBe(0); // the form is folded after a reload
      await page.getByTestId('cot-toggle').click();
      expect(await page.getByTestId('cot-key').inputValue()).toBe('');
      expect(await page.getByTestId('cot-endpoint').inputValue()).toBe(server.url); // settings persist
      server.release();
      await resume.click();
      const done = page.locator('[data-testid^="cot-dataset-"][data-state="complete"]');
      await done.waitFor({ timeout: 30_000 });

      const answered = server.log.filter((r) => r.status === 200).map((r) => r.hash);
      expect(new Set(answered).size).toBe(answered.length); // no answered request was sent twice
      // Record 4's generation was held unanswered at the reload: the one request sent twice, then the rest.
      const generations = server.log.filter((r) => r.kind === 'generate').map((r) => r.hash);
      expect(generations).toHaveLength(7);
      expect(new Set(generations).size).toBe(6);
      expect(server.log.slice(0, 5).every((r) => r.authorization === 'Bearer sk-not-saved')).toBe(true);
      expect(server.log.slice(6).every((r) => r.authorization === undefined)).toBe(true);
      expect(await page.getByTestId('cot-last').getAttribute('data-state')).toBe('complete');
      expect(await page.getByTestId('cot-last').textContent()).toMatch(/6 records: 3 kept, 3 discarded \(template 1, answer 1, judge 1\), 0 errors/);
      expect(await page.locator('[data-testid^="dataset-card-cot-cot-src"]').getAttribute('data-count')).toBe('3');

      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid^="cot-export-"]').click()]);
      expect(download.suggestedFilename()).toMatch(/\.videop2r-cot\.json$/);
      const file = join(mkdtempSync(join(tmpdir(), 'p2r-cot-export-')), 'export.json');
      await download.saveAs(file); // the browser is remote: path() is not available
      const exported = JSON.parse(readFileSync(file, 'utf8'));
      expect(exported.map((r: { problem_id: number }) => r.problem_id)).toEqual([1, 5, 6]);
      expect(exported[0].observation).toMatch(/^<observation>Based on the question, I need to notice/);
      expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('sk-not-saved');
      await screenshot(page, 'cot-panel');
      expect(errors).toEqual([]);
    } finally {
      await close();
      await server.close();
    }
  }, 180_000);
});
