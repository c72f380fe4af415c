// Held-out evaluation in the training slice over a fake worker: when the worker evaluates
// (heldOutEvery, heldOutDue), the points kept with the run (in step order, a redone step replacing its
// point, later points dropped when a resume goes back), the evaluations a checkpoint stores so a
// resumed run keeps its curve, the evaluation in progress, and the form's defaults from the preset.
import { describe, expect, it } from 'vitest';
import { createTrainingStore, reduce } from '../../src/store/training';
import { CPU_SFT_TIME, presetForm } from '../../src/store/training_runs';
import { DEFAULT_EVAL_QUESTIONS, STORED_HELD_OUT_POINTS, decodeHeldOut, encodeHeldOut, heldOutDue, heldOutEvery, type FromWorker, type HeldOutPoint } from '../../src/train/protocol';
import type { HeldOutMetrics } from '../../src/train/heldout';
import { makeConfig } from '../../src/model/config';
import { fakeTrainingDeps } from './training_fakes';

const metrics = (answer: number, judge: number, questions = 6): HeldOutMetrics => ({
  questions,
  format_perception: 1,
  format_reasoning: 1,
  answer_accuracy: answer,
  perception_judge_accuracy: judge,
  mean_tokens: 9,
});

const point = (step: number, answer: number, judge = answer / 2): HeldOutPoint => ({
  step,
  ms: 1000,
  report: {
    ...metrics(answer, judge),
    by_problem_type: { 'multiple choice': metrics(answer, judge, 2) },
    by_family: { direction: metrics(answer, judge, 2), count: metrics(answer / 2, judge, 2), same: metrics(0, judge, 2) },
  },
});

const ready = (startStep: number): FromWorker => ({
  type: 'ready',
  runId: 'run-1',
  adapter: 'Fake adapter',
  isFallback: true,
  startStep,
  totalSteps: 12,
  parameters: 1,
  settings: { ...presetForm('tiny'), steps: 12 },
});

function setup() {
  const { deps, workers } = fakeTrainingDeps([], { knobs: { evalEvery: 4, evalQuestions: 6 } });
  const store = createTrainingStore(deps, { ...presetForm('tiny'), steps: 12 });
  return { store, workers };
}

describe('when the held-out questions are evaluated', () => {
  it('is about 6 times a run by default, or every N steps when given, 0 meaning never', () => {
    expect(heldOutEvery(1500)).toBe(250);
    expect(heldOutEvery(40)).toBe(7);
    expect(heldOutEvery(3)).toBe(1);
    expect(heldOutEvery(1500, 100)).toBe(100);
    expect(heldOutEvery(1500, 0)).toBe(0);
    expect(DEFAULT_EVAL_QUESTIONS).toBe(60);
  });

  it('is due before the first step, every N steps and after the last, never when N is 0', () => {
    const due = (total: number, every: number) => Array.from({ length: total + 1 }, (_, d) => d).filter((d) => heldOutDue(d, total, every));
    expect(due(10, 4)).toEqual([0, 4, 8, 10]);
    expect(due(8, 4)).toEqual([0, 4, 8]);
    expect(due(10, 0)).toEqual([]);
  });
});

describe("the evaluations a checkpoint's metadata stores", () => {
  it('round-trip with figures to 4 decimals, keep the latest ones, and read as none when garbled', () => {
    const p = point(4, 1 / 3);
    const [back] = decodeHeldOut(encodeHeldOut([p]));
    expect(back.step).toBe(4);
    expect(back.report.answer_accuracy).toBe(0.3333);
    expect(back.report.by_family.count.answer_accuracy).toBe(0.1667);
    expect(back.report.by_family.direction.questions).toBe(2);
    const many = Array.from({ length: STORED_HELD_OUT_POINTS + 5 }, (_, i) => point(i, 0.5));
    const kept = decodeHeldOut(encodeHeldOut(many));
    expect(kept).toHaveLength(STORED_HELD_OUT_POINTS);
    expect(kept[0].step).toBe(5);
    expect(decodeHeldOut(undefined)).toEqual([]);
    expect(decodeHeldOut('{not json')).toEqual([]);
    expect(decodeHeldOut('{"step": 1}')).toEqual([]);
    expect(decodeHeldOut('[{"step": 1}]')).toEqual([]);
  });
});

describe('the training store with held-out evaluations', () => {
  it('keeps the run its knobs, shows the evaluation in progress, and keeps each point in step order', () => {
    const { store, workers } = setup();
    expect(store.getState().knobs).toEqual({ evalEvery: 4, evalQuestions: 6 });
    store.getState().start();
    expect(workers[0].sent[0]).toMatchObject({ type: 'start', knobs: { evalEvery: 4, evalQuestions: 6 } });
    const w = workers[0];
    w.emit(ready(0));
    w.emit({ type: 'heldout-progress', step: 0, done: 0, total: 6 });
    expect(store.getState().heldOutProgress).toEqual({ step: 0, done: 0, total: 6 });
    w.emit({ type: 'heldout-progress', step: 0, done: 4, total: 6 });
    expect(store.getState().heldOutProgress?.done).toBe(4);
    w.emit({ type: 'heldout', point: point(0, 0.25) });
    expect(store.getState().heldOutProgress).toBeNull();
    w.emit({ type: 'progress', points: [0, 1, 2, 3].map((step) => ({ step, loss: 1, lr: 1, gradNorm: 1, entropy: 1, skipped: false, tokensPerSec: 1, msPerStep: 1 })) });
    w.emit({ type: 'heldout', point: point(4, 0.5) });
    expect(store.getState().heldOut.map((p) => [p.step, p.report.answer_accuracy])).toEqual([
      [0, 0.25],
      [4, 0.5],
    ]);
    expect(store.getState().heldOut[1].report.by_family.count.answer_accuracy).toBe(0.25);
    // The same step evaluated again (after a pause cut it short, or a resume) replaces its point.
    w.emit({ type: 'heldout', point: point(4, 0.75) });
    expect(store.getState().heldOut.map((p) => p.report.answer_accuracy)).toEqual([0.25, 0.75]);
  });

  it('drops the progress on pause and error, and points after the step a resume goes back to', () => {
    const { store, workers } = setup();
    store.getState().start();
    const w = workers[0];
    w.emit(ready(0));
    for (const step of [0, 4, 8]) w.emit({ type: 'heldout', point: point(step, step / 10) });
    w.emit({ type: 'heldout-progress', step: 10, done: 2, total: 6 });
    w.emit({ type: 'paused', step: 10, reason: 'user' });
    expect(store.getState().heldOutProgress).toBeNull();
    // A device loss resumes from the checkpoint at step 4: the evaluation of step 8 is of weights trained again.
    w.emit(ready(4));
    expect(store.getState().heldOut.map((p) => p.step)).toEqual([0, 4]);
    w.emit({ type: 'heldout-progress', step: 4, done: 2, total: 6 });
    const patch = reduce(store.getState(), { type: 'error', code: 'X', message: 'm', hint: 'h' });
    expect(patch.heldOutProgress).toBeNull();
  });

  it("shows a resumed run's stored evaluations up to the step it resumes from", () => {
    const { store, workers } = setup();
    store.getState().resumeStored('run-1');
    expect(store.getState().heldOut).toEqual([]);
    workers[0].emit({ ...(ready(4) as Extract<FromWorker, { type: 'ready' }>), heldOut: [point(0, 0.1), point(4, 0.4), point(8, 0.8)] });
    expect(store.getState().heldOut.map((p) => p.step)).toEqual([0, 4]);
  });

  it('starts a new run with no held-out points', () => {
    const { store, workers } = setup();
    store.getState().start();
    workers[0].emit(ready(0));
    workers[0].emit({ type: 'heldout', point: point(0, 0.1) });
    workers[0].emit({ type: 'finished', step: 12, stopped: false });
    expect(store.getState().heldOut).toHaveLength(1);
    store.getState().start();
    expect(store.getState().heldOut).toEqual([]);
    expect(store.getState().heldOutProgress).toBeNull();
  });
});

describe("the SFT form's defaults", () => {
  it("are the preset's train config, and the tiny preset says how long its default SFT takes on a CPU", () => {
    for (const preset of ['tiny', 'demo'] as const) {
      const t = makeConfig(preset).train;
      expect(presetForm(preset)).toMatchObject({ preset, steps: t.steps, lr: t.lr, seed: t.seed, batch: t.batchSize, mode: 'sft' });
    }
    expect(CPU_SFT_TIME.tiny).toMatch(/minutes/);
  });
});
