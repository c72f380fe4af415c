// The training slice's RL logic over a fake worker: the starting SFT run resolved at start, the RL
// form's defaults (RL_DEFAULTS), RL log points and the rollouts link state, and RL runs offered for resume.
import { describe, expect, it } from 'vitest';
import { createTrainingStore, reduce } from '../../src/store/training';
import { defaultRl, formLr, presetForm, resolveRl, resumableRuns, sftRunChoices, type RunSummaryLike } from '../../src/store/training_runs';
import { fakeTrainingDeps } from './training_fakes';
import type { ToWorker } from '../../src/train/protocol';
import { RL_DEFAULTS } from '../../src/train/rl_defaults';
import { makeConfig } from '../../src/model/config';

const sftRun = (runId: string, savedAt: number, preset = 'tiny', step = 8): RunSummaryLike => ({ runId, latestStep: step, latestSavedAt: savedAt, metadata: { mode: 'sft', state: 'finished', steps: '8', preset } });

function setup(runs: RunSummaryLike[]) {
  const { deps, workers } = fakeTrainingDeps(runs, { newRunId: (s) => `${s.mode}-run` });
  return { store: createTrainingStore(deps, { ...presetForm('tiny'), steps: 2 }), workers };
}

describe('RL settings', () => {
  it('lists stored SFT runs with a checkpoint, newest first', () => {
    const runs = [sftRun('a', 1), sftRun('b', 3), sftRun('empty', 4, 'tiny', 0), { ...sftRun('rl', 5), metadata: { mode: 'pa-grpo', preset: 'tiny' } }];
    expect(sftRunChoices(runs).map((r) => r.runId)).toEqual(['b', 'a']);
  });

  it("resolves '' to the newest SFT run of the preset, keeps scratch and explicit runs, and rejects bad options", () => {
    const choices = sftRunChoices([sftRun('a', 1), sftRun('demo-run', 9, 'demo')]);
    const form = { ...presetForm('tiny'), mode: 'pa-grpo' as const, rl: { ...defaultRl('tiny'), fromRunId: '' } };
    expect(resolveRl(form, choices)).toEqual({ rl: { ...form.rl, fromRunId: 'a' } });
    expect(resolveRl({ ...form, rl: { ...form.rl, fromRunId: null } }, [])).toEqual({ rl: { ...form.rl, fromRunId: null } });
    expect(resolveRl({ ...form, rl: { ...form.rl, fromRunId: 'x' } }, [])).toEqual({ rl: { ...form.rl, fromRunId: 'x' } });
    expect(resolveRl(form, [])).toHaveProperty('error');
    expect(resolveRl({ ...form, rl: { ...form.rl, group: 1 } }, choices)).toHaveProperty('error');
    expect(resolveRl({ ...form, rl: { ...form.rl, temperature: 0 } }, choices)).toHaveProperty('error');
    expect(resolveRl({ ...form, rl: { ...form.rl, topP: 1.5 } }, choices)).toHaveProperty('error');
  });

  it("takes the RL form's G, P, β, temperature, top-p and learning rate from RL_DEFAULTS, per preset", () => {
    for (const preset of ['tiny', 'demo'] as const) {
      const d = RL_DEFAULTS[preset];
      expect(defaultRl(preset)).toMatchObject({ group: d.group, promptsPerStep: d.promptsPerStep, beta: d.beta, temperature: d.temperature, topP: d.topP });
      expect(formLr(preset, 'grpo')).toBe(d.lr);
      expect(formLr(preset, 'sft')).toBe(makeConfig(preset).train.lr);
    }
  });

  it('offers RL runs for resume like SFT runs', () => {
    const runs: RunSummaryLike[] = [{ runId: 'r', latestStep: 1, latestSavedAt: 1, metadata: { mode: 'grpo', state: 'paused', steps: '4', preset: 'tiny' } }];
    expect(resumableRuns(runs)).toMatchObject([{ runId: 'r', mode: 'grpo', step: 1, totalSteps: 4 }]);
  });
});

describe('the training store in an RL mode', () => {
  it("sets the learning rate by mode, starts from the newest SFT run with the form's sampling settings, and tracks rollouts", async () => {
    const { store, workers } = setup([sftRun('sft-old', 1), sftRun('sft-new', 2)]);
    await store.getState().loadResumable();
    const lr = store.getState().form.lr;
    expect(lr).toBe(makeConfig('tiny').train.lr);
    store.getState().setForm({ mode: 'pa-grpo' });
    expect(store.getState().form.lr).toBe(RL_DEFAULTS.tiny.lr);
    expect(store.getState().form.rl).toEqual(defaultRl('tiny'));
    store.getState().setRl({ group: 2, promptsPerStep: 1, maxNewTokens: 24, temperature: 1.3, topP: 0.9 });
    store.getState().start();
    const msg = workers[0].sent[0] as Extract<ToWorker, { type: 'start' }>;
    expect(msg).toMatchObject({
      type: 'start',
      runId: 'pa-grpo-run',
      mode: 'pa-grpo',
      lr: RL_DEFAULTS.tiny.lr,
      rl: { group: 2, promptsPerStep: 1, maxNewTokens: 24, beta: RL_DEFAULTS.tiny.beta, temperature: 1.3, topP: 0.9, fromRunId: 'sft-new' },
    });

    const settings = { ...store.getState().form, rl: msg.rl };
    workers[0].emit({ type: 'ready', runId: 'pa-grpo-run', adapter: 'fake', isFallback: true, startStep: 0, totalSteps: 2, parameters: 1, settings });
    const rl = { perception: { accuracy: 1, format: 1, length: 0, total: 2 }, reasoning: { accuracy: 0, format: 1, length: 0, total: 1 }, kl: 0, clipFraction: 0, segmentP: 5, segmentR: 9, collapsedP: 0, collapsedR: 1, collapsedBoth: 0, groups: 1, meanAbsAdvantage: 0.5, unfinished: 2 };
    workers[0].emit({ type: 'progress', points: [{ step: 0, loss: 0.1, lr: 1e-4, gradNorm: 1, entropy: 3, skipped: false, tokensPerSec: 10, msPerStep: 100, rl }] });
    workers[0].emit({ type: 'rollouts', runId: 'pa-grpo-run', step: 0, count: 2 });
    workers[0].emit({ type: 'rollouts', runId: 'pa-grpo-run', step: 1, count: 2 });
    expect(store.getState().series[0].rl).toEqual(rl);
    expect(store.getState().rollouts).toEqual({ runId: 'pa-grpo-run', steps: 2, count: 4 });

    // Back to SFT: the learning rate returns, and the start message carries no RL options.
    workers[0].emit({ type: 'finished', step: 2, stopped: false });
    store.getState().setForm({ mode: 'sft' });
    expect(store.getState().form.lr).toBe(lr);
    store.getState().start();
    expect(workers[1].sent[0]).not.toHaveProperty('rl');
    expect(store.getState().rollouts).toBeNull();
  });

  it('fails the start with a hint when there is no SFT run to start from', () => {
    const { store, workers } = setup([]);
    store.getState().setForm({ mode: 'grpo' });
    store.getState().start();
    expect(workers).toHaveLength(0);
    expect(store.getState().status).toBe('error');
    expect(store.getState().error?.code).toBe('NoStartingPoint');
  });

  it('keeps the form RL options when an SFT run reports its settings', () => {
    const { store } = setup([]);
    store.getState().setForm({ mode: 'pa-grpo' });
    store.getState().setRl({ group: 3 });
    const s = store.getState();
    const patch = reduce(s, { type: 'ready', runId: 'x', adapter: 'a', isFallback: false, startStep: 0, totalSteps: 2, parameters: 1, settings: presetForm('tiny') });
    expect(patch.form?.rl?.group).toBe(3);
    expect(patch.form?.mode).toBe('sft');
  });

  it('switches the steps between the preset\'s SFT steps and RL_DEFAULTS with the mode', () => {
    const { store } = setup([]); // the form starts at 2 steps: the user's choice, kept
    store.getState().setForm({ mode: 'pa-grpo' });
    expect(store.getState().form.steps).toBe(2);
    store.getState().setForm({ mode: 'sft', steps: makeConfig('tiny').train.steps });
    store.getState().setForm({ mode: 'pa-grpo' });
    expect(store.getState().form.steps).toBe(RL_DEFAULTS.tiny.steps);
    expect(RL_DEFAULTS.tiny.steps).not.toBe(makeConfig('tiny').train.steps);
    store.getState().setForm({ mode: 'sft' });
    expect(store.getState().form.steps).toBe(makeConfig('tiny').train.steps);
  });

  it("gives RL the new preset's RL learning rate when the preset changes in an RL mode", () => {
    const { store } = setup([]);
    store.getState().setForm({ mode: 'grpo' });
    store.getState().setForm({ preset: 'demo' });
    expect(store.getState().form).toMatchObject({ preset: 'demo', mode: 'grpo', lr: RL_DEFAULTS.demo.lr, steps: RL_DEFAULTS.demo.steps });
    expect(store.getState().form.rl).toMatchObject({ group: RL_DEFAULTS.demo.group, beta: RL_DEFAULTS.demo.beta, topP: RL_DEFAULTS.demo.topP });
  });
});
