import { describe, expect, it } from 'vitest';
import { computePipeline } from '../../src/gpu/pipeline';
import { GpuError } from '../../src/gpu/errors';
import { device } from './harness';

describe('pipeline creation', () => {
  it('reports a WGSL compile error with the kernel file and line, past a shared prelude', async () => {
    const d = await device();
    const prelude = { file: 'shaders/common.wgsl', code: 'const ONE: f32 = 1.0;\nconst TWO: f32 = 2.0;\n' };
    const broken = { file: 'shaders/broken.wgsl', code: '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_name;\n}\n' };
    const err = await computePipeline(d, { label: 'Broken', sources: [prelude, broken] }).catch((e) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect(err.code).toBe('ShaderCompileError');
    expect(err.message).toContain('shaders/broken.wgsl:3:');
  });

  it('reports a missing entry point as a pipeline error', async () => {
    const d = await device();
    const ok = { file: 'shaders/ok.wgsl', code: '@compute @workgroup_size(1)\nfn main() {}\n' };
    const err = await computePipeline(d, { label: 'NoEntry', sources: [ok], entryPoint: 'nope' }).catch((e) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect(err.code).toBe('PipelineError');
    expect(err.message).toContain('shaders/ok.wgsl');
  });
});
