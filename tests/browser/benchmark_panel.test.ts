// The Train page's Evaluate panel in Chromium (issue 14 §3): Video-R1 evaluation JSON files loaded
// through the file input become rows of the benchmark table (the fixtures of
// tests/fixtures/benchmark_outputs/, scores computed by hand in tests/pure/benchmark_eval_cli.test.ts);
// a file with bad records is listed as FILE:LINE and left out until "score the good records" is
// ticked; and a 2-step run's held-out evaluation gives this run's row under "P2R held-out".
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, screenshot, sharedBrowser } from './browser';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'benchmark_outputs');

describe('the Evaluate panel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'p2r-bench-panel-'));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await (await sharedBrowser()).close();
  });

  it('scores loaded outputs files into the benchmark table, names bad records, and adds the run after a held-out evaluation', async () => {
    const { page, errors, close } = await openApp('?trainSteps=2&trainCheckpointEvery=2&trainProgressMs=100&trainEvalEvery=2&trainEvalQuestions=3#/train');
    const panel = page.getByTestId('benchmark-panel');
    await panel.waitFor({ timeout: 60_000 });
    const cell = (model: string, benchmark: string) => panel.locator(`tr[data-model="${model}"] td[data-benchmark="${benchmark}"]`);

    // Four files, two models (from Video-R1's file names).
    await panel.getByTestId('benchmark-files').setInputFiles(readdirSync(FIXTURES).map((n) => join(FIXTURES, n)));
    await cell('ModelA', 'vsibench').waitFor({ timeout: 10_000 });
    expect(await cell('ModelA', 'vsibench').textContent()).toBe('65.0');
    expect(await cell('ModelA', 'mvbench').textContent()).toBe('75.0');
    expect(await cell('ModelA', 'mmvu').textContent()).toBe('—');
    expect(await cell('ModelB', 'vsibench').textContent()).toBe('80.0');
    expect(await cell('ModelB', 'videommmu').textContent()).toBe('56.7');
    expect(await panel.locator('thead th[data-benchmark]').allTextContents()).toEqual(['VSI.', 'VideoMMMU', 'MMVU', 'VCR.', 'MV.', 'TempCom.', 'VideoMME']);

    // The paper's rows on request.
    await panel.getByTestId('benchmark-paper').check();
    expect(await cell('VideoP2R (paper)', 'avg').textContent()).toBe('58.7');

    // A file with a bad record: named by line and field, and the loaded files are left out until asked.
    const bad = join(dir, 'eval_mmvu_ModelC_greedy_output.json');
    writeFileSync(bad, '{"results": [\n {"problem_type": "multiple choice", "solution": "<answer>A</answer>", "output": "A"},\n {"problem_type": "multiple choice", "solution": "<answer>A</answer>"}\n]}\n');
    await panel.getByTestId('benchmark-files').setInputFiles([bad]);
    const alert = panel.getByTestId('benchmark-errors');
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.textContent()).toContain('eval_mmvu_ModelC_greedy_output.json:3: output: missing');
    expect(await panel.locator('tr[data-model="ModelA"]').count()).toBe(0);
    await panel.getByTestId('benchmark-skip-bad').check();
    expect(await cell('ModelC', 'mmvu').textContent()).toBe('100.0');
    expect(await cell('ModelA', 'vsibench').textContent()).toBe('65.0');

    // A short run: its held-out evaluation after step 2 becomes this run's row.
    await page.getByTestId('train-start').click();
    await page.locator('[data-testid="train-status"][data-status="finished"]').waitFor({ timeout: 120_000 });
    const own = panel.locator('tr[data-model^="This run (after step 2)"] td[data-benchmark="p2rheldout"]');
    await own.waitFor({ timeout: 30_000 });
    expect(await own.textContent()).toMatch(/^\d+\.\d$/);
    expect(await panel.locator('thead th[data-benchmark="p2rheldout"]').textContent()).toBe('P2R held-out');
    await panel.locator('details summary').click();
    await screenshot(page, 'benchmark-panel');
    expect(errors).toEqual([]);
    await close();
  }, 240_000);
});
