// Fakes shared by the training store's tests: a worker that records what the page sends and lets a
// test emit what the worker would, and TrainingDeps around it with in-memory defaults.
import type { TrainingDeps, WorkerLike } from '../../src/store/training';
import type { RunSummaryLike } from '../../src/store/training_runs';
import type { FromWorker, ToWorker } from '../../src/train/protocol';

export class FakeWorker implements WorkerLike {
  sent: ToWorker[] = [];
  terminated = false;
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  postMessage(m: ToWorker) {
    this.sent.push(m);
  }
  terminate() {
    this.terminated = true;
  }
  emit(m: FromWorker) {
    this.onmessage?.({ data: m } as MessageEvent<FromWorker>);
  }
}

/** Deps whose workers are FakeWorkers (collected in `workers`), listing `runs`; `overrides` replace any part. */
export function fakeTrainingDeps(runs: RunSummaryLike[] = [], overrides: Partial<TrainingDeps> = {}): { deps: TrainingDeps; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  const deps: TrainingDeps = {
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    listRuns: async () => runs,
    deleteRun: async () => undefined,
    now: () => 0,
    newRunId: () => 'run-1',
    knobs: {},
    ...overrides,
  };
  return { deps, workers };
}
