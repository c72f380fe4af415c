// The ONNX frame encoder in the built app: the Device page's self-test runs the shipped
// tiny-frame-encoder.onnx with onnxruntime-web's WebGPU provider on the app's own GPUDevice
// (SwiftShader here) and compares it with the float64 reference (src/model/onnx_self_test.ts).

import { afterAll, describe, expect, it } from 'vitest';
import { openApp, sharedBrowser } from './browser';

describe('the ONNX frame encoder in Chromium', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('runs on the WebGPU provider on the page and matches the float64 reference', async () => {
    const { page, errors, close } = await openApp('#/device');
    await page.getByTestId('self-test').click();
    const results = page.getByTestId('self-test-results');
    await results.waitFor({ timeout: 120_000 });
    const row = results.locator('tbody tr', { hasText: 'onnx_encoder' });
    await row.waitFor({ timeout: 120_000 });
    const text = (await row.textContent()) ?? '';
    expect(await row.getAttribute('data-ok'), text).toBe('true');
    expect(text).toContain('webgpu');
    expect(errors).toEqual([]);
    await close();
  });
});
