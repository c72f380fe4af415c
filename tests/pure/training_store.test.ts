// The training slice over a fake worker: status transitions, batched progress into chart series, the
// ETA from recent ms/step, checkpoints, device-loss pause, and the reload's resume offer.
import { describe, expect, it } from 'vitest';
import { createTrainingStore, estimateEta, reduce } from '../../src/store/training';
import { presetForm, resumableRuns, type RunSummaryLike } from '../../src/store/training_runs';
import { fakeTrainingDeps } from './training_fakes';
import type { FromWorker, LogPoint } from '../../src/train/protocol';

const pt = (step: number, ms = 100, extra: Partial<LogPoint> = {}): LogPoint => ({
  step,
  loss: 5 - step * 0.1,
  lr: 0.01,
  gradNorm: 1,
  entropy: 5,
  skipped: false,
  tokensPerSec: 1000,
  msPerStep: ms,
  ...extra,
});

function setup(runs: RunSummaryLike[] = []) {
  const deleted: string[] = [];
  const { deps, workers } = fakeTrainingDeps(runs, {
    deleteRun: async (id) => {
      deleted.push(id);
    },
    knobs: { stepDelayMs: 5 },
  });
  const store = createTrainingStore(deps, { ...presetForm('tiny'), steps: 10, checkpointEvery: 4 });
  return { store, workers, deleted };
}

const ready = (startStep = 0): FromWorker => ({
  type: 'ready',
  runId: 'run-1',
  adapter: 'Fake adapter',
  isFallback: true,
  startStep,
  totalSteps: 10,
  parameters: 1234,
  settings: { ...presetForm('tiny'), steps: 10, checkpointEvery: 4 },
});

describe('estimateEta', () => {
  it('is remaining steps × the mean ms/step of the recent window', () => {
    expect(estimateEta([], 10)).toEqual({ msPerStep: null, etaSeconds: null });
    const series = [pt(0, 1000), ...Array.from({ length: 20 }, (_, i) => pt(i + 1, 200))];
    // Last 20 points are 200 ms; done = 21, remaining 79.
    expect(estimateEta(series, 100)).toEqual({ msPerStep: 200, etaSeconds: (79 * 200) / 1000 });
    expect(estimateEta([pt(0, 100), pt(1, 300)], 4).etaSeconds).toBeCloseTo(0.4);
    expect(estimateEta([pt(9, 100)], 10).etaSeconds).toBe(0);
  });
});

describe('resumableRuns', () => {
  it('offers SFT runs whose latest checkpoint was running or paused and not at the end', () => {
    const meta = (state: string, steps = '30') => ({ mode: 'sft', state, steps, preset: 'tiny' });
    const runs: RunSummaryLike[] = [
      { runId: 'a', latestStep: 6, latestSavedAt: 1, metadata: meta('paused') },
      { runId: 'b', latestStep: 9, latestSavedAt: 2, metadata: meta('running') },
      { runId: 'c', latestStep: 30, latestSavedAt: 3, metadata: meta('finished') },
      { runId: 'd', latestStep: 12, latestSavedAt: 4, metadata: meta('stopped') },
      { runId: 'e', latestStep: 30, latestSavedAt: 5, metadata: meta('running') },
      { runId: 'f', latestStep: 3, latestSavedAt: 6, metadata: { mode: 'import' } },
    ];
    expect(resumableRuns(runs).map((r) => [r.runId, r.step, r.totalSteps, r.state])).toEqual([
      ['a', 6, 30, 'paused'],
      ['b', 9, 30, 'running'],
    ]);
  });
});

describe('the training store over a fake worker', () => {
  it('starts, charts batched progress, pauses with a checkpoint, resumes and finishes', async () => {
    const { store, workers } = setup();
    store.getState().start();
    expect(store.getState().status).toBe('starting');
    expect(workers).toHaveLength(1);
    const w = workers[0];
    expect(w.sent[0]).toMatchObject({ type: 'start', runId: 'run-1', preset: 'tiny', steps: 10, checkpointEvery: 4, mode: 'sft', knobs: { stepDelayMs: 5 } });

    w.emit(ready());
    expect(store.getState()).toMatchObject({ status: 'running', step: 0, totalSteps: 10, parameters: 1234, adapter: { name: 'Fake adapter', isFallback: true } });

    w.emit({ type: 'progress', points: [pt(0, 100), pt(1, 100), pt(2, 100, { skipped: true, loss: NaN })] });
    let s = store.getState();
    expect(s.series.map((p) => p.step)).toEqual([0, 1, 2]);
    expect(s.step).toBe(3);
    expect(s.skipped).toBe(1);
    expect(s.msPerStep).toBe(100);
    expect(s.etaSeconds).toBeCloseTo(0.7);

    w.emit({ type: 'progress', points: [pt(3, 300)] });
    w.emit({ type: 'checkpoint', step: 4, reason: 'interval', savedAt: 5, bytes: 100 });
    s = store.getState();
    expect(s.step).toBe(4);
    expect(s.msPerStep).toBe(150);
    expect(s.etaSeconds).toBeCloseTo(0.9);
    expect(s.lastCheckpoint).toEqual({ step: 4, reason: 'interval', savedAt: 5, bytes: 100 });

    // Space toggles: pause is sent, the state changes when the worker says so.
    store.getState().toggle();
    expect(w.sent.at(-1)).toEqual({ type: 'pause' });
    expect(store.getState().status).toBe('running');
    w.emit({ type: 'checkpoint', step: 4, reason: 'pause', savedAt: 6, bytes: 100 });
    w.emit({ type: 'paused', step: 4, reason: 'user' });
    expect(store.getState().status).toBe('paused');
    expect(store.getState().lastCheckpoint?.reason).toBe('pause');
    store.getState().pauseRun(); // not running: nothing sent
    expect(w.sent.filter((m) => m.type === 'pause')).toHaveLength(1);

    store.getState().toggle();
    expect(w.sent.at(-1)).toEqual({ type: 'resume' });
    expect(store.getState().status).toBe('running');

    w.emit({ type: 'progress', points: [4, 5, 6, 7, 8, 9].map((i) => pt(i)) });
    w.emit({ type: 'checkpoint', step: 10, reason: 'final', savedAt: 7, bytes: 100 });
    w.emit({ type: 'finished', step: 10, stopped: false });
    s = store.getState();
    expect(s.status).toBe('finished');
    expect(s.step).toBe(10);
    expect(s.etaSeconds).toBe(0);
    expect(s.series).toHaveLength(10);
    expect(w.terminated).toBe(true);

    // A late message from the terminated worker changes nothing.
    w.emit({ type: 'error', code: 'X', message: 'late', hint: '' });
    expect(store.getState().status).toBe('finished');
  });

  it('after a device loss, resume re-attaches and the chart drops the steps after the checkpoint', () => {
    const { store, workers } = setup();
    store.getState().start();
    const w = workers[0];
    w.emit(ready());
    w.emit({ type: 'progress', points: [0, 1, 2, 3, 4, 5].map((i) => pt(i)) });
    w.emit({ type: 'checkpoint', step: 4, reason: 'interval', savedAt: 1, bytes: 1 });
    w.emit({ type: 'paused', step: 4, reason: 'device-lost', message: 'GPU device lost: gone', hint: 'Resume…' });
    expect(store.getState().pause).toMatchObject({ reason: 'device-lost', message: 'GPU device lost: gone' });
    store.getState().resumeRun();
    expect(store.getState().status).toBe('starting');
    expect(w.sent.at(-1)).toEqual({ type: 'resume' });
    w.emit(ready(4));
    expect(store.getState().series.map((p) => p.step)).toEqual([0, 1, 2, 3]);
    expect(store.getState().step).toBe(4);
    w.emit({ type: 'progress', points: [pt(4), pt(5)] });
    expect(store.getState().series.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('an error ends the run with its code and hint; stop sends stop', () => {
    const { store, workers } = setup();
    store.getState().start();
    const w = workers[0];
    w.emit(ready());
    store.getState().stop();
    expect(w.sent.at(-1)).toEqual({ type: 'stop' });
    w.emit({ type: 'finished', step: 2, stopped: true });
    expect(store.getState()).toMatchObject({ status: 'finished', stopped: true });

    store.getState().start();
    const w2 = workers[1];
    w2.emit({ type: 'error', code: 'OutOfMemory', message: 'no memory', hint: 'use a smaller preset' });
    expect(store.getState()).toMatchObject({ status: 'error', error: { code: 'OutOfMemory', hint: 'use a smaller preset' } });
    expect(w2.terminated).toBe(true);
  });

  it('loads the resume offer and resumes a stored run in a new worker', async () => {
    const { store, workers, deleted } = setup([
      { runId: 'old', latestStep: 6, latestSavedAt: 1, metadata: { mode: 'sft', state: 'paused', steps: '10', preset: 'tiny' } },
      { runId: 'gone', latestStep: 2, latestSavedAt: 1, metadata: { mode: 'sft', state: 'running', steps: '10', preset: 'tiny' } },
    ]);
    await store.getState().loadResumable();
    expect(store.getState().resumable.map((r) => r.runId)).toEqual(['old', 'gone']);
    await store.getState().discardStored('gone');
    expect(deleted).toEqual(['gone']);
    store.getState().resumeStored('old');
    expect(store.getState()).toMatchObject({ status: 'starting', runId: 'old', step: 6, totalSteps: 10, resumable: [] });
    expect(workers[0].sent[0]).toMatchObject({ type: 'start', resumeRunId: 'old' });
    workers[0].emit({ ...(ready(6) as Extract<FromWorker, { type: 'ready' }>), runId: 'old' });
    expect(store.getState()).toMatchObject({ status: 'running', step: 6, startStep: 6 });
  });

  it('changing the preset resets the form to that preset', () => {
    const { store } = setup();
    store.getState().setForm({ preset: 'demo' });
    expect(store.getState().form).toMatchObject({ preset: 'demo', steps: 2000, lr: 6e-4, batch: 8 });
    store.getState().setForm({ steps: 50 });
    expect(store.getState().form.steps).toBe(50);
    expect(reduce(store.getState(), { type: 'warning', message: 'w' }).warnings).toEqual(['w']);
  });
});

describe('writes that fail while training', () => {
  it('shows a checkpoint the quota refused as an alert with its hint, until a later checkpoint is stored', () => {
    const { store, workers } = setup();
    store.getState().start();
    const w = workers[0];
    w.emit(ready());
    w.emit({ type: 'checkpoint', step: 4, reason: 'interval', savedAt: 1, bytes: 10 });
    w.emit({
      type: 'warning',
      message: 'checkpoint at step 8 not saved: Storage quota exceeded while saving run-1',
      hint: 'The browser refused to store more data: delete old runs or datasets',
      code: 'CheckpointNotSaved',
      step: 8,
    });
    expect(store.getState().status).toBe('running');
    expect(store.getState().writeFailures.checkpoint).toEqual({
      code: 'CheckpointNotSaved',
      step: 8,
      message: 'checkpoint at step 8 not saved: Storage quota exceeded while saving run-1',
      hint: 'The browser refused to store more data: delete old runs or datasets',
    });
    expect(store.getState().lastCheckpoint?.step).toBe(4); // what a reload would resume from
    expect(store.getState().warnings).toHaveLength(1);
    w.emit({ type: 'checkpoint', step: 10, reason: 'final', savedAt: 2, bytes: 10 });
    expect(store.getState().writeFailures.checkpoint).toBeUndefined();
  });

  it('shows a step whose rollouts were not stored as an alert, until a later step is stored; a plain warning is no alert', () => {
    const { store, workers } = setup();
    store.getState().start();
    const w = workers[0];
    w.emit(ready());
    w.emit({ type: 'warning', message: 'reference weights reloaded' });
    expect(store.getState().writeFailures).toEqual({});
    w.emit({ type: 'warning', message: 'rollouts of step 2 not stored: storage quota exceeded while appending step 2', hint: 'delete old runs', code: 'RolloutsNotStored', step: 2 });
    expect(store.getState().writeFailures.rollouts).toMatchObject({ code: 'RolloutsNotStored', step: 2, hint: 'delete old runs' });
    w.emit({ type: 'rollouts', runId: 'run-1', step: 3, count: 8 });
    expect(store.getState().writeFailures.rollouts).toBeUndefined();
    // A new run starts with no alerts.
    w.emit({ type: 'warning', message: 'checkpoint at step 3 not saved: x', code: 'CheckpointNotSaved', step: 3 });
    w.emit({ type: 'finished', step: 10, stopped: false });
    store.getState().start();
    expect(store.getState().writeFailures).toEqual({});
  });
});
