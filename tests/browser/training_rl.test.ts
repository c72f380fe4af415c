// SFT then PA-GRPO in the training page (Chromium, SwiftShader WebGPU): a short `tiny` SFT run on the
// built-in synthetic dataset, then a 4-step PA-GRPO run (G 2, 1 prompt per step, 24 new tokens) from
// that run's latest checkpoint, paused after its first step, resumed after a reload; the RL charts
// fill, and "Open rollouts" opens the run in the inspector with every step once and both processes'
// rewards and advantages on every rollout of a group. URL knobs: src/store/training_browser.ts.
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, screenshot, sharedBrowser } from './browser';

const STEPS = 4;
const URL_PATH = `?trainSteps=${STEPS}&trainCheckpointEvery=2&trainProgressMs=100&trainGroup=2&trainPromptsPerStep=1&trainMaxNewTokens=24#/train`;
const waitStatus = (page: Page, status: string, timeout = 60_000) => page.locator(`[data-testid="train-status"][data-status="${status}"]`).waitFor({ timeout });
const state = (page: Page) => page.evaluate(() => {
  const s = (globalThis as any).__p2rTraining.getState();
  return { runId: s.runId as string, form: s.form, sftRuns: s.sftRuns as { runId: string }[], error: s.error, warnings: s.warnings as string[] };
});

describe('RL training in the browser', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('trains SFT, then PA-GRPO from its checkpoint; RL charts fill and the rollouts open in the inspector', async () => {
    const { page, errors, close } = await openApp(URL_PATH);
    await page.getByTestId('train-view').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('train-mode').inputValue()).toBe('sft');
    expect(await page.getByTestId('train-data').textContent()).toMatch(/built-in synthetic dataset.*compact/);
    await page.getByTestId('train-start').click();
    await waitStatus(page, 'finished', 60_000);
    const sft = await state(page);
    await page.waitForFunction((id) => (globalThis as any).__p2rTraining.getState().sftRuns.some((r: { runId: string }) => r.runId === id), sft.runId);

    // PA-GRPO from the latest SFT checkpoint (the default starting point).
    await page.getByTestId('train-mode').selectOption('pa-grpo');
    expect(await page.getByTestId('train-mode-description').textContent()).toContain('Process-aware');
    expect(await page.getByTestId('train-rl-group').inputValue()).toBe('2');
    expect(await page.getByTestId('train-rl-promptsPerStep').inputValue()).toBe('1');
    expect(await page.getByTestId('train-rl-maxNewTokens').inputValue()).toBe('24');
    expect(await page.getByTestId('train-rl-from').locator('option').first().textContent()).toContain(sft.runId);
    await page.getByTestId('train-start').click();
    // Pause after the first RL step (a checkpoint on pause), reload, accept the resume offer.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.getAttribute('data-step') ?? 0) >= 1, null, { timeout: 120_000 });
    await page.getByTestId('train-pause').click();
    await waitStatus(page, 'paused', 120_000);
    const paused = Number(await page.getByTestId('train-step').getAttribute('data-step'));
    expect(paused).toBeGreaterThanOrEqual(1);
    expect(paused).toBeLessThan(STEPS - 1); // the step running at the click finishes first; two are left to chart
    expect(await page.getByTestId('train-checkpoint').getAttribute('data-step')).toBe(String(paused));
    await page.reload();
    await page.getByTestId('resume-offer').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('resume-offer').getAttribute('data-step')).toBe(String(paused));
    await page.getByTestId('resume-offer-accept').click();
    await waitStatus(page, 'finished', 120_000);
    const rl = await state(page);
    expect(rl.error).toBeNull();
    expect(rl.form.mode).toBe('pa-grpo');
    expect(rl.form.rl.fromRunId).toBe(sft.runId);
    expect(await page.getByTestId('train-step').getAttribute('data-step')).toBe(String(STEPS));
    // The resumed attachment charts the steps after the checkpoint.
    for (const id of ['rl-perception-reward', 'rl-reasoning-reward', 'rl-kl', 'rl-entropy', 'rl-segment-lengths', 'rl-collapsed-groups']) {
      expect(Number(await page.getByTestId(`chart-${id}`).getAttribute('data-points')), id).toBe(STEPS - paused);
    }
    expect(await page.getByTestId('chart-rl-perception-reward').locator('path.recharts-line-curve').count()).toBe(4);
    expect(await page.getByTestId('rl-placeholder-kl').count()).toBe(0);
    await screenshot(page, 'train-rl-finished');

    // "Open rollouts": the run in the inspector, a group of G = 2 with both processes side by side.
    const link = page.getByTestId('train-open-rollouts');
    expect(await link.getAttribute('data-steps')).toBe(String(STEPS));
    await link.click();
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    expect(page.url()).toContain(`#/rollouts/${encodeURIComponent(rl.runId)}`);
    expect(await page.getByTestId('step-link').count()).toBe(STEPS); // every step once, across the pause
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('group-view').waitFor({ timeout: 30_000 });
    await page.getByTestId('rollout').first().waitFor();
    expect(await page.getByTestId('rollout').count()).toBe(2);
    for (const card of await page.getByTestId('rollout').all()) {
      expect(await card.getByTestId('perception-reward').textContent()).toMatch(/perception/);
      expect(await card.getByTestId('reasoning-reward').textContent()).toMatch(/reasoning/);
      expect(await card.getByTestId('adv-perception').textContent()).toMatch(/\d/);
      expect(await card.getByTestId('adv-reasoning').textContent()).toMatch(/\d/);
      expect(await card.getByTestId('adv-grpo').textContent()).toMatch(/\d/);
    }
    await screenshot(page, 'train-rl-rollouts');
    expect(errors).toEqual([]);
    await close();
  });
});
