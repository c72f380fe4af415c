// Buffer helpers shared by kernels, the trainer and tests: labelled storage buffers, uploads,
// uniform blocks of u32/f32 fields, and asynchronous read-back.

// Numeric usage flags: GPUBufferUsage is a browser global that Node only has after node-gpu.ts runs,
// and this module must import cleanly before either.
export const USAGE = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  QUERY_RESOLVE: 0x200,
} as const;

const STORAGE = USAGE.STORAGE | USAGE.COPY_DST | USAGE.COPY_SRC;

/** A storage buffer of `length` 32-bit elements (at least 4 bytes: WebGPU forbids empty bindings). */
export function storageBuffer(device: GPUDevice, label: string, length: number): GPUBuffer {
  return device.createBuffer({ label, size: Math.max(4, length * 4), usage: STORAGE });
}

/** A storage buffer holding a copy of `data`. */
export function uploadBuffer(device: GPUDevice, label: string, data: Float32Array | Int32Array | Uint32Array): GPUBuffer {
  const buffer = device.createBuffer({ label, size: Math.max(4, data.byteLength), usage: STORAGE, mappedAtCreation: true });
  const Ctor = data.constructor as Float32ArrayConstructor;
  new Ctor(buffer.getMappedRange()).set(data as Float32Array);
  buffer.unmap();
  return buffer;
}

export type UniformField = { u32: number } | { i32: number } | { f32: number };

/**
 * A uniform buffer from a list of scalar fields, in WGSL struct order (each 4 bytes, padded to 16).
 * The struct in WGSL must declare the same fields in the same order.
 */
export function uniformBuffer(device: GPUDevice, label: string, fields: UniformField[]): GPUBuffer {
  const words = Math.max(4, Math.ceil(fields.length / 4) * 4);
  const bytes = new ArrayBuffer(words * 4);
  const u32 = new Uint32Array(bytes);
  const i32 = new Int32Array(bytes);
  const f32 = new Float32Array(bytes);
  fields.forEach((field, i) => {
    if ('u32' in field) u32[i] = field.u32;
    else if ('i32' in field) i32[i] = field.i32;
    else f32[i] = field.f32;
  });
  const buffer = device.createBuffer({ label, size: bytes.byteLength, usage: USAGE.UNIFORM | USAGE.COPY_DST, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(bytes));
  buffer.unmap();
  return buffer;
}

/** Copies `buffer` (or its first `bytes`) to a staging buffer and maps it; one submit. */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes = buffer.size): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ label: `${buffer.label}.readback`, size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  const encoder = device.createCommandEncoder({ label: 'readBuffer' });
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(0x1 /* GPUMapMode.READ */);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

export async function readF32(device: GPUDevice, buffer: GPUBuffer, length?: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, buffer, length === undefined ? buffer.size : Math.max(4, length * 4)));
}

export async function readU32(device: GPUDevice, buffer: GPUBuffer, length?: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(device, buffer, length === undefined ? buffer.size : Math.max(4, length * 4)));
}
