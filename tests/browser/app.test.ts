import { afterAll, describe, expect, it } from 'vitest';
import { openApp, screenshot, sharedBrowser } from './browser';

describe('the built app in Chromium', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('finds a WebGPU adapter and shows its name, features and limits', async () => {
    const { page, errors, close } = await openApp('#/device');
    await page.getByTestId('device-panel').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('gpu-status').textContent()).toBe('WebGPU ready');
    expect((await page.getByTestId('adapter-name').textContent())?.length).toBeGreaterThan(0);
    expect(await page.locator('table.limits').textContent()).toContain('maxStorageBufferBindingSize');
    expect(errors).toEqual([]);
    await close();
  });

  it('runs a WGSL kernel on the page and matches its CPU reference', async () => {
    const { page, errors, close } = await openApp('#/device');
    await page.getByTestId('self-test').click();
    const results = page.getByTestId('self-test-results');
    await results.waitFor({ timeout: 120_000 });
    const rows = await results.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-ok'), tr.textContent]));
    expect(rows.length).toBeGreaterThan(0);
    for (const [ok, text] of rows) expect(ok, text ?? '').toBe('true');
    await screenshot(page, 'device-panel');
    expect(errors).toEqual([]);
    await close();
  });

  it('explains how to enable WebGPU when navigator.gpu is missing', async () => {
    const browser = await sharedBrowser();
    const context = await browser.newContext();
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
    });
    const page = await context.newPage();
    const { inject } = await import('vitest');
    await page.goto(new URL('#/device', inject('baseURL')).toString());
    const missing = page.getByTestId('webgpu-missing');
    await missing.waitFor({ timeout: 90_000 });
    const text = await missing.textContent();
    expect(text).toContain('WebGpuUnavailable');
    expect(text).toContain('--enable-unsafe-webgpu');
    await context.close();
  });
});
