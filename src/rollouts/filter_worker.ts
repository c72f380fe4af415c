// Filtering off the main thread: the worker reads the run's rollouts from IndexedDB once (cached per
// run, in hit order so that no filter has to sort its hits), then answers each filter request with the matching (step, group, sample) triples.

import { applyFilter, sortForFilter, type FilterHit, type FilterSpec } from './filter';
import type { Rollout } from './record';
import { getRunRollouts } from './rollout_db';

export interface FilterRequest extends FilterSpec {
  id: number;
  runId: string;
}
export type FilterResponse = { id: number; hits: FilterHit[]; ms: number } | { id: number; error: string };

let cached: { runId: string; rollouts: Promise<Rollout[]> } | null = null;

self.onmessage = async (e: MessageEvent<FilterRequest>) => {
  const req = e.data;
  const t0 = performance.now();
  try {
    if (cached?.runId !== req.runId) cached = { runId: req.runId, rollouts: getRunRollouts(req.runId).then(sortForFilter) };
    const hits = applyFilter(await cached.rollouts, req);
    (self as unknown as Worker).postMessage({ id: req.id, hits, ms: performance.now() - t0 } satisfies FilterResponse);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id: req.id, error: (err as Error).message } satisfies FilterResponse);
  }
};
