import { afterAll, describe, expect, it } from 'vitest';
import { openApp, screenshot, sharedBrowser } from './browser';
import { syntheticRun, verlStepJsonl } from '../fixtures/inspect_fixtures';
import { trlParquet, trlParquetName } from '../fixtures/inspect_parquet';

const jsonl = (name: string, text: string) => ({ name, mimeType: 'application/x-ndjson', buffer: Buffer.from(text) });

describe('rollout inspector in Chromium: TRL parquet, the group across steps, filters in the URL', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('imports TRL completions parquet files through the UI and steps through them', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    const run = syntheticRun(2, 4);
    await page
      .getByTestId('rollout-import')
      .setInputFiles([1, 2].map((s) => ({ name: trlParquetName(s), mimeType: 'application/vnd.apache.parquet', buffer: Buffer.from(trlParquet(run, s)) })));
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('rollout').first().waitFor();
    expect(await page.getByTestId('rollout').count()).toBe(4);
    const first = page.getByTestId('rollout').first();
    expect(await first.getByTestId('perception-reward').textContent()).toMatch(/perception\s*[12]/);
    expect(await first.getByTestId('reasoning-reward').textContent()).toMatch(/reasoning\s*([12]|NaN)/);
    expect(await first.getByTestId('trainer-advantage').textContent()).toContain('TRL advantage (combined)'); // TRL's own advantage column
    expect(await first.textContent()).toContain('Based on the question');
    await page.keyboard.press('j');
    await page.waitForURL(/sample\/1$/);
    await page.keyboard.press('l');
    await page.waitForURL(/step\/2\//);
    await page.getByTestId('rollout').first().waitFor();
    expect(errors).toEqual([]);
    await close();
  });

  it('compares two runs on one set of charts, one line per run, from the runs list and by URL', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    const importRun = async (steps: number, G: number) => {
      const run = syntheticRun(steps, G);
      await page.getByTestId('rollout-import').setInputFiles(Array.from({ length: steps }, (_, i) => jsonl(`${i + 1}.jsonl`, verlStepJsonl(run, i + 1))));
      await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
      await page.goto(page.url().replace(/#.*$/, '#/rollouts'));
      await page.getByTestId('runs-list').waitFor();
    };
    await importRun(2, 4);
    await importRun(3, 2);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"]').length === 2);
    const button = page.getByTestId('compare-runs-button');
    expect(await button.isDisabled()).toBe(true);
    for (const box of await page.getByTestId('run-compare-check').all()) await box.check();
    expect(await button.textContent()).toContain('Compare 2 runs');
    await button.click();
    await page.getByTestId('compare-view').waitFor();
    // The address is written just after the frame (at most 10 times a second, issue 11's speed work).
    await page.waitForURL(/#\/rollouts\?compare=[^&]+%2C/, { timeout: 5_000 });
    const charts = page.getByTestId('compare-chart');
    await charts.first().locator('path.recharts-line-curve').first().waitFor({ state: 'attached' }); // a flat line has no height: 'visible' never holds
    expect(await charts.count()).toBeGreaterThanOrEqual(4);
    for (const metric of ['R_P total', 'R_R total']) {
      const chart = page.locator(`[data-testid="compare-chart"][data-metric="${metric}"]`);
      expect(await chart.locator('path.recharts-line-curve').count(), metric).toBe(2);
    }
    await screenshot(page, 'inspector-compare');
    // The URL reopens the comparison; removing a run leaves one line.
    await page.reload();
    await page.getByTestId('compare-view').waitFor();
    expect(await page.getByTestId('compare-runs').locator('li').count()).toBe(2);
    await page.getByTestId('compare-remove').first().click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="compare-runs"] li').length === 1);
    expect(await page.locator('[data-testid="compare-chart"][data-metric="R_P total"] path.recharts-line-curve').count()).toBe(1);
    expect(errors).toEqual([]);
    await close();
  });

  it('shows the same group across steps by key and by URL, and keeps the filter in the URL', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    const run = syntheticRun(3, 4);
    await page.getByTestId('rollout-import').setInputFiles([1, 2, 3].map((s) => jsonl(`${s}.jsonl`, verlStepJsonl(run, s))));
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('rollout').first().waitFor();
    const group = await page.getByTestId('group-id').textContent();

    // a: the group at every step, with per-step reward summaries; documented in the ? help.
    await page.keyboard.press('?');
    expect(await page.getByTestId('help').textContent()).toContain('across steps');
    await page.keyboard.press('Escape');
    await page.keyboard.press('a');
    await page.waitForURL(/\?view=steps$/);
    await page.getByTestId('step-cell').first().waitFor();
    expect(await page.getByTestId('step-cell').count()).toBe(3);
    expect(await page.getByTestId('step-cell').nth(1).textContent()).toMatch(/step 2.*P \d/);
    await page.getByTestId('step-cell').nth(2).click();
    await page.waitForURL(/step\/3\/group\/[^/]+\/sample\/0\?view=steps$/);
    expect(await page.getByTestId('group-id').textContent()).toBe(group);
    await screenshot(page, 'inspector-across-steps');
    // The link reopens it.
    const stepsUrl = page.url();
    await page.goto('about:blank');
    await page.goto(stepsUrl);
    await page.getByTestId('step-cell').first().waitFor();
    expect(await page.locator('.step-col.current').getAttribute('data-step')).toBe('3');
    await page.keyboard.press('a');
    await page.waitForURL(/sample\/0$/);
    expect(await page.getByTestId('step-strip').count()).toBe(0);

    // Autocomplete of field names: options complete the word being typed.
    await page.getByTestId('filter').fill('perception == 1 and reasoning.acc');
    expect(await page.locator('#filter-fields option[value="perception == 1 and reasoning.accuracy"]').count()).toBe(1);
    expect(await page.getByTestId('filter').getAttribute('list')).toBe('filter-fields');

    // The expression and quadrant filters live in the URL; a link reopens the filtered view.
    const expr = 'perception == 1 and reasoning == 2';
    await page.getByTestId('filter').fill(expr);
    await page.getByTestId('apply-filter').click();
    await page.waitForURL(/\?f=/);
    await page.getByTestId('filter-status').filter({ hasText: 'match' }).waitFor();
    const hits = run.filter((r) => r.perception === 1 && r.reasoning === 2).length;
    expect(await page.getByTestId('filter-status').textContent()).toContain(`${hits} rollouts match`);
    await page.locator('label.quad-PlRh input').check();
    await page.waitForURL(/q=PlRh/);
    await page.getByTestId('filter-status').filter({ hasText: 'match' }).waitFor();
    const filteredUrl = page.url();
    expect(decodeURIComponent(new URL(filteredUrl).hash)).toContain(`f=${expr}`.replace(/ /g, '+'));
    await page.goto('about:blank');
    await page.goto(filteredUrl);
    await page.getByTestId('filter-status').filter({ hasText: 'match' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('filter').inputValue()).toBe(expr);
    expect(await page.locator('label.quad-PlRh input').isChecked()).toBe(true);
    // Navigation keeps the filter.
    await page.keyboard.press(']');
    await page.waitForFunction(() => location.hash.includes('?f='));
    await page.getByRole('button', { name: 'clear' }).click();
    await page.waitForFunction(() => !location.hash.includes('?'));
    expect(errors).toEqual([]);
    await close();
  });

  it('saves re-scored values to the rollout store (they survive a reload)', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    const run = syntheticRun(1, 4);
    await page.getByTestId('rollout-import').setInputFiles([jsonl('1.jsonl', verlStepJsonl(run, 1))]);
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('rollout').first().waitFor();
    await page.getByTestId('rescore').click();
    await page.getByText('advantages recomputed and saved').waitFor({ timeout: 30_000 });
    const read = () =>
      page.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((res, rej) => {
          const q = indexedDB.open('p2r-rollouts');
          q.onsuccess = () => res(q.result);
          q.onerror = () => rej(q.error);
        });
        // One record per group (rollout_db version 2).
        const all = await new Promise<{ extra: Record<string, unknown> }[]>((res) => {
          const q = db.transaction('groups').objectStore('groups').getAll();
          q.onsuccess = () => res(q.result.flatMap((g: { rollouts: { extra: Record<string, unknown> }[] }) => g.rollouts));
        });
        db.close();
        return all.map((r) => 'trainer.perception' in r.extra);
      });
    const saved = await read();
    expect(saved).toHaveLength(12);
    // The re-scored group's G = 4 rollouts are stored with the trainer's values kept aside.
    expect(saved.filter(Boolean)).toHaveLength(4);
    const shown = await page.getByTestId('rollout').first().getByTestId('perception-reward').textContent();
    await page.reload();
    await page.getByTestId('rollout').first().waitFor();
    expect(await page.getByTestId('rollout').first().getByTestId('perception-reward').textContent()).toBe(shown);
    expect(errors).toEqual([]);
    await close();
  });
});
