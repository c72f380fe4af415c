// Rollout generation on the GPU with a KV cache: G completions of ONE prompt (a GRPO group), one new
// position per step. The prompt is prefilled by the model's own forward pass; after that each step
// runs only the new position (B = G rows) through embedding, LayerNorm, the QKV/projection/MLP
// matmuls and the LM head. The per-layer qkv buffers of the model are the cache: the new row's q, k, v
// are copied into row (b, t), and attention reads every past k, v from there. Parameters are bound in
// place: matmul weights by element offset into the flat parameter buffer, the embedding, LayerNorm
// and bias tensors as slices of it (internals.param), so a step copies no parameters but the wpe row.
//
// Each step's attention is the decode kernel (src/gpu/kernels/attention_decode.ts): one query row per
// sequence, row t of the cache, against keys 0..t, so a step is O(t) (the full causal kernel would
// recompute rows 0..t, O(t²)). Its pipeline is built asynchronously, so it is bound on the first
// generate() call (Decoder.create stays synchronous).
//
// All G completions of a group share the prompt, so they share positions: one step advances every
// sequence by one token, finished ones (EOS) included (their tokens are discarded).

import { USAGE, storageBuffer } from '../gpu/buffers';
import { encodeDispatch, type Dispatch } from '../gpu/dispatch';
import { AttentionDecode } from '../gpu/kernels/attention_decode';
import { Rng } from '../util/rng';
import { makeBatch, type FrameInput } from './batch';
import { modelDims } from './config';
import type { GpuModel } from './model';
import { sampleToken, type SamplingOptions } from './sampling';
import { EOS, decodeWithOffsets } from './tokenizer';

export interface GenerateOptions extends SamplingOptions {
  /** Completion tokens at most (EOS included); also capped by the context length. */
  maxNewTokens: number;
  /** Seeds the sampler: the same seed, prompt and weights give the same completions. */
  seed: number;
  /** Keep every step's (G, V) logits (tests compare them with the reference). */
  keepLogits?: boolean;
}

export interface Rollout {
  /** Completion token ids, EOS included when generated. */
  ids: number[];
  /** Decoded completion text, and each token's [start, end) span in it (method.md §1.7). */
  text: string;
  offsets: [number, number][];
  /** log π_old of each token (full softmax at the sampling temperature). */
  logp: Float32Array;
  /** EOS was generated (else the completion was cut at maxNewTokens or the context). */
  finished: boolean;
}

export interface GenerateResult {
  rollouts: Rollout[];
  /** Position of the first completion token (frame tokens + BOS + prompt bytes). */
  promptLength: number;
  /** Per step, (G, V) logits, when keepLogits. */
  logits?: Float32Array[];
}

export class Decoder {
  private readonly steps: { beforeAttention: Dispatch[]; afterAttention: Dispatch[] }[];
  /** Per layer, the decode attention dispatch over that layer's cache (bound on first use). */
  private attention?: Promise<Dispatch[][]>;
  private readonly head: Dispatch[];
  private readonly embed: Dispatch;
  private readonly staging: GPUBuffer;

  private constructor(
    readonly model: GpuModel,
    private readonly b: {
      tokens: GPUBuffer; // (G) i32 input token of the new position
      wpeRow: GPUBuffer; // (1, C) wpe row of the new position
      pos: GPUBuffer; // (G) u32 = t, the position every sequence's query row is at
      cx: GPUBuffer; // (G, C) residual stream of the new row
      cqkv: GPUBuffer; // (G, 3C)
      catt: GPUBuffer; // (G, C)
      clogits: GPUBuffer; // (G, V)
    },
    parts: { steps: Decoder['steps']; head: Dispatch[]; embed: Dispatch },
  ) {
    this.steps = parts.steps;
    this.head = parts.head;
    this.embed = parts.embed;
    const V = model.config.vocabSize;
    this.staging = model.device.createBuffer({ label: 'Decoder.logits.readback', size: model.B * V * 4, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  }

  /** Binds the decode dispatches once, over the model's kernels, parameters and cache. */
  static create(model: GpuModel): Decoder {
    const { device, config, layout } = model;
    const { C, F, V, H, D } = modelDims(config);
    const G = model.B;
    const T = model.T;
    const { kernels, layers, param: pv } = model.internals;
    const { matmul, biasAdd, residual, gelu, layerNorm, embedding } = kernels;
    const buf = (name: string, n: number) => storageBuffer(device, `Decoder.${name}`, n);
    const b = {
      tokens: buf('tokens', G),
      wpeRow: buf('wpeRow', C),
      pos: buf('pos', G),
      cx: buf('x', G * C),
      cqkv: buf('qkv', G * 3 * C),
      catt: buf('att', G * C),
      clogits: buf('logits', G * V),
    };
    const cx1 = buf('x1', G * C);
    const cln = buf('ln', G * C);
    const mean = buf('mean', G);
    const rstd = buf('rstd', G);
    const cproj = buf('proj', G * C);
    const cfc = buf('fc', G * F);
    const ch = buf('h', G * F);
    const params = model.buffers.params;
    const off = (name: string) => layout.tensors.find((t) => t.name === name)!.offset;
    const linear = (x: GPUBuffer, w: string, y: GPUBuffer, inDim: number, outDim: number) =>
      matmul.bind({ a: x, b: params, c: y, m: G, n: outDim, k: inDim, variant: 'NT', offsetB: off(w), label: `Decoder.${w}` });

    const embed = embedding.forward({ B: G, T: 1, C, V, maxT: 1, tokens: b.tokens, wte: pv('wte'), wpe: b.wpeRow, x: b.cx, label: 'Decoder.embed' });
    const steps = layers.map((_, l) => {
      const q = (s: string) => `h.${l}.${s}`;
      return {
        beforeAttention: [
          layerNorm.forward({ x: b.cx, weight: pv(q('ln_1.weight')), bias: pv(q('ln_1.bias')), y: cln, mean, rstd, N: G, C, eps: config.lnEps, label: `Decoder.${q('ln_1')}` }),
          linear(cln, q('attn.c_attn.weight'), b.cqkv, C, 3 * C),
          biasAdd.addInPlace({ x: b.cqkv, bias: pv(q('attn.c_attn.bias')), rows: G, cols: 3 * C }),
        ],
        afterAttention: [
          linear(b.catt, q('attn.c_proj.weight'), cproj, C, C),
          biasAdd.addInPlace({ x: cproj, bias: pv(q('attn.c_proj.bias')), rows: G, cols: C }),
          residual.add({ a: b.cx, b: cproj, out: cx1, n: G * C }),
          layerNorm.forward({ x: cx1, weight: pv(q('ln_2.weight')), bias: pv(q('ln_2.bias')), y: cln, mean, rstd, N: G, C, eps: config.lnEps, label: `Decoder.${q('ln_2')}` }),
          linear(cln, q('mlp.c_fc.weight'), cfc, C, F),
          biasAdd.addInPlace({ x: cfc, bias: pv(q('mlp.c_fc.bias')), rows: G, cols: F }),
          gelu.forward({ x: cfc, y: ch, n: G * F }),
          linear(ch, q('mlp.c_proj.weight'), cproj, F, C),
          biasAdd.addInPlace({ x: cproj, bias: pv(q('mlp.c_proj.bias')), rows: G, cols: C }),
          residual.add({ a: cx1, b: cproj, out: b.cx, n: G * C }),
        ],
      };
    });
    const head = [
      layerNorm.forward({ x: b.cx, weight: pv('ln_f.weight'), bias: pv('ln_f.bias'), y: cln, mean, rstd, N: G, C, eps: config.lnEps, label: 'Decoder.ln_f' }),
      linear(cln, 'lm_head.weight', b.clogits, C, V),
    ];
    return new Decoder(model, b, { steps, head, embed });
  }

  /** Binds (once) each layer's decode attention: row pos of its qkv cache into row pos of its att. */
  private decodeAttention(): Promise<Dispatch[][]> {
    this.attention ??= (async () => {
      const { model } = this;
      const { H, D } = modelDims(model.config);
      const kernel = await AttentionDecode.create(model.device, [D]);
      return model.internals.layers.map((a, l) =>
        kernel.forward({ B: model.B, T: model.T, H, D, qkv: a.qkv, pos: this.b.pos, out: a.att, lse: a.lse, label: `Decoder.h.${l}.attn` }),
      );
    })();
    return this.attention;
  }

  /**
   * G = model.B completions of one prompt. Overwrites the model's activations (run it between
   * training steps, not between a step's forward and backward).
   */
  async generate(prompt: { frames: FrameInput[]; prompt: string }, o: GenerateOptions): Promise<GenerateResult> {
    return this.generateRows(Array.from({ length: this.model.B }, () => prompt), o);
  }

  /**
   * One completion for each of G = model.B prompts whose [frames, BOS, prompt] have the same length
   * (they share positions, as a group's rows do): e.g. greedy evaluation of G held-out questions of
   * one task family at once, which costs about one question's decode steps. Throws on unequal lengths.
   */
  async generateRows(prompts: readonly { frames: FrameInput[]; prompt: string }[], o: GenerateOptions): Promise<GenerateResult> {
    const { model } = this;
    const G = model.B;
    const T = model.T;
    const V = model.config.vocabSize;
    const C = model.config.width;
    if (prompts.length !== G) throw new Error(`Decoder.generateRows: ${prompts.length} prompts for ${G} rows`);
    const rng = new Rng(o.seed);
    const attention = await this.decodeAttention();
    // Prefill: the model's forward over [frames, BOS, prompt] (no targets), filling every layer's qkv.
    const batch = makeBatch(prompts.map((p) => ({ frames: p.frames, prompt: p.prompt, completion: '' })), model.config);
    const L = batch.lengths[0];
    if (batch.lengths.some((l) => l !== L)) throw new Error(`Decoder.generateRows: the prompts' lengths differ (${[...new Set(batch.lengths)].join(', ')} tokens with the frames); rows must share positions`);
    model.setBatch(batch);
    await model.forward();
    let logits = await this.readRows(model.internals.logits, (b) => b * T + L - 1);

    const ids: number[][] = Array.from({ length: G }, () => []);
    const logps: number[][] = Array.from({ length: G }, () => []);
    const finished = new Array<boolean>(G).fill(false);
    const kept: Float32Array[] = [];
    const maxNew = Math.min(o.maxNewTokens, T - L);
    const next = new Int32Array(G);
    for (let n = 0; n < maxNew; n++) {
      if (o.keepLogits) kept.push(logits);
      for (let g = 0; g < G; g++) {
        const s = sampleToken(logits.subarray(g * V, (g + 1) * V), o, rng);
        next[g] = s.id;
        if (!finished[g]) {
          ids[g].push(s.id);
          logps[g].push(s.logp);
          if (s.id === EOS) finished[g] = true;
        }
      }
      if (finished.every(Boolean) || n === maxNew - 1) break;
      logits = await this.decodeStep(L + n, next, C, attention);
    }
    const rollouts = ids.map((seq, g): Rollout => {
      const { text, offsets } = decodeWithOffsets(seq);
      return { ids: seq, text, offsets, logp: Float32Array.from(logps[g]), finished: finished[g] };
    });
    return { rollouts, promptLength: L, ...(o.keepLogits && { logits: kept }) };
  }

  /** Runs position t (input tokens `tokens`) through the model; returns the (G, V) logits. */
  private async decodeStep(t: number, tokens: Int32Array, C: number, attention: Dispatch[][]): Promise<Float32Array> {
    const { model, b } = this;
    const { device } = model;
    const G = model.B;
    const T = model.T;
    const row3 = 3 * C * 4;
    device.queue.writeBuffer(b.tokens, 0, tokens);
    device.queue.writeBuffer(b.pos, 0, new Uint32Array(G).fill(t));
    const encoder = device.createCommandEncoder({ label: 'Decoder.step' });
    const pass = (label: string, dispatches: Dispatch[]) => {
      const p = encoder.beginComputePass({ label });
      for (const d of dispatches) encodeDispatch(p, d);
      p.end();
    };
    // The wpe row of position t, straight from the flat parameter buffer (a row's offset need not be
    // 256-byte aligned, so it is copied rather than bound as a slice).
    const wpe = model.internals.param('wpe');
    encoder.copyBufferToBuffer(model.buffers.params, (wpe.offset ?? 0) + t * C * 4, b.wpeRow, 0, C * 4);
    pass('Decoder.embed', [this.embed]);
    this.steps.forEach((s, l) => {
      const layer = model.internals.layers[l];
      pass(`Decoder.h${l}.qkv`, s.beforeAttention);
      for (let g = 0; g < G; g++) encoder.copyBufferToBuffer(b.cqkv, g * row3, layer.qkv, (g * T + t) * row3, row3); // into the cache
      pass(`Decoder.h${l}.attn`, attention[l]);
      for (let g = 0; g < G; g++) encoder.copyBufferToBuffer(layer.att, (g * T + t) * C * 4, b.catt, g * C * 4, C * 4);
      pass(`Decoder.h${l}.mlp`, s.afterAttention);
    });
    pass('Decoder.head', this.head);
    return this.submitAndRead(encoder, b.clogits);
  }

  /** Copies row rowOf(g) of an (N, V) buffer for each g into the (G, V) logits, and reads it. */
  private async readRows(source: GPUBuffer, rowOf: (g: number) => number): Promise<Float32Array> {
    const V = this.model.config.vocabSize;
    const encoder = this.model.device.createCommandEncoder({ label: 'Decoder.prefillLogits' });
    for (let g = 0; g < this.model.B; g++) encoder.copyBufferToBuffer(source, rowOf(g) * V * 4, this.b.clogits, g * V * 4, V * 4);
    return this.submitAndRead(encoder, this.b.clogits);
  }

  private async submitAndRead(encoder: GPUCommandEncoder, source: GPUBuffer): Promise<Float32Array> {
    encoder.copyBufferToBuffer(source, 0, this.staging, 0, this.staging.size);
    this.model.device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(0x1 /* GPUMapMode.READ */);
    const out = new Float32Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    return out;
  }
}
