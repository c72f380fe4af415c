// The training page's Checkpoints panel end to end in Chromium: a 3-step `tiny` SFT run, Export
// (two downloads: the .safetensors parsed by scripts/check_safetensors.py with the Python standard
// library, the .json carrying the step), Delete with its confirm, Import of the two files back as a
// run with the same step, and a corrupted .safetensors refused with a message naming the file.
// URL knobs (src/store/training_browser.ts): trainSteps, trainCheckpointEvery, trainProgressMs.
import { afterAll, describe, expect, it } from 'vitest';
import type { Download } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, screenshot, sharedBrowser } from './browser';

const STEPS = 3;

describe('training checkpoints in the browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'p2r-ckpt-'));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await (await sharedBrowser()).close();
  });

  it('exports a run as safetensors + JSON, deletes it, imports it back, and refuses a corrupted file', async () => {
    const { page, errors, close } = await openApp(`?trainSteps=${STEPS}&trainCheckpointEvery=1&trainProgressMs=100&trainEvalEvery=0#/train`);
    await page.getByTestId('train-view').waitFor({ timeout: 60_000 });
    await page.getByTestId('checkpoint-empty').waitFor({ timeout: 10_000 });
    await page.getByTestId('train-start').click();
    await page.locator('[data-testid="train-status"][data-status="finished"]').waitFor({ timeout: 60_000 });
    const runId: string = await page.evaluate(() => (globalThis as any).__p2rTraining.getState().runId);
    const row = page.locator(`[data-testid="checkpoint-row"][data-run-id="${runId}"]`);
    await row.and(page.locator(`[data-step="${STEPS}"]`)).waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('SFT');

    // Export: two downloads named <run>-step<N>.
    const downloads: Download[] = [];
    page.on('download', (d) => downloads.push(d));
    await row.getByTestId('checkpoint-export').click();
    await expect.poll(() => downloads.length, { timeout: 10_000 }).toBe(2);
    const names = downloads.map((d) => d.suggestedFilename()).sort();
    expect(names).toEqual([`${runId}-step${STEPS}.json`, `${runId}-step${STEPS}.safetensors`]);
    const stPath = join(dir, `${runId}-step${STEPS}.safetensors`);
    const jsonPath = join(dir, `${runId}-step${STEPS}.json`);
    for (const d of downloads) await d.saveAs(join(dir, d.suggestedFilename()));
    expect(await page.getByTestId('checkpoint-message').getAttribute('data-kind')).toBe('ok');

    // The safetensors parses with the Python standard library; the JSON has the step.
    const parsed = JSON.parse(execFileSync('python3', ['scripts/check_safetensors.py', stPath], { encoding: 'utf8' }));
    expect(parsed.metadata['p2r.step']).toBe(String(STEPS));
    expect(parsed.metadata.format).toBe('pt');
    const config = JSON.parse(readFileSync(jsonPath, 'utf8'));
    expect(config.step).toBe(STEPS);
    expect(config.format).toBe('p2r-checkpoint');
    expect(config.safetensors.bytes).toBe(readFileSync(stPath).length);
    expect(config.metadata.mode).toBe('sft');

    // Delete, with the confirm.
    await row.getByTestId('checkpoint-delete').click();
    await row.getByTestId('checkpoint-delete-confirm').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await page.getByTestId('checkpoint-empty').waitFor({ timeout: 10_000 });

    // Import the pair back: the run is listed again with the same step.
    await page.getByTestId('checkpoint-import').setInputFiles([stPath, jsonPath]);
    await row.and(page.locator(`[data-step="${STEPS}"]`)).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('checkpoint-message').textContent()).toBe(`Imported run ${runId} at step ${STEPS}`);
    // And it is a starting point for RL.
    expect(await page.evaluate(() => (globalThis as any).__p2rTraining.getState().sftRuns.map((r: { runId: string }) => r.runId))).toEqual([runId]);

    // A flipped byte is refused, naming the file; nothing new is stored.
    const bad = readFileSync(stPath);
    bad[bad.length - 5] ^= 0x01;
    mkdirSync(join(dir, 'bad'));
    const badPath = join(dir, 'bad', `${runId}-step${STEPS}.safetensors`);
    writeFileSync(badPath, bad);
    await page.getByTestId('checkpoint-import').setInputFiles([badPath, jsonPath]);
    const msg = page.locator('[data-testid="checkpoint-message"][data-kind="error"]');
    await msg.waitFor({ timeout: 10_000 });
    const text = await msg.textContent();
    expect(text).toContain(`'${runId}-step${STEPS}.safetensors'`);
    expect(text).toContain('SHA-256');
    expect(text).toContain('Nothing was stored');
    expect(await page.getByTestId('checkpoint-row').count()).toBe(1);
    await screenshot(page, 'train-checkpoints');

    expect(errors).toEqual([]);
    await close();
  });
});
