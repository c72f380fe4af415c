// Filtering off the main thread: the worker reads the run's rollouts from IndexedDB once (cached per
// run, in hit order so that no filter has to sort its hits), then answers each filter request with the matching (step, group, sample) triples.

import { filterPositions, packHits, sortForFilter, type PackedHits, type FilterSpec } from './filter';
import type { Rollout } from './record';
import { getRunRollouts } from './rollout_db';

export interface FilterRequest extends FilterSpec {
  id: number;
  runId: string;
}
/** `ms`: the worker's own time (evaluation + packing), without the round trip. */
export type FilterResponse = { id: number; hits: PackedHits; ms: number } | { id: number; error: string };

let cached: { runId: string; rollouts: Promise<Rollout[]> } | null = null;

self.onmessage = async (e: MessageEvent<FilterRequest>) => {
  const req = e.data;
  const t0 = performance.now();
  try {
    if (cached?.runId !== req.runId) cached = { runId: req.runId, rollouts: getRunRollouts(req.runId).then(sortForFilter) };
    const rollouts = await cached.rollouts;
    const hits = packHits(rollouts, filterPositions(rollouts, req));
    (self as unknown as Worker).postMessage({ id: req.id, hits, ms: performance.now() - t0 } satisfies FilterResponse, [hits.steps.buffer, hits.samples.buffer, hits.groupRefs.buffer]);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id: req.id, error: (err as Error).message } satisfies FilterResponse);
  }
};
