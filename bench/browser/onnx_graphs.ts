// Tiny ONNX graphs for the onnxruntime-web baseline, written in code with onnx-proto (no download):
// a MatMul, and causal attention composed of standard ops the way an exporter writes it,
//   S = Q·Kᵀ (Transpose + MatMul), S·scale (Mul), + causal mask (Add), softmax (Softmax), P·V (MatMul),
// batched over heads: Q, K, V, O are (B·H, T, D). Opset 17, IR version 8.

import { onnx } from 'onnx-proto';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const OPSET = 17;

function valueInfo(name: string, dims: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function model(graph: onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'p2r-lab-bench',
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  }).finish();
}

/** C (M,N) = A (M,K) · B (K,N); inputs 'a', 'b', output 'c'. */
export function matmulModel({ m, n, k }: { m: number; n: number; k: number }): Uint8Array {
  return model({
    name: 'matmul',
    node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'], name: 'matmul' }],
    input: [valueInfo('a', [m, k]), valueInfo('b', [k, n])],
    output: [valueInfo('c', [m, n])],
  });
}

/** Additive causal mask (T,T): 0 where key j ≤ query i, a large negative number above the diagonal. */
export function causalMask(T: number): Float32Array {
  const mask = new Float32Array(T * T);
  // -1e9 rather than -Infinity: exp(-inf - max) is fine, but -inf + -inf paths can give NaN in some kernels.
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9;
  return mask;
}

/**
 * Causal attention over heads batched as (B·H, T, D): inputs 'q', 'k', 'v', output 'o'.
 * The mask and scale = 1/sqrt(D) are initializers.
 */
export function attentionModel({ B, T, H, D }: { B: number; T: number; H: number; D: number }): Uint8Array {
  const BH = B * H;
  return model({
    name: 'causal_attention',
    node: [
      { opType: 'Transpose', input: ['k'], output: ['kt'], name: 'k_transpose', attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1] }] },
      { opType: 'MatMul', input: ['q', 'kt'], output: ['scores'], name: 'qk' },
      { opType: 'Mul', input: ['scores', 'scale'], output: ['scaled'], name: 'scale' },
      { opType: 'Add', input: ['scaled', 'mask'], output: ['masked'], name: 'mask' },
      { opType: 'Softmax', input: ['masked'], output: ['probs'], name: 'softmax', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }] },
      { opType: 'MatMul', input: ['probs', 'v'], output: ['o'], name: 'pv' },
    ],
    initializer: [floatTensor('scale', [], Float32Array.of(1 / Math.sqrt(D))), floatTensor('mask', [T, T], causalMask(T))],
    input: [valueInfo('q', [BH, T, D]), valueInfo('k', [BH, T, D]), valueInfo('v', [BH, T, D])],
    output: [valueInfo('o', [BH, T, D])],
  });
}

/**
 * Splits packed qkv (B*T, 3C) = (B, T, 3, H, D) into q, k, v of (B·H, T, D), the layout the graph
 * takes (done on the CPU once: the timed ORT run gets its inputs already split).
 */
export function splitQkv(qkv: Float32Array, { B, T, H, D }: { B: number; T: number; H: number; D: number }): { q: Float32Array; k: Float32Array; v: Float32Array } {
  const C = H * D;
  const parts = [0, 1, 2].map(() => new Float32Array(B * H * T * D));
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let p = 0; p < 3; p++)
        for (let h = 0; h < H; h++) {
          const src = (b * T + t) * 3 * C + p * C + h * D;
          const dst = ((b * H + h) * T + t) * D;
          parts[p].set(qkv.subarray(src, src + D), dst);
        }
  return { q: parts[0], k: parts[1], v: parts[2] };
}

/** (B·H, T, D) → (B*T, C) = (B, T, H, D), the layout of our attention output. */
export function mergeHeads(o: Float32Array, { B, T, H, D }: { B: number; T: number; H: number; D: number }): Float32Array {
  const out = new Float32Array(B * T * H * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const src = ((b * H + h) * T + t) * D;
        out.set(o.subarray(src, src + D), ((b * T + t) * H + h) * D);
      }
  return out;
}
