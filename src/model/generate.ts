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
// sequence by one token, finished ones (EOS) included (their tokens are discarded). Several groups
// (an RL step's prompts) can decode together: every row carries its own position (generateGroups).

import { USAGE, storageBuffer } from '../gpu/buffers';
import { encodeDispatch, type Dispatch } from '../gpu/dispatch';
import { AttentionDecode, cpuDecodeThreads, GPU_DECODE_THREADS } from '../gpu/kernels/attention_decode';
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
  /**
   * Cumulative since creation: steps submitted (prefill and decode), ms waiting for the GPU and the
   * logits read-back, and ms of host work in between (sampling, encoding), for the benchmark's profile.
   */
  readonly timing = { submits: 0, waitMs: 0, hostMs: 0 };
  private lastReturn = 0;

  private constructor(
    readonly model: GpuModel,
    private readonly b: {
      tokens: GPUBuffer; // (G) i32 input token of the new position
      wpeRows: GPUBuffer; // (G, C) wpe row of each row's new position
      pos: GPUBuffer; // (G) u32: the position of each row's new query row
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
      wpeRows: buf('wpeRows', G * C),
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

    // Rows as one sequence of G positions, so row r gets wpe row r: that row's own position's (copied per step).
    const embed = embedding.forward({ B: 1, T: G, C, V, maxT: G, tokens: b.tokens, wte: pv('wte'), wpe: b.wpeRows, x: b.cx, label: 'Decoder.embed' });
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
      // The model's kernel choice decides the decode blocks too: few threads on a CPU adapter.
      const cpu = model.internals.kernels.choices.attentionBlocks === 'cpu';
      const kernel = await AttentionDecode.create(model.device, [D], cpu ? cpuDecodeThreads : () => GPU_DECODE_THREADS);
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
    if (prompts.length !== this.model.B) throw new Error(`Decoder.generateRows: ${prompts.length} prompts for ${this.model.B} rows`);
    return (await this.generateGroups([{ prompts, seed: o.seed }], o))[0];
  }

  /**
   * Several groups decoded together, rows laid out group after group (their rows add up to model.B):
   * e.g. the G completions of each of an RL step's P prompts in one pass, which costs about one
   * group's decode steps instead of P groups'. A group's rows share their length (its own positions);
   * groups may differ, since every row carries its own position. Each group samples from its own
   * seeded stream exactly as generateRows would alone (same draws, same stop), and rows never mix,
   * so the result equals decoding the groups one by one, token for token.
   */
  async generateGroups(groups: readonly { prompts: readonly { frames: FrameInput[]; prompt: string }[]; seed: number }[], o: GenerateOptions): Promise<GenerateResult[]> {
    const { model } = this;
    const G = model.B;
    const T = model.T;
    const V = model.config.vocabSize;
    const C = model.config.width;
    const rows = groups.flatMap((g) => g.prompts);
    if (rows.length !== G) throw new Error(`Decoder.generateGroups: ${rows.length} prompts for ${G} rows`);
    const attention = await this.decodeAttention();
    this.lastReturn = performance.now(); // host work of this call starts here
    // Prefill: the model's forward over [frames, BOS, prompt] (no targets), filling every layer's qkv.
    const batch = makeBatch(rows.map((p) => ({ frames: p.frames, prompt: p.prompt, completion: '' })), model.config);
    const spans: { first: number; rows: number; L: number; maxNew: number; rng: Rng; running: boolean }[] = [];
    let first = 0;
    for (const g of groups) {
      const L = batch.lengths[first];
      for (let r = first; r < first + g.prompts.length; r++) {
        if (batch.lengths[r] !== L) {
          throw new Error(`Decoder: the prompts' lengths differ within a group (${[...new Set(batch.lengths.subarray(first, first + g.prompts.length))].join(', ')} tokens with the frames); rows must share positions`);
        }
      }
      spans.push({ first, rows: g.prompts.length, L, maxNew: Math.min(o.maxNewTokens, T - L), rng: new Rng(g.seed), running: Math.min(o.maxNewTokens, T - L) > 0 });
      first += g.prompts.length;
    }
    const lengthOf = Int32Array.from({ length: G }, (_, r) => batch.lengths[r]);
    model.setBatch(batch);
    const prefill = performance.now();
    this.timing.hostMs += prefill - this.lastReturn;
    await model.forward();
    this.lastReturn = performance.now();
    this.timing.submits++;
    this.timing.waitMs += this.lastReturn - prefill;
    let logits = await this.readRows(model.internals.logits, (r) => r * T + lengthOf[r] - 1);

    const ids: number[][] = Array.from({ length: G }, () => []);
    const logps: number[][] = Array.from({ length: G }, () => []);
    const finished = new Array<boolean>(G).fill(false);
    const kept: Float32Array[] = [];
    const next = new Int32Array(G);
    const positions = new Uint32Array(G);
    for (let n = 0; spans.some((s) => s.running); n++) {
      if (o.keepLogits) kept.push(logits);
      for (const span of spans) {
        if (!span.running) continue;
        for (let r = span.first; r < span.first + span.rows; r++) {
          const s = sampleToken(logits.subarray(r * V, (r + 1) * V), o, span.rng);
          next[r] = s.id;
          if (!finished[r]) {
            ids[r].push(s.id);
            logps[r].push(s.logp);
            if (s.id === EOS) finished[r] = true;
          }
        }
        let done = true;
        for (let r = span.first; r < span.first + span.rows; r++) done &&= finished[r];
        if (done || n === span.maxNew - 1) span.running = false;
      }
      if (!spans.some((s) => s.running)) break;
      // A stopped group's rows keep a valid position (their last); what they compute is discarded.
      for (const span of spans) positions.fill(Math.min(span.L + n, T - 1), span.first, span.first + span.rows);
      logits = await this.decodeStep(positions, next, C, attention);
    }
    return spans.map((span) => {
      const rollouts = ids.slice(span.first, span.first + span.rows).map((seq, i): Rollout => {
        const r = span.first + i;
        const { text, offsets } = decodeWithOffsets(seq);
        return { ids: seq, text, offsets, logp: Float32Array.from(logps[r]), finished: finished[r] };
      });
      const logitsOfSpan = o.keepLogits ? kept.map((k) => k.slice(span.first * V, (span.first + span.rows) * V)) : undefined;
      return { rollouts, promptLength: span.L, ...(logitsOfSpan && { logits: logitsOfSpan }) };
    });
  }

  /** Runs each row r at position positions[r] (input token tokens[r]) through the model; returns the (G, V) logits. */
  private async decodeStep(positions: Uint32Array, tokens: Int32Array, C: number, attention: Dispatch[][]): Promise<Float32Array> {
    const { model, b } = this;
    const { device } = model;
    const G = model.B;
    const T = model.T;
    const row3 = 3 * C * 4;
    device.queue.writeBuffer(b.tokens, 0, tokens);
    device.queue.writeBuffer(b.pos, 0, positions);
    const encoder = device.createCommandEncoder({ label: 'Decoder.step' });
    const pass = (label: string, dispatches: Dispatch[]) => {
      const p = encoder.beginComputePass({ label });
      for (const d of dispatches) encodeDispatch(p, d);
      p.end();
    };
    // Each row's wpe row, straight from the flat parameter buffer (a row's offset need not be
    // 256-byte aligned, so it is copied rather than bound as a slice). Rows that share a position
    // (a group) share one copy's source; the embedding adds wpeRows[r] to row r.
    const wpe = model.internals.param('wpe');
    for (let r = 0; r < G; r++) encoder.copyBufferToBuffer(model.buffers.params, (wpe.offset ?? 0) + positions[r] * C * 4, b.wpeRows, r * C * 4, C * 4);
    pass('Decoder.embed', [this.embed]);
    this.steps.forEach((s, l) => {
      const layer = model.internals.layers[l];
      pass(`Decoder.h${l}.qkv`, s.beforeAttention);
      for (let r = 0; r < G; r++) encoder.copyBufferToBuffer(b.cqkv, r * row3, layer.qkv, (r * T + positions[r]) * row3, row3); // into the cache
      pass(`Decoder.h${l}.attn`, attention[l]);
      for (let r = 0; r < G; r++) encoder.copyBufferToBuffer(layer.att, (r * T + positions[r]) * C * 4, b.catt, r * C * 4, C * 4);
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
    const submitted = performance.now();
    // Host work since the last read-back returned: sampling, batch building, encoding.
    if (this.lastReturn > 0) this.timing.hostMs += submitted - this.lastReturn;
    this.model.device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(0x1 /* GPUMapMode.READ */);
    const out = new Float32Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    this.lastReturn = performance.now();
    this.timing.submits++;
    this.timing.waitMs += this.lastReturn - submitted;
    return out;
  }
}
