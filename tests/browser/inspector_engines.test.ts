// Issue 11 in Chromium, what the big engines' dumps need on the page: a verl v1 training dump (no
// per-process rewards) says so on the run dashboard and recomputes them with the rewards module; a TRL
// card labels the logged `advantage` as the engine's combined value, beside the recomputed A_P and A_R.
import { afterAll, describe, expect, it } from 'vitest';
import { openApp, sharedBrowser } from './browser';
import { syntheticRun, verlV1StepJsonl } from '../fixtures/inspect_fixtures';
import { trlParquet, trlParquetName } from '../fixtures/inspect_parquet';

const file = (name: string, bytes: string | Uint8Array) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });

describe('rollout inspector: engine dumps', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('verl v1: the dashboard says per-process rewards are missing and recomputes them (rule judge)', async () => {
    const run = syntheticRun(2, 4);
    const { page, errors, close } = await openApp('#/rollouts');
    await page.getByTestId('rollout-import').setInputFiles([file('1.jsonl', verlV1StepJsonl(run, 1)), file('2.jsonl', verlV1StepJsonl(run, 2))]);
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('rewards-missing').textContent()).toMatch(/Per-process rewards are missing.*no perception and no reasoning reward.*verl v1/s);
    expect(await page.getByTestId('run-warnings').textContent()).toContain('verl v1 training dump');
    expect((await page.getByTestId('rescore-judge').locator('option').allTextContents()).sort()).toEqual(['field', 'http', 'rules']);
    await page.getByTestId('rescore-run').click();
    await page.locator('[data-testid="rescore-status"][data-state="done"]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('rescore-status').textContent()).toMatch(/recomputed with the rewards module \(PA-GRPO, judge rules/);
    expect(await page.getByTestId('rewards-missing').count()).toBe(0);
    expect(await page.getByTestId('run-warnings').textContent()).not.toContain('per-process rewards are missing');
    // The cards now carry both processes' rewards, kept across a reload.
    await page.reload();
    await page.getByTestId('run-dashboard').waitFor();
    expect(await page.getByTestId('rewards-missing').count()).toBe(0);
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('rollout').first().waitFor();
    const perception = await page.getByTestId('perception-reward').allTextContents();
    expect(perception.length).toBeGreaterThan(0);
    for (const t of perception) expect(t).not.toContain('unknown');
    expect(errors).toEqual([]);
    await close();
  });

  it('TRL: the logged advantage is labelled the engine’s combined value, beside the recomputed per-process ones', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    await page.getByTestId('rollout-import').setInputFiles([file(trlParquetName(1), trlParquet(syntheticRun(1, 4), 1))]);
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    await page.getByTestId('step-link').first().click();
    const card = page.getByTestId('rollout').first();
    await card.waitFor();
    const combined = card.getByTestId('trainer-advantage');
    expect(await combined.textContent()).toMatch(/^TRL advantage \(combined\) [+−-]?\d/);
    expect(await combined.getAttribute('title')).toMatch(/combined value over all reward functions/);
    expect(await card.getByTestId('adv-perception').count()).toBe(1);
    expect(await card.getByTestId('adv-reasoning').count()).toBe(1);
    expect(await card.getByTestId('adv-recomputed').textContent()).toContain('recomputed');
    expect(errors).toEqual([]);
    await close();
  });
});
