// SFT then PA-GRPO in the training page (Chromium, SwiftShader WebGPU): a short `tiny` SFT run on the
// built-in synthetic dataset, then a 4-step PA-GRPO run (G 2, 1 prompt per step, 24 new tokens) from
// that run's latest checkpoint, paused after its first step, resumed after a reload; the RL charts
// fill, and "Open rollouts" opens the run in the inspector with every step once and both processes'
// rewards and advantages on every rollout of a group. Both runs evaluate 6 held-out questions every 2
// steps: the held-out curve and its latest figures appear, with the evaluation's progress shown while
// it runs, and a reload's resume keeps the curve. The form's defaults come from the preset (SFT) and RL_DEFAULTS (RL); on SwiftShader the page
// says how long the default SFT takes on a CPU. URL knobs: src/store/training_browser.ts.
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, screenshot, sharedBrowser } from './browser';
import { CPU_SFT_TIME } from '../../src/store/training_runs';
import { RL_DEFAULTS } from '../../src/train/rl_defaults';
import { PRESET_VIDEOS } from '../../src/train/rl_data';
import { makeConfig } from '../../src/model/config';

const STEPS = 4;
// The RL run is longer: an RL step takes well under a second since issue 15, and the test must pause
// one while the run is still going, with steps left to chart after the resume.
const RL_STEPS = 16;
// A rest between steps, so that the Pause click (Playwright's, on a page whose 2 cores SwiftShader's
// training also uses) lands while the run is going rather than after its last step.
const STEP_DELAY_MS = 400;
const EVAL_EVERY = 2;
const URL_PATH = `?trainSteps=${STEPS}&trainStepDelay=${STEP_DELAY_MS}&trainCheckpointEvery=2&trainProgressMs=100&trainGroup=2&trainPromptsPerStep=1&trainMaxNewTokens=24&trainEvalEvery=${EVAL_EVERY}&trainEvalQuestions=6#/train`;
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
    expect(await page.getByTestId('train-data').textContent()).toMatch(/built-in synthetic dataset.*tiny task families/);
    expect(await page.getByTestId('train-data').getAttribute('data-videos')).toBe(String(PRESET_VIDEOS.tiny));
    expect(await page.getByTestId('train-lr').inputValue()).toBe(String(makeConfig('tiny').train.lr));
    expect(await page.getByTestId('train-batch').inputValue()).toBe(String(makeConfig('tiny').train.batchSize));
    // SwiftShader is a CPU fallback: the page says how long the default SFT takes without a GPU.
    const cpuTime = page.getByTestId('train-cpu-time');
    await cpuTime.waitFor({ timeout: 30_000 });
    expect(await cpuTime.textContent()).toContain(`(${makeConfig('tiny').train.steps} steps) takes ${CPU_SFT_TIME.tiny}`);
    expect(await page.getByTestId('heldout-plan').textContent()).toContain(`6 questions on videos of generator seed`);
    expect(await page.getByTestId('heldout-plan').textContent()).toContain(`every ${EVAL_EVERY} steps`);
    // Records every held-out progress line the page shows while an evaluation runs.
    await page.evaluate(() => {
      const seen: string[] = ((globalThis as any).__heldOutProgress = []);
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="heldout-progress"]');
        if (el?.textContent && seen[seen.length - 1] !== el.textContent) seen.push(el.textContent);
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    await page.getByTestId('train-start').click();
    await waitStatus(page, 'finished', 60_000);
    // Held-out evaluations before the first step, after step 2 and after the last: a curve of 3 points.
    const answerChart = page.getByTestId('chart-heldout-answer');
    await page.getByTestId('heldout-latest').and(page.locator(`[data-step="${STEPS}"]`)).waitFor({ timeout: 60_000 });
    expect(await answerChart.getAttribute('data-points')).toBe('3');
    expect(await page.getByTestId('chart-heldout-judge').getAttribute('data-points')).toBe('3');
    expect(await answerChart.locator('path.recharts-line-curve').count()).toBe(4); // all questions + 3 families
    expect(await page.getByTestId('heldout-answer').textContent()).toMatch(/^\d+%$/);
    expect(await page.getByTestId('heldout-judge').textContent()).toMatch(/^\d+%$/);
    expect(await page.getByTestId('heldout-families').locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-family')).sort())).toEqual(['count', 'direction', 'same']);
    const heldOut = await page.evaluate(() => (globalThis as any).__p2rTraining.getState().heldOut.map((p: { step: number; report: { questions: number } }) => [p.step, p.report.questions]));
    expect(heldOut).toEqual([
      [0, 6],
      [2, 6],
      [4, 6],
    ]);
    const progressSeen: string[] = await page.evaluate(() => (globalThis as any).__heldOutProgress);
    expect(progressSeen.some((t) => /Evaluating held-out questions after step \d+: \d+ \/ 6/.test(t))).toBe(true);
    expect(await page.getByTestId('heldout-progress').count()).toBe(0);
    await screenshot(page, 'train-sft-heldout');
    const sft = await state(page);
    await page.waitForFunction((id) => (globalThis as any).__p2rTraining.getState().sftRuns.some((r: { runId: string }) => r.runId === id), sft.runId);

    // PA-GRPO from the latest SFT checkpoint (the default starting point).
    await page.getByTestId('train-mode').selectOption('pa-grpo');
    expect(await page.getByTestId('train-mode-description').textContent()).toContain('Process-aware');
    expect(await page.getByTestId('train-rl-group').inputValue()).toBe('2');
    expect(await page.getByTestId('train-rl-promptsPerStep').inputValue()).toBe('1');
    expect(await page.getByTestId('train-rl-maxNewTokens').inputValue()).toBe('24');
    // β, temperature, top-p and the learning rate: RL_DEFAULTS of the preset.
    expect(await page.getByTestId('train-rl-beta').inputValue()).toBe(String(RL_DEFAULTS.tiny.beta));
    expect(await page.getByTestId('train-rl-temperature').inputValue()).toBe(String(RL_DEFAULTS.tiny.temperature));
    expect(await page.getByTestId('train-rl-topP').inputValue()).toBe(String(RL_DEFAULTS.tiny.topP));
    expect(await page.getByTestId('train-lr').inputValue()).toBe(String(RL_DEFAULTS.tiny.lr));
    expect(await page.getByTestId('train-cpu-time').count()).toBe(0); // the SFT time is no RL figure
    expect(await page.getByTestId('train-rl-from').locator('option').first().textContent()).toContain(sft.runId);
    await page.getByTestId('train-steps').fill(String(RL_STEPS));
    await page.getByTestId('train-start').click();
    // Pause after the first RL step (a checkpoint on pause), reload, accept the resume offer.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-step"]')?.getAttribute('data-step') ?? 0) >= 1, null, { timeout: 120_000 });
    await page.getByTestId('train-pause').click();
    await waitStatus(page, 'paused', 120_000);
    const paused = Number(await page.getByTestId('train-step').getAttribute('data-step'));
    expect(paused).toBeGreaterThanOrEqual(1);
    expect(paused).toBeLessThan(RL_STEPS - 1); // the step running at the click finishes first; two are left to chart
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
    expect(await page.getByTestId('train-step').getAttribute('data-step')).toBe(String(RL_STEPS));
    // The resumed attachment charts the steps after the checkpoint.
    for (const id of ['rl-perception-reward', 'rl-reasoning-reward', 'rl-kl', 'rl-entropy', 'rl-segment-lengths', 'rl-collapsed-groups']) {
      expect(Number(await page.getByTestId(`chart-${id}`).getAttribute('data-points')), id).toBe(RL_STEPS - paused);
    }
    expect(await page.getByTestId('chart-rl-perception-reward').locator('path.recharts-line-curve').count()).toBe(4);
    expect(await page.getByTestId('rl-placeholder-kl').count()).toBe(0);
    // The RL run's held-out curve: step 0 (the SFT weights) from before the reload, stored with the
    // checkpoint, then every EVAL_EVERY steps (one the pause cut short is redone) to the end.
    await page.getByTestId('heldout-latest').and(page.locator(`[data-step="${RL_STEPS}"]`)).waitFor({ timeout: 60_000 });
    const evalSteps = Array.from({ length: RL_STEPS / EVAL_EVERY + 1 }, (_, i) => i * EVAL_EVERY);
    expect(await page.evaluate(() => (globalThis as any).__p2rTraining.getState().heldOut.map((p: { step: number }) => p.step))).toEqual(evalSteps);
    expect(await page.getByTestId('chart-heldout-answer').getAttribute('data-points')).toBe(String(evalSteps.length));
    // The page says so when the last RL step had every group collapsed, and only then.
    const last = await page.evaluate(() => {
      const series = (globalThis as any).__p2rTraining.getState().series;
      return series[series.length - 1].rl as { collapsedBoth: number; groups: number };
    });
    const signal = page.getByTestId('train-rl-signal');
    if (last.collapsedBoth === last.groups) {
      expect(await signal.getAttribute('data-kind')).toBe('collapsed');
      expect(await signal.textContent()).toMatch(/the one group collapsed.*More SFT.*higher temperature.*larger group G/s);
    } else expect(await signal.count() === 0 || (await signal.getAttribute('data-kind')) === 'flat').toBe(true);
    await screenshot(page, 'train-rl-finished');

    // "Open rollouts": the run in the inspector, a group of G = 2 with both processes side by side.
    const link = page.getByTestId('train-open-rollouts');
    expect(await link.getAttribute('data-steps')).toBe(String(RL_STEPS));
    await link.click();
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    expect(page.url()).toContain(`#/rollouts/${encodeURIComponent(rl.runId)}`);
    expect(await page.getByTestId('step-link').count()).toBe(RL_STEPS); // every step once, across the pause
    // Numbered as the Train charts number them: 1 … RL_STEPS (issue 11).
    expect(await page.getByTestId('step-link').allTextContents()).toEqual(Array.from({ length: RL_STEPS }, (_, i) => String(i + 1)));
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
