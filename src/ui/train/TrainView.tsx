// The training page (#/train): the form, Start / Pause / Resume / Stop, progress with ETA, the
// held-out evaluation curve, the Evaluate panel (benchmark table), live charts, the RL chart placeholders, an alert when RL has no signal, the Checkpoints panel (export / delete / import), and on load the
// offer to resume an interrupted run. All GPU work happens in the training worker
// (src/train/worker.ts); this page only renders batched updates.

import { useEffect } from 'react';
import { useTraining } from '../common/hooks';
import { exposeTrainingForTests, trainingStore } from '../../store/training_browser';
import { TrainCheckpoints } from './TrainCheckpoints';
import { TrainCharts, TrainRlCharts, TrainRlPlaceholders } from './TrainCharts';
import { TrainButtons, TrainForm, TrainMessages, TrainProgress, TrainResumeOffer, TrainRlSignal, TrainRolloutsLink } from './TrainControls';
import { TrainHeldOut } from './TrainHeldOut';
import { TrainBenchmark } from './TrainBenchmark';
import { MODE_INFO, isRlMode } from '../../train/protocol';

exposeTrainingForTests();

/** True when a key press belongs to a control (typing, a focused button or select): Space is theirs. */
function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT', 'BUTTON'].includes(el.tagName);
}

export function TrainView() {
  const series = useTraining((s) => s.series);
  const mode = useTraining((s) => s.form.mode);
  const rl = isRlMode(mode);

  useEffect(() => {
    void trainingStore.getState().loadResumable();
    const onKey = (e: KeyboardEvent) => {
      if (e.code !== 'Space' && e.key !== ' ') return;
      if (e.repeat || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const st = trainingStore.getState().status;
      if (st !== 'running' && st !== 'paused') return;
      e.preventDefault();
      trainingStore.getState().toggle();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="panel" data-testid="train-view" style={{ maxWidth: '80rem' }}>
      <h1>Training — {MODE_INFO[mode].label}</h1>
      <TrainResumeOffer />
      <TrainForm />
      <TrainButtons />
      <TrainProgress />
      <TrainMessages />
      <TrainRlSignal />
      <TrainRolloutsLink />
      <TrainHeldOut />
      <TrainBenchmark />
      <TrainCharts series={series} rl={rl} />
      {rl ? <TrainRlCharts series={series} /> : <TrainRlPlaceholders />}
      <TrainCheckpoints />
    </div>
  );
}
