// Shown when WebGPU cannot be used: says why (the error's code and message) and how to enable it.

import { useGpu } from './hooks';

export function WebGpuMissing() {
  const error = useGpu((s) => s.error);
  const secure = typeof isSecureContext === 'undefined' || isSecureContext;
  return (
    <section className="panel missing" data-testid="webgpu-missing" role="alert">
      <h1>WebGPU is not available</h1>
      <p className="why">
        <strong>{error?.code ?? 'WebGpuUnavailable'}</strong>: {error?.message ?? 'navigator.gpu is missing.'}
      </p>
      <p>{error?.hint}</p>
      <h2>How to enable it</h2>
      <ul>
        <li>Use Chrome or Edge 113 or newer (Firefox 141+ on Windows, Safari 26+ also ship WebGPU).</li>
        {!secure && <li>Open the app over https or from http://localhost: WebGPU exists only in secure contexts.</li>}
        <li>On Linux, start Chrome with <code>--enable-unsafe-webgpu</code> (and <code>--enable-features=Vulkan</code> on some drivers).</li>
        <li>Without a GPU, add <code>--enable-unsafe-swiftshader</code> to use the CPU fallback (slow, fine for small demos).</li>
        <li>Check <code>chrome://gpu</code>: "WebGPU: Hardware accelerated" or a software adapter must be listed.</li>
      </ul>
    </section>
  );
}
