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

/**
 * A buffer argument of a kernel: a whole GPUBuffer, or a byte range of one ({buffer, offset, size},
 * e.g. one tensor of the model's flat parameter buffer). A range's offset must be a multiple of the
 * device's minStorageBufferOffsetAlignment (256 by default; the parameter layout aligns to it).
 */
export type BufferSlice = GPUBuffer | GPUBufferBinding;

/** True for a {buffer, offset?, size?} range, false for a whole GPUBuffer. */
export function isBinding(b: BufferSlice): b is GPUBufferBinding {
  return 'buffer' in b && typeof (b as GPUBufferBinding).buffer === 'object' && !('mapAsync' in b);
}

/** The GPUBuffer behind a slice. */
export function sliceBuffer(b: BufferSlice): GPUBuffer {
  return isBinding(b) ? b.buffer : b;
}

/** Bytes a slice binds: its size, or the rest of its buffer after the offset (WebGPU's default). */
export function sliceBytes(b: BufferSlice): number {
  if (!isBinding(b)) return b.size;
  return b.size ?? b.buffer.size - (b.offset ?? 0);
}

/** A label for error messages: the buffer's label, with the byte range of a slice. */
export function sliceLabel(b: BufferSlice): string {
  if (!isBinding(b)) return b.label;
  const offset = b.offset ?? 0;
  return `${b.buffer.label}[${offset}..${offset + sliceBytes(b)})`;
}

/** The bind group resource of a slice ({buffer} for a whole buffer). */
export function bindingResource(b: BufferSlice): GPUBufferBinding {
  if (!isBinding(b)) return { buffer: b };
  const offset = b.offset ?? 0;
  if (offset % 256 !== 0 || offset < 0 || offset + sliceBytes(b) > b.buffer.size || sliceBytes(b) % 4 !== 0)
    throw new RangeError(
      `bindingResource: ${sliceLabel(b)} of a ${b.buffer.size}-byte buffer: the offset must be a multiple of 256 (minStorageBufferOffsetAlignment) and the range a whole number of f32 inside the buffer`,
    );
  return { buffer: b.buffer, offset, size: sliceBytes(b) };
}

/** Binds buffers (or slices of buffers) to binding slots 0..n-1 of group 0, in order. */
export function bindGroup(device: GPUDevice, label: string, pipeline: GPUComputePipeline, buffers: BufferSlice[]): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: bindingResource(buffer) })),
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
export function bindSlots(device: GPUDevice, label: string, pipeline: GPUComputePipeline, slots: [number, BufferSlice][]): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: slots.map(([binding, buffer]) => ({ binding, resource: bindingResource(buffer) })),
  });
}
