// Parameter layout: every tensor of the model at an offset in ONE flat f32 array (and on the GPU in
// one buffer each for parameters, gradients and AdamW's m and v). Offsets are multiples of 64
// elements (256 bytes = WebGPU's default minStorageBufferOffsetAlignment) so a kernel can bind a
// tensor as a sub-range. The same table names the tensors of a checkpoint (PyTorch-style names,
// nn.Linear weights stored (out, in)).
//
// Order: every weight-decayed tensor first, then the rest, so AdamW needs two dispatches (one range
// with decay, one without) instead of one per tensor.

import { storageBuffer, uploadBuffer } from '../gpu/buffers';
import { Rng } from '../util/rng';
import { modelDims, type ModelConfig } from './config';

/** 256 bytes in f32 elements. */
export const ALIGN_ELEMENTS = 64;

export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'zeros' }
  | { kind: 'ones' };

export interface TensorSpec {
  /** Checkpoint name, e.g. 'h.0.attn.c_attn.weight'. */
  name: string;
  shape: number[];
  /** Elements: the product of shape. */
  size: number;
  /** First element in the flat array; a multiple of ALIGN_ELEMENTS. */
  offset: number;
  /** AdamW decoupled weight decay applies (matmul weights and embeddings; not biases or LayerNorm). */
  decay: boolean;
  init: Init;
}

export interface ParamLayout {
  tensors: TensorSpec[];
  /** Elements of the flat array, padding included (a multiple of ALIGN_ELEMENTS). */
  total: number;
  /** [offset, n) of the weight-decayed tensors, and of the rest (padding included; its grads stay 0). */
  decayRange: [number, number];
  noDecayRange: [number, number];
  /** Parameters proper (no padding). */
  count: number;
}

export function alignUp(n: number, to = ALIGN_ELEMENTS): number {
  return Math.ceil(n / to) * to;
}

/** The tensors of the model in natural order (before the decay/no-decay regrouping). */
function tensorList(m: ModelConfig): Omit<TensorSpec, 'offset' | 'size'>[] {
  const { C, F, V, maxT, frameDim, frameProj } = modelDims(m);
  const std = m.initStd;
  // GPT-2: residual projections scaled by 1/sqrt(2·layers) so the residual stream's variance does
  // not grow with depth.
  const projStd = std / Math.sqrt(2 * m.layers);
  const w = (name: string, shape: number[], s = std) => ({ name, shape, decay: true, init: { kind: 'normal', std: s } as Init });
  const zeros = (name: string, shape: number[]) => ({ name, shape, decay: false, init: { kind: 'zeros' } as Init });
  const ones = (name: string, shape: number[]) => ({ name, shape, decay: false, init: { kind: 'ones' } as Init });
  const list = [
    w('wte', [V, C]), // token embedding; row FRAME is the frame projection's bias
    w('wpe', [maxT, C]), // position embedding over the whole [frames, prompt, completion] sequence
    // Frame rows -> C, nn.Linear layout (out, in): 'frame_proj.weight' (C, patchDim) over patches, or
    // with the ONNX encoder 'encoder_proj.weight' (C, encoderWidth) over its frozen features.
    w(frameProj, [C, frameDim]),
  ];
  for (let l = 0; l < m.layers; l++) {
    const p = `h.${l}`;
    list.push(
      ones(`${p}.ln_1.weight`, [C]),
      zeros(`${p}.ln_1.bias`, [C]),
      w(`${p}.attn.c_attn.weight`, [3 * C, C]), // C -> (q, k, v) = (3, H, D)
      zeros(`${p}.attn.c_attn.bias`, [3 * C]),
      w(`${p}.attn.c_proj.weight`, [C, C], projStd),
      zeros(`${p}.attn.c_proj.bias`, [C]),
      ones(`${p}.ln_2.weight`, [C]),
      zeros(`${p}.ln_2.bias`, [C]),
      w(`${p}.mlp.c_fc.weight`, [F, C]),
      zeros(`${p}.mlp.c_fc.bias`, [F]),
      w(`${p}.mlp.c_proj.weight`, [C, F], projStd),
      zeros(`${p}.mlp.c_proj.bias`, [C]),
    );
  }
  list.push(ones('ln_f.weight', [C]), zeros('ln_f.bias', [C]), w('lm_head.weight', [V, C])); // untied LM head
  return list;
}

export function paramLayout(m: ModelConfig): ParamLayout {
  const list = tensorList(m);
  const ordered = [...list.filter((t) => t.decay), ...list.filter((t) => !t.decay)];
  const tensors: TensorSpec[] = [];
  let offset = 0;
  let decayEnd = 0;
  let count = 0;
  for (const t of ordered) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    tensors.push({ ...t, size, offset });
    offset = alignUp(offset + size);
    count += size;
    if (t.decay) decayEnd = offset;
  }
  return { tensors, total: offset, decayRange: [0, decayEnd], noDecayRange: [decayEnd, offset - decayEnd], count };
}

export function tensor(layout: ParamLayout, name: string): TensorSpec {
  const t = layout.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`ParamLayout: no tensor '${name}' (have ${layout.tensors.map((x) => x.name).join(', ')})`);
  return t;
}

/** The tensor `name` of a flat array, as a view (no copy). */
export function view<A extends Float32Array | Float64Array>(layout: ParamLayout, flat: A, name: string): A {
  const t = tensor(layout, name);
  return flat.subarray(t.offset, t.offset + t.size) as A;
}

/**
 * Seeded initialisation: one Rng stream, drawn tensor by tensor in layout order, so the same config
 * and seed give bit-identical parameters in Node, a worker and the browser. Padding stays 0.
 */
export function initParams(layout: ParamLayout, seed: number): Float32Array {
  const flat = new Float32Array(layout.total);
  const rng = new Rng(seed);
  for (const t of layout.tensors) {
    const out = flat.subarray(t.offset, t.offset + t.size);
    if (t.init.kind === 'ones') out.fill(1);
    else if (t.init.kind === 'normal') for (let i = 0; i < t.size; i++) out[i] = t.init.std * rng.normal();
  }
  return flat;
}

/** The four flat GPU buffers of training, all of layout.total f32. */
export interface ParamBuffers {
  layout: ParamLayout;
  params: GPUBuffer;
  grads: GPUBuffer;
  /** AdamW first and second moments, zero-initialised. */
  m: GPUBuffer;
  v: GPUBuffer;
}

export function createParamBuffers(device: GPUDevice, layout: ParamLayout, init: Float32Array, label = 'Model'): ParamBuffers {
  if (init.length !== layout.total) throw new Error(`createParamBuffers: ${init.length} values for a layout of ${layout.total}`);
  return {
    layout,
    params: uploadBuffer(device, `${label}.params`, init),
    grads: storageBuffer(device, `${label}.grads`, layout.total),
    m: storageBuffer(device, `${label}.adam.m`, layout.total),
    v: storageBuffer(device, `${label}.adam.v`, layout.total),
  };
}

