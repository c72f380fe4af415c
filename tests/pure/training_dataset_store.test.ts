// The Train page's data choice (src/store/training.ts useDataset): a stored dataset goes to the worker
// with an SFT start, never with an RL one; the worker's data summary is kept for the page.
import { describe, expect, it } from 'vitest';
import { createTrainingStore } from '../../src/store/training';
import { presetForm } from '../../src/store/training_runs';
import { fakeTrainingDeps } from './training_fakes';
import type { StoredSftSummary } from '../../src/train/stored_sft';

function setup() {
  const { deps, workers } = fakeTrainingDeps();
  const store = createTrainingStore(deps, { ...presetForm('tiny'), steps: 10 });
  return { store, workers };
}

const summary: StoredSftSummary = { datasetId: 'cot-x', name: 'CoT x', total: 3, read: 3, used: 2, noOutput: 0, badTemplate: 1, examples: ['q3: missing <observation>'], withoutFrames: 0, truncated: 0, notes: ['1 of 3 samples skipped'] };

describe('training on a stored dataset', () => {
  it('selects the dataset for SFT (tiny becomes demo) and sends it with the start', () => {
    const { store, workers } = setup();
    store.getState().setForm({ mode: 'pa-grpo' });
    expect(store.getState().useDataset('cot-x')).toBe(true);
    const form = store.getState().form;
    expect(form).toMatchObject({ dataset: 'cot-x', mode: 'sft', preset: 'demo' });
    // Changing the preset keeps the dataset.
    store.getState().setForm({ preset: 'test' });
    expect(store.getState().form.dataset).toBe('cot-x');
    store.getState().start();
    expect(workers[0].sent[0]).toMatchObject({ type: 'start', mode: 'sft', dataset: 'cot-x', preset: 'test' });

    workers[0].emit({ type: 'data', summary: { ...summary, read: 1, used: 1 }, done: false });
    expect(store.getState().data).toMatchObject({ done: false, summary: { read: 1 } });
    workers[0].emit({ type: 'data', summary, done: true });
    expect(store.getState().data).toEqual({ summary, done: true });
    // No other dataset while a run is active.
    expect(store.getState().useDataset(null)).toBe(false);
    expect(store.getState().form.dataset).toBe('cot-x');
  });

  it('keeps a non-tiny preset, goes back to the synthetic data, and never sends a dataset with RL', () => {
    const { store, workers } = setup();
    store.getState().setForm({ preset: 'test' });
    store.getState().useDataset('cot-x');
    expect(store.getState().form.preset).toBe('test');
    store.getState().setForm({ mode: 'grpo' });
    store.getState().setRl({ fromRunId: null });
    store.getState().start();
    expect(workers[0].sent[0]).toMatchObject({ type: 'start', mode: 'grpo' });
    expect('dataset' in workers[0].sent[0]).toBe(false);
    workers[0].emit({ type: 'finished', step: 1, stopped: true });

    store.getState().useDataset(null);
    expect('dataset' in store.getState().form).toBe(false);
  });
});
