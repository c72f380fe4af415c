// One typed config for the model and its training, with commented defaults, and named presets that
// override only what differs (nanoGPT style): `tiny` for tests and CI (seconds on SwiftShader),
// `demo` for a laptop GPU (a few million parameters). Pure data: no WebGPU, no React.

import { VOCAB_SIZE, vocabularySize, type VocabularyName } from './tokenizer';

export interface ModelConfig {
  /** Token ids: 256 bytes + BOS, EOS, PAD, FRAME (src/model/tokenizer.ts), + the vocabulary's pieces. Follows `vocabulary`. */
  vocabSize: number;
  /**
   * 'bytes' (absent = bytes, so older configs and checkpoints stay valid) or a piece vocabulary
   * ('pieces-v1': template tags and the synthetic tasks' words as single tokens; src/model/tokenizer.ts).
   */
  vocabulary?: VocabularyName;
  /** C: channels of the residual stream. Must equal heads · headDim with headDim in {16, 32, 64} (attention kernel). */
  width: number;
  /** Transformer blocks. */
  layers: number;
  /** H: attention heads. */
  heads: number;
  /** Hidden width of the MLP as a multiple of C (GPT-2: 4). */
  mlpRatio: number;
  /** T_max: rows of the position embedding = the longest [frames, prompt, completion] sequence. */
  contextLength: number;
  /** Frames per sample, sampled uniformly from the clip (VideoP2R trains with 16). */
  frames: number;
  /** Frames are resized (nearest) to frameSize × frameSize pixels before patchify. */
  frameSize: number;
  /** Square patches of patchSize × patchSize pixels; each is one frame token. */
  patchSize: number;
  /** Values per pixel: 3 (RGB, alpha dropped), or with `palette` one per palette colour. */
  channels: number;
  /**
   * Absent: pixels are RGB in [-0.5, 0.5]. Given: each pixel is quantised to the nearest of these
   * colours or to the background (the nearest colour is none of them) and encoded one-hot over the
   * palette (channels = palette.length; background = all zeros). For synthetic videos whose colours
   * are known this makes "is this pixel red" a linear feature of a patch, so a small model learns where
   * each object is from a linear frame projection (README, "Learning on a CPU").
   */
  palette?: [number, number, number][];
  /**
   * One token per colour channel of each patch (channel-wise patches, as ChannelViT does for
   * multi-channel images): a token holds one channel's patchSize² values, and which channel it is
   * comes from its position. With a palette, a token is where one colour is in one frame, so "where is
   * red" is attention to red's tokens rather than a multiplicative read-out of a mixed embedding.
   * frameTokens = frames · patches · channels, patchDim = patchSize². Absent: false.
   */
  channelTokens?: boolean;
  /** LayerNorm epsilon (GPT-2, torch.nn.LayerNorm). */
  lnEps: number;
  /** Std of the normal initialisation of weights (GPT-2: 0.02); residual projections get / sqrt(2·layers). */
  initStd: number;
  /**
   * What turns frames into frame tokens (absent = 'patch', so configs and checkpoints written before
   * the option stay valid):
   * - 'patch': frames are patchified on the CPU and projected by the trainable `frame_proj` (C, patchDim).
   * - 'onnx': a frozen ONNX vision model (src/model/onnx_encoder.ts) encodes the frames, resized to
   *   frameSize², into (frames · encoderTokensPerFrame, encoderWidth) features outside the model;
   *   the batch carries them and the trainable `encoder_proj` (C, encoderWidth) projects them. No
   *   gradient flows into the encoder. patchSize and channels are then unused.
   */
  frameEncoder?: FrameEncoderKind;
  /** 'onnx' only: C_enc, the width of one feature row (the encoder's output width). */
  encoderWidth?: number;
  /** 'onnx' only: P, feature rows per frame (e.g. patches of a ViT without its CLS token). */
  encoderTokensPerFrame?: number;
}

export type FrameEncoderKind = 'patch' | 'onnx';

export interface TrainConfig {
  /** Seeds initialisation, batch order and sampling: the same seed gives the same run. */
  seed: number;
  /** B: sequences per step. */
  batchSize: number;
  /** Optimiser steps of the run. */
  steps: number;
  /**
   * Peak learning rate. Video-R1 fine-tunes a 7B model at 1e-6; a model trained from scratch at this
   * size needs ~1e-3 (nanoGPT's small configs use 1e-3 .. 6e-4).
   */
  lr: number;
  /** Linear warmup from 0 over this many steps, then cosine decay to minLrRatio · lr at `steps`. */
  warmupSteps: number;
  minLrRatio: number;
  /** AdamW (torch defaults for betas and eps; decay 0.01 as Video-R1). */
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global L2 gradient clip (Video-R1: 5; nanoGPT: 1). 0 disables clipping. */
  maxGradNorm: number;
}

export interface Config {
  model: ModelConfig;
  train: TrainConfig;
}

export const DEFAULT_MODEL: ModelConfig = {
  vocabSize: VOCAB_SIZE,
  width: 128,
  layers: 4,
  heads: 4,
  mlpRatio: 4,
  contextLength: 256,
  frames: 4,
  frameSize: 32,
  patchSize: 8,
  channels: 3,
  lnEps: 1e-5,
  initStd: 0.02,
};

/**
 * The synthetic videos' object colours (src/data/synthetic.ts COLORS, in its order; a test keeps the
 * two equal). The model layer does not import the data layer, so the preset carries its own copy.
 */
export const SYNTHETIC_PALETTE: [number, number, number][] = [
  [220, 50, 47],
  [46, 170, 80],
  [50, 100, 230],
  [240, 200, 40],
  [150, 70, 200],
  [245, 130, 30],
];

export const DEFAULT_TRAIN: TrainConfig = {
  seed: 1,
  batchSize: 8,
  steps: 1000,
  lr: 1e-3,
  warmupSteps: 50,
  minLrRatio: 0.1,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1,
};

export interface ConfigOverrides {
  model?: Partial<ModelConfig>;
  train?: Partial<TrainConfig>;
}

export const PRESETS = {
  /**
   * Learns the tiny task families (src/data/synthetic_tiny.ts) within minutes on a CPU (SwiftShader):
   * the 'pieces-v1' vocabulary (template tags and task words as single tokens, T 40), the first and
   * last frame at 16×16 pixels as one token each, pixels one-hot over the synthetic palette. The
   * evidence for each choice is in the README, "Learning on a CPU".
   */
  tiny: {
    model: {
      vocabulary: 'pieces-v1',
      vocabSize: vocabularySize('pieces-v1'),
      width: 64,
      layers: 2,
      heads: 4,
      mlpRatio: 2,
      contextLength: 44,
      frames: 2,
      frameSize: 16,
      patchSize: 16,
      palette: SYNTHETIC_PALETTE,
      channels: SYNTHETIC_PALETTE.length,
      channelTokens: true,
    },
    train: { batchSize: 16, steps: 600, lr: 3e-3, warmupSteps: 30, maxGradNorm: 1 },
  },
  /**
   * Tests: ~53k parameters, byte vocabulary, 8 frame tokens (2 frames of 16×16 px, 8×8 RGB patches),
   * T 160 (the compact questions fit whole). The golden SFT curve (tests/fixtures/golden_sft_tiny.json)
   * and most kernel-level model tests use it; it was the `tiny` preset before `tiny` was made to learn.
   */
  test: {
    model: { width: 32, layers: 2, heads: 2, contextLength: 160, frames: 2, frameSize: 16, patchSize: 8 },
    train: { batchSize: 2, steps: 30, lr: 1e-2, warmupSteps: 3, maxGradNorm: 1 },
  },
  /**
   * A laptop GPU: ~3.5M parameters (C 256, 4 layers of 64-dim heads), 64 frame tokens (4 frames of
   * 32×32 px), T 512 so a byte-level observation + think + answer fits after the frames and prompt.
   */
  demo: {
    model: { width: 256, layers: 4, heads: 4, contextLength: 512, frames: 4, frameSize: 32, patchSize: 8 },
    train: { batchSize: 8, steps: 2000, lr: 6e-4, warmupSteps: 100 },
  },
} satisfies Record<string, ConfigOverrides>;

export type PresetName = keyof typeof PRESETS;

/** The defaults, then a preset, then explicit overrides; validated. */
export function makeConfig(preset?: PresetName, overrides: ConfigOverrides = {}): Config {
  const p: ConfigOverrides = preset ? PRESETS[preset] : {};
  const config: Config = {
    model: { ...DEFAULT_MODEL, ...p.model, ...overrides.model },
    train: { ...DEFAULT_TRAIN, ...p.train, ...overrides.train },
  };
  validateModelConfig(config.model);
  return config;
}

/** Derived sizes used everywhere (shapes of the layout, the reference and the GPU model). */
export function modelDims(m: ModelConfig) {
  const headDim = m.width / m.heads;
  const patchesPerSide = m.frameSize / m.patchSize;
  const patchesPerFrame = patchesPerSide * patchesPerSide;
  const onnx = m.frameEncoder === 'onnx';
  const perChannel = !onnx && m.channelTokens === true;
  const patchDim = m.patchSize * m.patchSize * (perChannel ? 1 : m.channels);
  const tokensPerFrame = onnx ? (m.encoderTokensPerFrame ?? 0) : patchesPerFrame * (perChannel ? m.channels : 1);
  return {
    C: m.width,
    H: m.heads,
    D: headDim,
    /** MLP hidden width. */
    F: m.width * m.mlpRatio,
    V: m.vocabSize,
    maxT: m.contextLength,
    patchesPerSide,
    patchesPerFrame,
    /** Frame tokens at the start of every sequence. */
    frameTokens: m.frames * tokensPerFrame,
    /** Frame tokens per frame: patches ('patch') or the encoder's feature rows per frame ('onnx'). */
    tokensPerFrame,
    /** Values per patch: patchSize² · channels. */
    patchDim,
    /** Width of one row the frame projection reads: patchDim ('patch') or encoderWidth ('onnx'). */
    frameDim: onnx ? (m.encoderWidth ?? 0) : patchDim,
    /** The layout's name of the trainable frame projection (out C, in frameDim). */
    frameProj: onnx ? 'encoder_proj.weight' : 'frame_proj.weight',
  };
}

export function validateModelConfig(m: ModelConfig): void {
  const fail = (msg: string, hint: string) => {
    throw new Error(`ModelConfig: ${msg} (${hint})`);
  };
  const vocab = m.vocabulary ?? 'bytes';
  if (m.vocabSize !== vocabularySize(vocab)) fail(`vocabSize ${m.vocabSize} != ${vocabularySize(vocab)}`, `the vocabulary '${vocab}' fixes it`);
  if (m.width % m.heads !== 0) fail(`width ${m.width} is not a multiple of heads ${m.heads}`, 'C = H·D');
  const D = m.width / m.heads;
  if (![16, 32, 64].includes(D)) fail(`head dim ${D}`, 'the attention kernel supports 16, 32 or 64');
  const kind = m.frameEncoder ?? 'patch';
  if (kind !== 'patch' && kind !== 'onnx') fail(`frameEncoder '${String(kind)}'`, "'patch' or 'onnx'");
  if (m.palette && m.channels !== m.palette.length) fail(`channels ${m.channels} != palette colours ${m.palette.length}`, 'a palette encodes one channel per colour');
  if (kind === 'onnx') {
    const positive = (v: number | undefined) => v !== undefined && Number.isInteger(v) && v > 0;
    if (!positive(m.encoderWidth)) fail(`frameEncoder 'onnx' needs encoderWidth (got ${m.encoderWidth})`, "the ONNX encoder's feature width C_enc, OnnxFrameEncoder.width");
    if (!positive(m.encoderTokensPerFrame))
      fail(`frameEncoder 'onnx' needs encoderTokensPerFrame (got ${m.encoderTokensPerFrame})`, "the encoder's feature rows per frame, EncodedFrames.tokensPerFrame");
  } else if (m.frameSize % m.patchSize !== 0) fail(`frameSize ${m.frameSize} is not a multiple of patchSize ${m.patchSize}`, 'patches tile the frame');
  const { frameTokens } = modelDims(m);
  if (frameTokens + 2 >= m.contextLength) fail(`${frameTokens} frame tokens leave no room in context ${m.contextLength}`, 'raise contextLength');
}
