// Shader and pipeline creation inside validation error scopes. A WGSL compile error becomes a
// ShaderCompileError naming the kernel file and line; a layout mismatch becomes a PipelineError.

import { gpuError } from './errors';
import { composeWgsl, type WgslSource } from './wgsl';

export interface ComputePipelineSpec {
  /** Label of the pipeline and its module, e.g. 'Matmul'. */
  label: string;
  /** Shared files first, the kernel's own file last. */
  sources: WgslSource[];
  entryPoint?: string;
  /** Values for WGSL `override` constants (workgroup sizes, tile sizes). */
  constants?: Record<string, number>;
}

const moduleCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/** Creates (once per device and spec) a compute pipeline with an automatic layout. */
export function computePipeline(device: GPUDevice, spec: ComputePipelineSpec): Promise<GPUComputePipeline> {
  let perDevice = moduleCache.get(device);
  if (!perDevice) moduleCache.set(device, (perDevice = new Map()));
  const key = JSON.stringify([spec.label, spec.entryPoint ?? 'main', spec.constants ?? {}, spec.sources.map((s) => s.file)]);
  let pipeline = perDevice.get(key);
  if (!pipeline) {
    pipeline = createComputePipeline(device, spec);
    perDevice.set(key, pipeline);
    pipeline.catch(() => perDevice!.delete(key));
  }
  return pipeline;
}

async function createComputePipeline(device: GPUDevice, spec: ComputePipelineSpec): Promise<GPUComputePipeline> {
  const composed = composeWgsl(spec.sources);
  const file = spec.sources.at(-1)?.file ?? '<wgsl>';
  // push, create and pop run synchronously: error scopes are a per-device stack, and awaiting
  // between push and pop would let concurrent creations pop each other's scopes.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: `${spec.label}.module`, code: composed.code });
  const moduleError = device.popErrorScope();
  const info = await module.getCompilationInfo();
  const scoped = await moduleError;
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0 || scoped) {
    const lines = errors.map((m) => {
      const at = composed.locate(m.lineNum);
      return `${at.file}:${at.line}:${m.linePos}: ${m.message}`;
    });
    if (lines.length === 0 && scoped) {
      // Dawn in Node reports only through the scope, as ':LINE:COL error: ...' on the concatenation.
      const m = /:(\d+):(\d+) error: ([^\n]*)/.exec(scoped.message);
      if (m) {
        const at = composed.locate(Number(m[1]));
        lines.push(`${at.file}:${at.line}:${m[2]}: ${m[3]}`);
      } else lines.push(scoped.message);
    }
    throw gpuError('ShaderCompileError', `WGSL compile error in ${spec.label} (${file}):\n${lines.join('\n')}`);
  }
  device.pushErrorScope('validation');
  const pipeline = device.createComputePipeline({
    label: spec.label,
    layout: 'auto',
    compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: spec.constants },
  });
  const pipelineError = await device.popErrorScope();
  if (pipelineError) throw gpuError('PipelineError', `${spec.label} (${file}): ${pipelineError.message}`);
  return pipeline;
}
