// Page side of the in-browser bench sections (bench/browser/main.ts, bench/browser/tfjs_main.ts): the
// page log, our device and the SectionBody it fills, and the closing notes common to both.

import { acquireDevice, type AdapterSummary } from '../../src/gpu/device';
import type { SectionBody } from '../report';

export const logElement = document.getElementById('log')!;

export function log(line: string): void {
  // bench/browser/page.ts forwards console lines starting with [bench] to the terminal.
  console.log(`[bench] ${line}`);
  logElement.textContent += `\n${line}`;
}

export interface PageSection {
  device: GPUDevice;
  summary: AdapterSummary;
  result: SectionBody;
  /** Uncaptured GPU errors of our device, reported as failures by finishSection. */
  gpuErrors: string[];
}

/** Acquires our device, starts an empty SectionBody for it and logs the adapter. */
export async function startSection(): Promise<PageSection> {
  const gpuErrors: string[] = [];
  const { device, summary } = await acquireDevice({ onError: (e) => gpuErrors.push(`${e.code}: ${e.message}`) });
  const result: SectionBody = {
    adapter: { ...summary, runtime: navigator.userAgent, cpuFigures: summary.isFallback },
    rows: [],
    notes: [],
    failures: [],
  };
  log(`adapter: ${summary.description}${summary.isFallback ? ' (CPU implementation)' : ''}`);
  return { device, summary, result, gpuErrors };
}

/** Adds the SwiftShader note and the uncaptured GPU errors, destroys our device, returns the body. */
export function finishSection({ device, summary, result, gpuErrors }: PageSection): SectionBody {
  if (summary.isFallback) result.notes.push('SwiftShader runs WebGPU on the CPU: these are CPU figures, not GPU figures');
  if (gpuErrors.length) result.failures.push(...gpuErrors.map((e) => `uncaptured GPU error: ${e}`));
  device.destroy();
  return result;
}

/** 'vendor architecture description' of another library's GPUDevice, or 'unknown'. */
export function adapterLabel(device: (GPUDevice & { adapterInfo?: GPUAdapterInfo }) | undefined): string {
  const info = device?.adapterInfo;
  return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : 'unknown';
}
