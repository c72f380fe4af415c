// The pure parts of `npm run bench -- --gpu-report` (bench/gpu_report.ts): how much work runs on a GPU
// and, capped, on a CPU adapter; and the f32 peak a matmul figure is measured against. WebGPU adapters
// do not report peak FLOP/s, so the peak comes from the user (`--peak-gflops N`), else from a small
// LOOKUP of vendor spec sheets by adapter name, else it is unknown and the report says so.

import type { AdapterSummary } from '../src/gpu/device';
import type { PresetName } from '../src/model/config';
import type { MatmulShape } from './config';

export const GPU_REPORT_MATMULS: MatmulShape[] = [
  { m: 1024, n: 1024, k: 1024 },
  { m: 2048, n: 2048, k: 2048 },
];

/** Attention forward of the f16 check (it runs only where the device has shader-f16). */
export const GPU_REPORT_ATTENTION = { B: 4, T: 1024, H: 8, D: 64 };

/** How much of each measurement runs; a CPU adapter gets less (see `gpuReportPlan`). */
export interface GpuReportPlan {
  matmul: { shape: MatmulShape; warmup: number; repeats: number }[];
  sft: { preset: PresetName; batchSize?: number; warmup: number; repeats: number }[];
  /** f16 vs f32 attention forward, where the device has shader-f16. */
  attention: { shape: typeof GPU_REPORT_ATTENTION; warmup: number; repeats: number };
  /** What was cut, in words, for the output. */
  caps: string[];
}

/** The full plan on a GPU; on a CPU adapter fewer repeats, and demo at batch 1 for one timed step. */
export function gpuReportPlan(cpu: boolean): GpuReportPlan {
  if (!cpu) {
    return {
      matmul: GPU_REPORT_MATMULS.map((shape) => ({ shape, warmup: 2, repeats: 10 })),
      sft: [
        { preset: 'tiny', warmup: 3, repeats: 10 },
        { preset: 'demo', warmup: 2, repeats: 5 },
      ],
      attention: { shape: GPU_REPORT_ATTENTION, warmup: 2, repeats: 10 },
      caps: [],
    };
  }
  return {
    matmul: [
      { shape: GPU_REPORT_MATMULS[0], warmup: 1, repeats: 3 },
      // Same pipeline as 1024³ (already compiled and warm): one run, no warm-up.
      { shape: GPU_REPORT_MATMULS[1], warmup: 0, repeats: 1 },
    ],
    sft: [
      { preset: 'tiny', warmup: 2, repeats: 5 },
      { preset: 'demo', batchSize: 1, warmup: 1, repeats: 1 },
    ],
    // Only with shader-f16, which no CPU adapter has offered so far; if one does, a shorter sequence.
    attention: { shape: { ...GPU_REPORT_ATTENTION, B: 1, T: 256 }, warmup: 1, repeats: 3 },
    caps: [
      'CPU adapter: matmul 1024³ 3 repeats after 1 warm-up, 2048³ ONE run (no warm-up; its pipeline is the one 1024³ warmed), instead of 10 after 2',
      'CPU adapter: demo SFT at batch 1 (preset: 8), one warm-up and ONE timed step, instead of batch 8, 5 after 2 (a batch-8 demo step takes minutes on SwiftShader)',
      'CPU adapter: the other matmul kernel (workgroup tiles, for GPUs) is not timed: it is 3-5x slower here and would double the matmul time',
    ],
  };
}


export interface KnownPeak {
  /** Matched against "vendor architecture device description" of the adapter. */
  pattern: RegExp;
  name: string;
  /** Dense f32 (non-tensor-core) peak at boost clock, GFLOP/s, as the vendor publishes it. */
  gflops: number;
}

/**
 * A lookup, not a measurement: vendor spec-sheet f32 peaks (FMA = 2 FLOPs, boost clock, no tensor
 * cores). A laptop or power-capped part runs below these. Extend it when a new adapter is benched;
 * anything not listed gets "peak unknown" unless --peak-gflops is given. First match wins.
 */
export const KNOWN_F32_PEAKS: readonly KnownPeak[] = [
  { pattern: /\bH100\b.*\bPCIe\b/i, name: 'NVIDIA H100 PCIe', gflops: 51_200 },
  { pattern: /\bH100\b/i, name: 'NVIDIA H100 SXM', gflops: 66_900 },
  { pattern: /\bH200\b.*\bNVL\b/i, name: 'NVIDIA H200 NVL', gflops: 60_000 },
  { pattern: /\bH200\b/i, name: 'NVIDIA H200 SXM', gflops: 66_900 },
  { pattern: /\bA100\b/i, name: 'NVIDIA A100', gflops: 19_500 },
  { pattern: /\bRTX 4090\b/i, name: 'NVIDIA GeForce RTX 4090', gflops: 82_600 },
  { pattern: /\bRTX 3090\b/i, name: 'NVIDIA GeForce RTX 3090', gflops: 35_600 },
  { pattern: /\bApple M1\b(?! (Pro|Max|Ultra))/i, name: 'Apple M1 (8-core GPU)', gflops: 2_600 },
  { pattern: /\bApple M2\b(?! (Pro|Max|Ultra))/i, name: 'Apple M2 (10-core GPU)', gflops: 3_600 },
];

export interface Peak {
  /** GFLOP/s, absent when unknown. */
  gflops?: number;
  /** Where the figure came from, for the table and the JSON. */
  source: string;
}

/** The peak for this adapter: the user's figure first, then the lookup, else unknown. */
export function f32PeakFor(adapter: Pick<AdapterSummary, 'vendor' | 'architecture' | 'device' | 'description'>, given?: number): Peak {
  if (given !== undefined) return { gflops: given, source: '--peak-gflops (given by the user)' };
  const name = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(Boolean).join(' ');
  const known = KNOWN_F32_PEAKS.find((k) => k.pattern.test(name));
  if (known) return { gflops: known.gflops, source: `lookup: ${known.name} spec-sheet f32 peak (bench/gpu_peaks.ts), not reported by the adapter` };
  return { source: 'peak unknown: WebGPU does not report it and this adapter is not in the lookup; pass --peak-gflops N' };
}

/** "12.3% of 66900 GFLOP/s (source)" or "peak unknown". */
export function peakFractionText(gflops: number, peak: Peak): string {
  if (peak.gflops === undefined) return 'peak unknown';
  return `${((100 * gflops) / peak.gflops).toPrecision(3)}% of ${peak.gflops} GFLOP/s`;
}
