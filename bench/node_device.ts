// The start and end every Node (Dawn) bench section shares: one device, a result body that names
// the adapter, and uncaptured GPU errors reported as failures.

import { acquireDevice, type GpuContext } from '../src/gpu/device';
import { nodeGpu } from '../src/gpu/node-gpu';
import type { SectionBody } from './report';

export interface NodeSection {
  ctx: GpuContext;
  result: SectionBody;
  /** Appends the uncaptured GPU errors seen so far to result.failures; call once at the end. */
  finish(): SectionBody;
}

export async function openNodeSection(log: (line: string) => void): Promise<NodeSection> {
  const gpuErrors: string[] = [];
  const ctx = await acquireDevice({ gpu: await nodeGpu(), onError: (e) => gpuErrors.push(`${e.code}: ${e.message}`) });
  const { summary } = ctx;
  const result: SectionBody = {
    adapter: { ...summary, runtime: `Node ${process.version} (Dawn, webgpu package)`, cpuFigures: summary.isFallback },
    rows: [],
    notes: [],
    failures: [],
  };
  log(`  adapter: ${summary.description}${summary.isFallback ? ' (CPU implementation)' : ''}`);
  return {
    ctx,
    result,
    finish() {
      if (gpuErrors.length) result.failures.push(...gpuErrors.map((e) => `uncaptured GPU error: ${e}`));
      return result;
    },
  };
}
