// Writes the tiny ViT-style patch encoder of onnx_encoder_reference.ts as an ONNX model, in code
// with onnx-proto (no download, no Python), so tests and the app have a frozen encoder to run.
// Pure: no onnxruntime import. Opset 17 (it has LayerNormalization), IR version 8; every op is in
// both the wasm (CPU) and the WebGPU execution providers of onnxruntime-web.
//
//   frames (F, 3, S, S)                                  input; F is symbolic ('frames'), S = frameSize
//   Reshape    → (F, 3, S/p, p, S/p, p)
//   Transpose  → (F, S/p, S/p, 3, p, p)                  perm [0, 2, 4, 1, 3, 5]
//   Reshape    → (F, P, 3·p·p)                           patches, P = (S/p)²
//   MatMul     → (F, P, C)                               · proj (3·p·p, C)
//   Add, Add   → (F, P, C)                               + bias (C) + pos (P, C)
//   Erf GELU   → (F, P, C)                               0.5·x·(1 + erf(x·(1/√2)))
//   LayerNormalization over C → (F, P, C)                γ (C), β (C), ε 1e-5
//   Reshape    → features (F·P, C)                       output

// onnx-proto is CommonJS: a default import works in Node (tsx), Vitest and Vite alike; the named
// import does not in Node, whose CJS export detection cannot see `onnx`.
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { LAYERNORM_EPS, tinyEncoderDims, tinyEncoderWeights, type TinyEncoderOptions, type TinyEncoderWeights } from './onnx_encoder_reference';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const { INT, INTS, FLOAT: FLOAT_ATTR } = onnx.AttributeProto.AttributeType;
export const ONNX_OPSET = 17;
export const ENCODER_INPUT = 'frames';
export const ENCODER_OUTPUT = 'features';

type Dim = number | string;

function valueInfo(name: string, dims: Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  // A copy, little-endian as ONNX raw_data requires (every platform the app runs on is little-endian).
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function floatTensor(name: string, dims: number[], data: Float32Array): Onnx.ITensorProto {
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`onnx_graph: ${name} has ${data.length} values for dims [${dims}]`);
  return { name, dims, dataType: FLOAT, rawData: bytesOf(data) };
}

function int64Tensor(name: string, values: number[]): Onnx.ITensorProto {
  return { name, dims: [values.length], dataType: INT64, rawData: bytesOf(BigInt64Array.from(values, BigInt)) };
}

/** The encoder graph for given options and weights (by default the seeded ones), serialised. */
export function buildTinyEncoderModel(opts: TinyEncoderOptions, weights: TinyEncoderWeights = tinyEncoderWeights(opts)): Uint8Array {
  const { side, patchesPerFrame: P, patchDim: K } = tinyEncoderDims(opts);
  const { frameSize: S, patchSize: p, dim: C } = opts;
  const graph: Onnx.IGraphProto = {
    name: 'tiny_frame_encoder',
    docString: `ViT-style patch encoder: ${S}x${S} frames, ${p}x${p} patches, ${P} features of width ${C} per frame (seed ${opts.seed}).`,
    node: [
      { opType: 'Reshape', input: [ENCODER_INPUT, 'grid_shape'], output: ['grid'], name: 'split_patches' },
      { opType: 'Transpose', input: ['grid'], output: ['grid_t'], name: 'patch_major', attribute: [{ name: 'perm', type: INTS, ints: [0, 2, 4, 1, 3, 5] }] },
      { opType: 'Reshape', input: ['grid_t', 'patches_shape'], output: ['patches'], name: 'flatten_patches' },
      { opType: 'MatMul', input: ['patches', 'proj'], output: ['projected'], name: 'project' },
      { opType: 'Add', input: ['projected', 'bias'], output: ['biased'], name: 'add_bias' },
      { opType: 'Add', input: ['biased', 'pos'], output: ['embedded'], name: 'add_position' },
      { opType: 'Mul', input: ['embedded', 'inv_sqrt2'], output: ['gelu_scaled'], name: 'gelu_scale' },
      { opType: 'Erf', input: ['gelu_scaled'], output: ['gelu_erf'], name: 'gelu_erf' },
      { opType: 'Add', input: ['gelu_erf', 'one'], output: ['gelu_1p'], name: 'gelu_one_plus' },
      { opType: 'Mul', input: ['embedded', 'gelu_1p'], output: ['gelu_x'], name: 'gelu_times_x' },
      { opType: 'Mul', input: ['gelu_x', 'half'], output: ['activated'], name: 'gelu_half' },
      {
        opType: 'LayerNormalization',
        input: ['activated', 'gamma', 'beta'],
        output: ['normed'],
        name: 'layernorm',
        attribute: [
          { name: 'axis', type: INT, i: -1 },
          { name: 'epsilon', type: FLOAT_ATTR, f: LAYERNORM_EPS },
        ],
      },
      { opType: 'Reshape', input: ['normed', 'features_shape'], output: [ENCODER_OUTPUT], name: 'flatten_frames' },
    ],
    initializer: [
      int64Tensor('grid_shape', [-1, 3, side, p, side, p]),
      int64Tensor('patches_shape', [-1, P, K]),
      int64Tensor('features_shape', [-1, C]),
      floatTensor('proj', [K, C], weights.proj),
      floatTensor('bias', [C], weights.bias),
      floatTensor('pos', [P, C], weights.pos),
      floatTensor('inv_sqrt2', [], Float32Array.of(Math.SQRT1_2)),
      floatTensor('one', [], Float32Array.of(1)),
      floatTensor('half', [], Float32Array.of(0.5)),
      floatTensor('gamma', [C], weights.gamma),
      floatTensor('beta', [C], weights.beta),
    ],
    input: [valueInfo(ENCODER_INPUT, ['frames', 3, S, S])],
    output: [valueInfo(ENCODER_OUTPUT, ['tokens', C])],
  };
  // A plain Uint8Array (protobufjs hands back a Node Buffer in Node).
  const encoded = onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'p2r-lab',
    producerVersion: '1',
    docString: 'Frozen frame encoder for P2R Lab, written by src/model/onnx_graph.ts.',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph,
  }).finish();
  return new Uint8Array(encoded);
}
