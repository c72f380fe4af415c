// Supervised fine-tuning on process-aware CoT samples, on the GPU: seeded initialisation and batch
// order, warmup + cosine learning rate, global-norm clipping and AdamW, all inside one command
// buffer per step (src/model/model.ts). A non-finite loss or gradient skips the update (AdamW reads
// the clip record's finite flag on the GPU) and is logged. The same code runs in a worker and in Node.

import { makeConfig, type Config } from '../model/config';
import { GpuModel, type ModelKernels } from '../model/model';
import { initParams, paramLayout, type ParamLayout } from '../model/params';
import { flatFromTensors, tensorsFromFlat, type Checkpoint } from './checkpoint';
import { BatchOrder, sftBatch } from './data';
import { learningRate } from './schedule';
import type { SftSample } from './samples';

export interface SftLogEntry {
  /** 0-based step index. */
  step: number;
  lr: number;
  /** Mean cross-entropy over completion tokens before this step's update, nats/token. */
  loss: number;
  /** Mean predictive entropy on those tokens, nats. */
  entropy: number;
  gradNorm: number;
  clipScale: number;
  /** The update was skipped: the loss or a gradient was not finite. */
  skipped: boolean;
  /** Completion tokens in the batch. */
  tokens: number;
  /** Wall time of the step (upload, GPU work, metrics read-back), ms. */
  ms: number;
}

export interface SftOptions {
  samples: SftSample[];
  /** Starting parameters; default initParams(layout, train.seed). Ignored with `resume`. */
  init?: Float32Array;
  /**
   * Continue a run from a checkpoint (src/train/checkpoint.ts parseCheckpoint): parameters, AdamW
   * moments and step. The batch order restarts from the seed and is fast-forwarded to the step.
   */
  resume?: Checkpoint;
  kernels?: ModelKernels;
  /** Train on the first batch every step (the overfitting check). */
  fixedBatch?: boolean;
  /** Called after every step, e.g. to post a batched update from a worker. */
  onLog?: (entry: SftLogEntry) => void;
  /** Called with a message when a step is skipped. Default console.warn. */
  onWarning?: (message: string) => void;
}

export class SftTrainer {
  readonly log: SftLogEntry[] = [];
  private stepIndex = 0;
  private fixed: number[] | undefined;

  private constructor(
    readonly config: Config,
    readonly layout: ParamLayout,
    readonly model: GpuModel,
    private readonly order: BatchOrder,
    private readonly options: SftOptions,
  ) {}

  static async create(device: GPUDevice, config: Config = makeConfig('tiny'), options: SftOptions): Promise<SftTrainer> {
    const layout = paramLayout(config.model);
    const r = options.resume;
    const init = r ? flatFromTensors(layout, r.tensors) : (options.init ?? initParams(layout, config.train.seed));
    const optimizerState = r?.optimizer
      ? { m: flatFromTensors(layout, r.optimizer.m), v: flatFromTensors(layout, r.optimizer.v), t: r.optimizer.t ?? r.step }
      : undefined;
    const model = await GpuModel.create(device, config.model, layout, {
      batchSize: config.train.batchSize,
      init,
      train: config.train,
      kernels: options.kernels,
      optimizerState,
      label: 'SFT',
    });
    const order = new BatchOrder(options.samples.length, config.train.batchSize, config.train.seed);
    const trainer = new SftTrainer(config, layout, model, order, options);
    if (r) {
      // Same batches as an uninterrupted run: replay the order up to the checkpoint's step.
      for (let s = 0; s < r.step; s++) {
        if (options.fixedBatch) trainer.fixed ??= order.next();
        else order.next();
      }
      trainer.stepIndex = r.step;
    }
    return trainer;
  }

  /**
   * Everything needed to resume or export: parameters, AdamW moments and step, in the checkpoint
   * module's form (serializeCheckpoint writes it as safetensors + JSON).
   */
  async checkpoint(metadata: Record<string, string> = {}): Promise<Checkpoint> {
    const params = await this.model.readParams();
    const opt = await this.model.readOptimizer();
    return {
      config: { model: { ...this.config.model }, train: { ...this.config.train } },
      step: this.stepIndex,
      tensors: tensorsFromFlat(this.layout, params),
      optimizer: { m: tensorsFromFlat(this.layout, opt.m), v: tensorsFromFlat(this.layout, opt.v), t: opt.t },
      metadata: { mode: 'sft', ...metadata },
    };
  }

  get step(): number {
    return this.stepIndex;
  }

  /** One update; resolves when its metrics are back. */
  async trainStep(): Promise<SftLogEntry> {
    const start = performance.now();
    const { samples, fixedBatch } = this.options;
    const indices = fixedBatch ? (this.fixed ??= this.order.next()) : this.order.next();
    const batch = sftBatch(samples, indices, this.config.model);
    const lr = learningRate(this.stepIndex, this.config.train);
    this.model.setBatch(batch);
    const m = await this.model.step(lr);
    const entry: SftLogEntry = {
      step: this.stepIndex,
      lr,
      loss: m.loss,
      entropy: m.entropy,
      gradNorm: m.gradNorm,
      clipScale: m.clipScale,
      skipped: !m.finite,
      tokens: batch.targetCount,
      ms: performance.now() - start,
    };
    if (entry.skipped) {
      const warn = this.options.onWarning ?? console.warn;
      warn(`SFT step ${entry.step}: non-finite loss (${m.loss}) or gradient norm (${m.gradNorm}); update skipped`);
    }
    this.stepIndex++;
    this.log.push(entry);
    this.options.onLog?.(entry);
    return entry;
  }

  async run(steps: number): Promise<SftLogEntry[]> {
    const out: SftLogEntry[] = [];
    for (let i = 0; i < steps; i++) out.push(await this.trainStep());
    return out;
  }
}
