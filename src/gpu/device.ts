// The one place that acquires a GPUDevice, in the browser (navigator.gpu) or in Node (a GPU object
// from ./node-gpu.ts, Dawn). Device loss and uncaptured errors are reported through one listener.

import { gpuError, GpuError } from './errors';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
  limits: Record<string, number>;
  /** True for CPU implementations (SwiftShader, lavapipe): speed figures are then not GPU figures. */
  isFallback: boolean;
}

export interface GpuContext {
  adapter: GPUAdapter;
  device: GPUDevice;
  summary: AdapterSummary;
  /** Optional features this device was created with (subset of the adapter's). */
  features: { timestampQuery: boolean; shaderF16: boolean; subgroups: boolean };
}

export interface AcquireOptions {
  /** The GPU entry point; defaults to navigator.gpu. Node passes the Dawn object. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Called once when the device is lost or an uncaptured error happens after creation. */
  onError?: (err: GpuError) => void;
  /** Request the adapter's full limits (kernels must still work at the defaults). Default true. */
  requestAdapterLimits?: boolean;
}

const LIMIT_NAMES = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

/** True when the adapter is a CPU implementation of WebGPU (SwiftShader, lavapipe, WARP). */
export function isCpuAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  return (
    Boolean((info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    /swiftshader|lavapipe|llvmpipe|warp/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`)
  );
}

/**
 * True when the device runs on a CPU implementation of WebGPU (from GPUDevice.adapterInfo): kernel
 * owners pick their CPU forms (register-tiled matmul, small attention blocks, tree-free reductions).
 */
export function isCpuDevice(device: GPUDevice): boolean {
  return isCpuAdapter((device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo);
}

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) limits[name] = Number((adapter.limits as unknown as Record<string, number>)[name]);
  // Browsers often leave description empty for privacy; vendor + architecture still name it.
  const description = info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unknown adapter';
  const isFallback = isCpuAdapter(info);
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description,
    features: [...adapter.features].map(String).sort(),
    limits,
    isFallback,
  };
}

export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  const gpu = options.gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
  if (!gpu) {
    const secure = typeof isSecureContext === 'undefined' || isSecureContext;
    throw gpuError(
      'WebGpuUnavailable',
      secure
        ? 'navigator.gpu is missing: this browser has WebGPU disabled or does not support it.'
        : 'navigator.gpu is missing because the page is not a secure context (serve it over https or from localhost).',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw gpuError('AdapterUnavailable', 'requestAdapter() returned null: no WebGPU adapter is available.');

  const wanted: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'] as GPUFeatureName[];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  if (options.requestAdapterLimits !== false) {
    for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxStorageBuffersPerShaderStage'] as const) {
      requiredLimits[name] = Number((adapter.limits as unknown as Record<string, number>)[name]);
    }
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'P2R Lab device' });
  } catch (e) {
    throw gpuError('DeviceRequestFailed', `requestDevice() failed: ${(e as Error).message}`);
  }

  device.lost.then((info) => {
    // 'destroyed' is our own device.destroy(): not an error.
    if (info.reason !== 'destroyed') options.onError?.(gpuError('DeviceLost', `GPU device lost: ${info.message || info.reason}`));
  });
  device.addEventListener('uncapturederror', (event) => {
    const err = (event as GPUUncapturedErrorEvent).error;
    const code = err instanceof GPUOutOfMemoryError ? 'OutOfMemory' : 'ValidationError';
    options.onError?.(gpuError(code, err.message));
  });

  return {
    adapter,
    device,
    summary: summarizeAdapter(adapter),
    features: {
      timestampQuery: device.features.has('timestamp-query'),
      shaderF16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
    },
  };
}
