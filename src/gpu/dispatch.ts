// A Dispatch is everything one kernel launch needs, built once (bind group, uniform block,
// workgroup count) and encoded as often as wanted: a training step re-encodes the same
// dispatches every step without creating GPU objects.

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

export function encodeDispatch(pass: GPUComputePassEncoder, d: Dispatch): void {
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
}

/** Encodes several dispatches in one compute pass of a new command buffer. */
export function encodeAll(device: GPUDevice, label: string, dispatches: Dispatch[]): GPUCommandBuffer {
  const encoder = device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  for (const d of dispatches) encodeDispatch(pass, d);
  pass.end();
  return encoder.finish();
}

/** Binds buffers to binding slots 0..n-1 of group 0, in order. */
export function bindGroup(device: GPUDevice, label: string, pipeline: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/** Number of workgroups needed to cover `n` items with `size` items per workgroup. */
export function groups(n: number, size: number): number {
  return Math.max(1, Math.ceil(n / size));
}

/** Splits a 1-D workgroup count over x and y so neither exceeds the 65535 default limit. */
export function grid1d(count: number): [number, number, number] {
  if (count <= 65535) return [count, 1, 1];
  const y = Math.ceil(count / 65535);
  return [Math.ceil(count / y), y, 1];
}

/**
 * Binds buffers to explicit slot numbers. An entry point's automatic layout holds only the
 * bindings it uses, so kernels with several entry points in one file name their slots.
 */
export function bindSlots(device: GPUDevice, label: string, pipeline: GPUComputePipeline, slots: [number, GPUBuffer][]): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: slots.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
  });
}
