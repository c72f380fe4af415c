// The training page end to end in Chromium (SwiftShader WebGPU): a `tiny` SFT run in the worker,
// charts filling, pause with a checkpoint, a reload that offers to resume, resume to the end; the
// page answering clicks while the worker trains; a device loss that pauses and resumes.
// URL knobs (src/store/training_browser.ts): trainSteps, trainCheckpointEvery, trainProgressMs.
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, screenshot, sharedBrowser } from './browser';

// Enough steps that the run is still going after the responsiveness window (a tiny step is ~0.4 s
// on SwiftShader since issue 15's kernels; 8 steps used to take ~10 s and now end inside it).
const STEPS = 30;
// No held-out evaluation here (trainEvalEvery=0): training_rl.test.ts covers it.
const URL_PATH = `?trainSteps=${STEPS}&trainCheckpointEvery=4&trainProgressMs=100&trainEvalEvery=0#/train`;

const stepOf = async (page: Page) => Number(await page.getByTestId('train-step').getAttribute('data-step'));
const waitStatus = (page: Page, status: string, timeout = 60_000) => page.locator(`[data-testid="train-status"][data-status="${status}"]`).waitFor({ timeout });
const waitStep = (page: Page, n: number) =>
  page.waitForFunction((n) => Number(document.querySelector('[data-testid="train-step"]')?.getAttribute('data-step') ?? 0) >= n, n, { timeout: 60_000 });

describe('training in the browser', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('trains tiny in a worker, pauses with a checkpoint, offers to resume after a reload, and finishes', async () => {
    const { page, errors, close } = await openApp(URL_PATH);
    await page.getByTestId('train-view').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('rl-placeholder-kl').textContent()).toContain('available in RL runs');
    expect(await page.getByTestId('train-steps').inputValue()).toBe(String(STEPS));
    await page.getByTestId('train-start').click();
    await waitStep(page, 2);
    expect(await page.getByTestId('train-status').getAttribute('data-status')).toBe('running');
    expect(Number(await page.getByTestId('chart-loss').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('chart-loss').locator('path.recharts-line-curve').count()).toBe(1);

    // The page answers while the worker trains: a click's state change and the event loop's lag.
    const responsiveness = await page.evaluate(async () => {
      const box = document.querySelector<HTMLInputElement>('[data-testid="loss-log-scale"]')!;
      const t0 = performance.now();
      box.click();
      while (!box.checked) await new Promise((r) => setTimeout(r, 0));
      const clickMs = performance.now() - t0;
      box.click();
      let last = performance.now();
      let maxGap = 0;
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const id = setInterval(() => {
          const now = performance.now();
          maxGap = Math.max(maxGap, now - last);
          last = now;
          ticks++;
        }, 20);
        setTimeout(() => (clearInterval(id), resolve()), 1500);
      });
      return { clickMs, maxGap, ticks };
    });
    // Training steps take about 0.4 s each on SwiftShader (issue 15's kernels), one command buffer each.
    // Run on the main thread, back to back, they would leave a tick only between steps: a handful in
    // this 1.5 s window, not the 75 an idle page gets. In a worker the page keeps ticking, but on a CPU
    // adapter the GPU process's SwiftShader threads train on the same 2 cores as the page, and since
    // the step's kernels spread over both cores the page gets a share of them, not a core of its own
    // (30-36 ticks measured on an otherwise idle machine). The bounds leave room for that and for load.
    expect(responsiveness.clickMs).toBeLessThan(1000);
    expect(responsiveness.ticks).toBeGreaterThan(15);
    expect(responsiveness.maxGap).toBeLessThan(1500);
    expect(await page.getByTestId('train-status').getAttribute('data-status')).toBe('running');

    // Space pauses (when nothing that types has the focus); the pause writes a checkpoint.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Space');
    await waitStatus(page, 'paused');
    const paused = await stepOf(page);
    expect(paused).toBeGreaterThan(0);
    expect(paused).toBeLessThan(STEPS);
    expect(await page.getByTestId('train-checkpoint').getAttribute('data-step')).toBe(String(paused));
    expect(await page.getByTestId('train-checkpoint').textContent()).toContain('pause');
    expect(await page.getByTestId('train-eta').textContent()).toMatch(/ETA \d/);
    await screenshot(page, 'train-paused');

    await page.reload();
    const offer = page.getByTestId('resume-offer');
    await offer.waitFor({ timeout: 30_000 });
    expect(await offer.getAttribute('data-step')).toBe(String(paused));
    expect(await offer.textContent()).toContain(`A run was interrupted at step ${paused} — Resume?`);
    await page.getByTestId('resume-offer-accept').click();
    await waitStatus(page, 'finished', 90_000);
    expect(await stepOf(page)).toBe(STEPS);
    expect(await page.getByTestId('train-checkpoint').getAttribute('data-step')).toBe(String(STEPS));
    // The resumed attachment charts the steps after the checkpoint.
    expect(Number(await page.getByTestId('chart-loss').getAttribute('data-points'))).toBe(STEPS - paused);
    expect(await page.getByTestId('resume-offer').count()).toBe(0);
    await screenshot(page, 'train-finished');

    // A finished run is not offered again.
    await page.reload();
    await page.getByTestId('train-view').waitFor();
    await page.waitForFunction(() => (globalThis as any).__p2rTraining?.getState().resumableLoaded === true);
    expect(await page.getByTestId('resume-offer').count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it('pauses on device loss and resumes from the last checkpoint on a new device', async () => {
    const { page, errors, close } = await openApp(`?trainSteps=6&trainCheckpointEvery=2&trainProgressMs=100&trainEvalEvery=0#/train`);
    await page.getByTestId('train-view').waitFor({ timeout: 60_000 });
    await page.getByTestId('train-start').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-checkpoint"]')?.getAttribute('data-step') || 0) >= 2, null, { timeout: 60_000 });
    await page.evaluate(() => (globalThis as any).__p2rTraining.getState().simulateDeviceLoss());
    await page.getByTestId('train-device-lost').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('train-status').getAttribute('data-status')).toBe('paused');
    const saved = Number(await page.getByTestId('train-checkpoint').getAttribute('data-step'));
    expect(saved).toBeGreaterThanOrEqual(2);
    await page.getByTestId('train-resume').click();
    await waitStatus(page, 'finished', 90_000);
    expect(await stepOf(page)).toBe(6);
    const steps = await page.evaluate(() => (globalThis as any).__p2rTraining.getState().series.map((p: { step: number }) => p.step));
    expect(steps).toEqual(Array.from({ length: 6 }, (_, i) => i)); // no step twice, none missing
    expect(errors).toEqual([]);
    await close();
  });
});
