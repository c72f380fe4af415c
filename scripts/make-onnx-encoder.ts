// Writes public/models/tiny-frame-encoder.onnx, the small frozen frame encoder the app ships
// (src/model/onnx_graph.ts, seeded weights: the same bytes on every run; a test checks the file).
//
//   npx tsx scripts/make-onnx-encoder.ts [--frame-size 32] [--patch-size 8] [--dim 64] [--seed 5] [--out PATH]
//
// Loading your own model instead: any ONNX model with ONE float32 image input (N, 3, H, W), RGB
// channel-first in [0,1] (N, H, W may be symbolic), and a float32 output of rank 2, (N·P, C), or
// rank 3, (N, P, C), with a fixed C, e.g. a ViT exported from PyTorch:
//
//   torch.onnx.export(model, torch.rand(1, 3, 224, 224), "vit.onnx", opset_version=17,
//                     input_names=["pixel_values"], output_names=["last_hidden_state"],
//                     dynamic_axes={"pixel_values": {0: "N"}, "last_hidden_state": {0: "N"}})
//
// (fold any mean/std normalisation into the model, or apply it to the frames first). Then:
//
//   import { OnnxFrameEncoder } from './src/model/onnx_encoder';
//   const bytes = new Uint8Array(await (await fetch('/models/vit.onnx')).arrayBuffer()); // or fs.readFileSync in Node
//   const encoder = await OnnxFrameEncoder.load(bytes, { backend: 'webgpu', device, output: 'last_hidden_state' });
//   const { features, tokensPerFrame, width } = await encoder.encode(frames, F, 224, 224); // (F·P, C)
//
// In Node use { backend: 'wasm' }. A model that does not fit fails at load with an
// OnnxEncoderError naming the input or output, its shape, and a hint. Put the file under public/models/
// to ship it with the app (keep it small: the built app copies public/ as is).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTinyEncoderModel } from '../src/model/onnx_graph';
import { DEFAULT_TINY_ENCODER, tinyEncoderDims, type TinyEncoderOptions } from '../src/model/onnx_encoder_reference';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TINY_ENCODER_PATH = resolve(root, 'public/models/tiny-frame-encoder.onnx');

function parseArgs(argv: string[]): { opts: TinyEncoderOptions; out: string } {
  const opts = { ...DEFAULT_TINY_ENCODER };
  let out = TINY_ENCODER_PATH;
  const numeric: Record<string, keyof TinyEncoderOptions> = { '--frame-size': 'frameSize', '--patch-size': 'patchSize', '--dim': 'dim', '--seed': 'seed' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--out' && value) out = resolve(value);
    else if (flag in numeric && value !== undefined && Number.isInteger(Number(value))) opts[numeric[flag]] = Number(value);
    else throw new Error(`make-onnx-encoder: unknown or incomplete argument '${flag} ${value ?? ''}' (hint: --frame-size N --patch-size N --dim N --seed N --out PATH)`);
  }
  return { opts, out };
}

const { opts, out } = parseArgs(process.argv.slice(2));
const bytes = buildTinyEncoderModel(opts);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, bytes);
const { patchesPerFrame } = tinyEncoderDims(opts);
console.log(`wrote ${out}: ${bytes.length} bytes; frames (N, 3, ${opts.frameSize}, ${opts.frameSize}) → features (N·${patchesPerFrame}, ${opts.dim}), seed ${opts.seed}`);
