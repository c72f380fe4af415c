// Regenerates tests/fixtures/golden_sft_tiny.json: the loss curve of the `test` preset trained with
// SFT from a fixed seed by the float64 CPU reference (src/train/sft_reference.ts). The GPU golden
// test (tests/gpu/model_golden.test.ts) must reproduce it.
//
//   npx tsx scripts/make-golden.ts          (no WebGPU needed; ~10 s)
//
// Regenerate only when the model, the schedule or the micro dataset changes on purpose, and say why
// in the commit.

import { writeFileSync } from 'node:fs';
import { makeConfig } from '../src/model/config';
import { paramLayout } from '../src/model/params';
import { referenceSftRun } from '../src/train/sft_reference';
import { microSamples } from '../src/train/samples';

export const GOLDEN = {
  preset: 'test' as const,
  /** Steps of the recorded curve (the preset's own schedule length). */
  steps: 12,
  /** Samples of the micro dataset, and its seed. */
  samples: 8,
  dataSeed: 1,
};

const config = makeConfig(GOLDEN.preset, { train: { steps: GOLDEN.steps } });
const samples = microSamples(GOLDEN.samples, GOLDEN.dataSeed);
const started = Date.now();
const curve = referenceSftRun(config, samples, GOLDEN.steps);
const fixture = {
  description: 'SFT loss per step (before its update) of the test preset (the tiny preset before it learned the tiny task families), float64 CPU reference. Regenerate: npx tsx scripts/make-golden.ts',
  ...GOLDEN,
  config,
  parameters: paramLayout(config.model).count,
  loss: curve.map((s) => s.loss),
  lr: curve.map((s) => s.lr),
  gradNorm: curve.map((s) => s.gradNorm),
};
writeFileSync(new URL('../tests/fixtures/golden_sft_tiny.json', import.meta.url), JSON.stringify(fixture, null, 2) + '\n');
console.log(`golden_sft_tiny.json: ${curve.length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s, loss ${curve[0].loss.toFixed(4)} -> ${curve.at(-1)!.loss.toFixed(4)}`);
