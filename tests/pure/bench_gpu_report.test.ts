// The pure parts of `npm run bench -- --gpu-report`: its flags, that a plain run leaves it out, the
// peak it measures matmul against (given, looked up, or unknown) and the caps on a CPU adapter.

import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/config';
import { f32PeakFor, gpuReportPlan, peakFractionText } from '../../bench/gpu_report_plan';
import { selectSections } from '../../bench/sections';

const adapter = (description: string, vendor = '', architecture = '', device = '') => ({ vendor, architecture, device, description });

describe('--gpu-report flags', () => {
  it('selects the gpu-report section alone, or beside the sections --only names', () => {
    const c = parseBenchArgs(['--gpu-report']);
    expect(c.gpuReport).toBe(true);
    expect(c.only).toEqual(['gpu-report']);
    expect(parseBenchArgs(['--only', 'node', '--gpu-report']).only).toEqual(['node', 'gpu-report']);
    expect(parseBenchArgs(['--gpu-report', '--peak-gflops=66900']).peakGflops).toBe(66900);
    expect(parseBenchArgs(['--gpu-report', '--peak-gflops', '2.5']).peakGflops).toBe(2.5);
  });

  it('refuses a peak that is not a positive number, or a peak without the report', () => {
    for (const bad of ['0', '-3', 'fast', '']) expect(() => parseBenchArgs(['--gpu-report', `--peak-gflops=${bad}`])).toThrow(/--peak-gflops/);
    expect(() => parseBenchArgs(['--gpu-report', '--peak-gflops'])).toThrow(/--peak-gflops/);
    expect(() => parseBenchArgs(['--peak-gflops', '100'])).toThrow(/only used by --gpu-report/);
  });

  it('is left out of a plain run and runs when named', () => {
    expect(selectSections([]).map((s) => s.name)).not.toContain('gpu-report');
    expect(selectSections([]).length).toBeGreaterThan(0);
    expect(selectSections(['gpu-report']).map((s) => s.name)).toEqual(['gpu-report']);
    expect(() => selectSections(['gpu-reprot'])).toThrow(/unknown section/);
  });
});

describe('f32 peak of the adapter', () => {
  it('takes the user figure first, then the labelled lookup, else says it is unknown', () => {
    expect(f32PeakFor(adapter('NVIDIA H200'), 1000)).toEqual({ gflops: 1000, source: expect.stringContaining('--peak-gflops') });
    const h200 = f32PeakFor(adapter('NVIDIA H200', 'nvidia', 'hopper'));
    expect(h200.gflops).toBe(66_900);
    expect(h200.source).toMatch(/^lookup: .*not reported by the adapter/);
    expect(f32PeakFor(adapter('', 'nvidia', 'hopper', 'NVIDIA H100 PCIe')).gflops).toBe(51_200);
    expect(f32PeakFor(adapter('Apple M1 Max')).gflops).toBeUndefined(); // only the base M1 is listed
    const swift = f32PeakFor(adapter('SwiftShader driver 5.0.0', 'google', 'swiftshader'));
    expect(swift.gflops).toBeUndefined();
    expect(swift.source).toMatch(/peak unknown.*--peak-gflops/);
    expect(peakFractionText(33_450, h200)).toBe('50.0% of 66900 GFLOP/s');
    expect(peakFractionText(1, swift)).toBe('peak unknown');
  });
});

describe('work plan', () => {
  it('runs both matmul shapes and both presets in full on a GPU, and names every cap on a CPU adapter', () => {
    const gpu = gpuReportPlan(false);
    expect(gpu.caps).toEqual([]);
    expect(gpu.matmul.map((m) => m.shape.m)).toEqual([1024, 2048]);
    expect(gpu.sft.map((s) => [s.preset, s.batchSize])).toEqual([['tiny', undefined], ['demo', undefined]]);
    const cpu = gpuReportPlan(true);
    expect(cpu.matmul.map((m) => m.shape.m)).toEqual([1024, 2048]);
    expect(cpu.sft.find((s) => s.preset === 'demo')?.batchSize).toBe(1);
    expect(cpu.caps.join('\n')).toMatch(/demo SFT at batch 1/);
    expect(cpu.caps.join('\n')).toMatch(/2048³ ONE run/);
    for (const m of cpu.matmul) expect(m.repeats).toBeLessThanOrEqual(gpu.matmul[0].repeats);
    expect(gpu.attention.shape).toEqual({ B: 4, T: 1024, H: 8, D: 64 });
    expect(cpu.attention.shape.T).toBeLessThan(gpu.attention.shape.T);
  });
});
