// Counts what a step asks of the WebGPU implementation from the host: command-buffer submits, compute
// dispatches, buffer copies and read-backs (mapAsync). The issue-15 profile reports these per step
// beside the kernels' GPU time: on a small model, every submit and read-back is a round trip the GPU
// waits on, and a decode step's cost is mostly such overhead. Patches the prototypes for the duration
// of `run` only (bench code; never in the app).

export interface HostCalls {
  submits: number;
  dispatches: number;
  copies: number;
  readbacks: number;
}

type Patchable = Record<string, (...args: unknown[]) => unknown>;

/** Runs `run` and counts the calls made on the device's queue, passes, encoders and buffers meanwhile. */
export async function countHostCalls<T>(device: GPUDevice, run: () => Promise<T>): Promise<{ result: T; calls: HostCalls }> {
  const calls: HostCalls = { submits: 0, dispatches: 0, copies: 0, readbacks: 0 };
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.end();
  encoder.finish();
  const probe = device.createBuffer({ size: 4, usage: 0x1 | 0x8 /* MAP_READ | COPY_DST */ });
  const targets: [object, string, keyof HostCalls][] = [
    [Object.getPrototypeOf(device.queue), 'submit', 'submits'],
    [Object.getPrototypeOf(pass), 'dispatchWorkgroups', 'dispatches'],
    [Object.getPrototypeOf(encoder), 'copyBufferToBuffer', 'copies'],
    [Object.getPrototypeOf(probe), 'mapAsync', 'readbacks'],
  ];
  probe.destroy();
  const originals = targets.map(([proto, name]) => (proto as Patchable)[name]);
  targets.forEach(([proto, name, key], i) => {
    const original = originals[i];
    (proto as Patchable)[name] = function (this: unknown, ...args: unknown[]) {
      calls[key]++;
      return original.apply(this, args);
    };
  });
  try {
    return { result: await run(), calls };
  } finally {
    targets.forEach(([proto, name], i) => ((proto as Patchable)[name] = originals[i]));
  }
}
