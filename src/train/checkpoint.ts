// Checkpoints as safetensors (https://github.com/huggingface/safetensors: an 8-byte little-endian
// header length, a JSON header of {name: {dtype, shape, data_offsets}}, then raw little-endian
// data) plus a JSON config, so PyTorch loads them with `safetensors.torch.load_file`. Pure: bytes in,
// bytes out; the browser stores them in IndexedDB, Node writes files.

import type { Config } from '../model/config';
import type { ParamLayout } from '../model/params';

export const CHECKPOINT_FORMAT = 'p2r-lab/1';

export interface CheckpointMeta {
  /** Optimiser updates done. */
  step: number;
  /** Free-form notes (mode, dataset), strings only (safetensors metadata is str → str). */
  [key: string]: string | number;
}

/** The safetensors bytes of every tensor of `layout` from the flat `params` (f32). */
export function encodeSafetensors(layout: ParamLayout, params: Float32Array, meta: CheckpointMeta): Uint8Array {
  const header: Record<string, unknown> = {
    __metadata__: Object.fromEntries(Object.entries({ format: CHECKPOINT_FORMAT, ...meta }).map(([k, v]) => [k, String(v)])),
  };
  let offset = 0;
  for (const t of layout.tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.size * 4] };
    offset += t.size * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // data starts 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of layout.tensors) {
    const src = params.subarray(t.offset, t.offset + t.size);
    for (let i = 0; i < t.size; i++, at += 4) dv.setFloat32(at, src[i], true);
  }
  return out;
}

/** Reads a safetensors file written by encodeSafetensors back into a flat array of `layout`. */
export function decodeSafetensors(bytes: Uint8Array, layout: ParamLayout): { params: Float32Array; meta: Record<string, string> } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLength;
  const params = new Float32Array(layout.total);
  for (const t of layout.tensors) {
    const e = header[t.name];
    if (!e) throw new Error(`checkpoint: tensor '${t.name}' is missing (a checkpoint of another config?)`);
    if (e.dtype !== 'F32' || e.shape.join('x') !== t.shape.join('x')) {
      throw new Error(`checkpoint: '${t.name}' is ${e.dtype} [${e.shape}], the model expects F32 [${t.shape}]`);
    }
    for (let i = 0; i < t.size; i++) params[t.offset + i] = dv.getFloat32(base + e.data_offsets[0] + 4 * i, true);
  }
  const meta = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  return { params, meta };
}

/** The JSON written beside the weights: the full config and the tensor table. */
export function checkpointConfig(config: Config, layout: ParamLayout, meta: CheckpointMeta): string {
  return JSON.stringify(
    {
      format: CHECKPOINT_FORMAT,
      ...meta,
      config,
      tokenizer: { kind: 'bytes', bos: 256, eos: 257, pad: 258, frame: 259, vocabSize: 260 },
      tensors: layout.tensors.map((t) => ({ name: t.name, shape: t.shape, decay: t.decay })),
    },
    null,
    2,
  );
}
