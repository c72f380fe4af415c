// Named GPU errors: each carries a stable `code` and a one-line hint, so the UI maps them to
// messages in one place and tests can assert on the code rather than on prose.

export type GpuErrorCode =
  | 'WebGpuUnavailable'
  | 'AdapterUnavailable'
  | 'DeviceRequestFailed'
  | 'DeviceLost'
  | 'ShaderCompileError'
  | 'PipelineError'
  | 'ValidationError'
  | 'OutOfMemory';

export class GpuError extends Error {
  constructor(
    readonly code: GpuErrorCode,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const HINTS: Record<GpuErrorCode, string> = {
  WebGpuUnavailable:
    'Use Chrome or Edge 113+ (or Firefox 141+/Safari 26+) over https or http://localhost; on Linux start Chrome with --enable-unsafe-webgpu, and without a GPU add --enable-unsafe-swiftshader.',
  AdapterUnavailable:
    'The browser exposes WebGPU but found no adapter: check chrome://gpu, update the GPU driver, or allow a software adapter (--enable-unsafe-swiftshader).',
  DeviceRequestFailed: 'The adapter refused the requested features or limits; retry with the defaults.',
  DeviceLost: 'The GPU device was lost (driver reset, sleep, or too much memory); reload to get a new device.',
  ShaderCompileError: 'A WGSL kernel failed to compile: the message names the file and line.',
  PipelineError: 'A compute pipeline failed validation: check the bind group layout against the WGSL bindings.',
  ValidationError: 'A WebGPU call failed validation: the message says which object.',
  OutOfMemory: 'The GPU ran out of memory: use a smaller preset or batch.',
};

export function gpuError(code: GpuErrorCode, message: string): GpuError {
  return new GpuError(code, message, HINTS[code]);
}
