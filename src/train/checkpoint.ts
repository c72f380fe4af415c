// A checkpoint as two files: `<name>.safetensors` (parameters, and AdamW's m and v when present) and
// `<name>.json` (model config, step, tensor layout, user metadata, and the SHA-256 and size of the
// safetensors bytes, so a torn or corrupted file is caught before anything is decoded). Pure: only
// TextEncoder and crypto.subtle (Node 20 and every browser). docs/checkpoints.md shows the format and
// the Python that loads it.

import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsTensor } from './safetensors';

export type CheckpointTensor = SafetensorsTensor;

/** JSON-able values (what a model config may hold). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface Checkpoint<C = unknown> {
  /** The model config: any JSON-able value (checked when written), stored as is in the JSON. */
  config: C;
  /** Optimizer steps taken. */
  step: number;
  /** The parameters, in layout order. */
  tensors: CheckpointTensor[];
  /** AdamW moments, one tensor per parameter (names as the caller gives them); t is the bias-correction step when it differs from `step`. */
  optimizer?: { m: CheckpointTensor[]; v: CheckpointTensor[]; t?: number };
  /** Free-form strings (run id, mode, seed, ...). Keys beginning with 'p2r.' are reserved. */
  metadata: Record<string, string>;
}

export interface SerializedCheckpoint {
  safetensors: Uint8Array;
  /** The JSON config file's text. */
  config: string;
  /** Hex SHA-256 of `safetensors`, also in the config. */
  sha256: string;
  step: number;
}

/** One tensor's entry in the JSON layout: `key` is its name in the safetensors file. */
export interface LayoutEntry {
  name: string;
  key: string;
  shape: number[];
  dtype: 'F32';
  data_offsets: [number, number];
}

/** The JSON config file, version 1. */
export interface CheckpointConfigFile {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  step: number;
  model_config: JsonValue;
  safetensors: { sha256: string; bytes: number };
  params: LayoutEntry[];
  optimizer: { type: 'adamw'; t: number; m: LayoutEntry[]; v: LayoutEntry[] } | null;
  metadata: Record<string, string>;
}

export const CHECKPOINT_FORMAT = 'p2r-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** Safetensors keys of AdamW's moments: `optimizer.m.<param name>`, `optimizer.v.<param name>`. */
export const OPTIMIZER_M_PREFIX = 'optimizer.m.';
export const OPTIMIZER_V_PREFIX = 'optimizer.v.';

export type CheckpointErrorCode = 'InvalidCheckpoint' | 'BadConfig' | 'Truncated' | 'ChecksumMismatch' | 'BadSafetensors' | 'LayoutMismatch';

export class CheckpointError extends Error {
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

/** Lower-case hex SHA-256 through crypto.subtle. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

function checkJson(v: unknown, path: string): void {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new CheckpointError('InvalidCheckpoint', `config${path} is ${v}, which JSON cannot hold`);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => checkJson(x, `${path}[${i}]`));
  const proto = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    for (const [k, x] of Object.entries(v as object)) checkJson(x, `${path}.${k}`);
    return;
  }
  throw new CheckpointError('InvalidCheckpoint', `config${path} is ${typeof v === 'object' ? (v as object).constructor?.name ?? 'an object' : typeof v}, which JSON cannot hold`);
}

function isStep(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Writes a checkpoint as safetensors bytes plus the JSON config text; the config carries the bytes' SHA-256. */
export async function serializeCheckpoint<C>(ckpt: Checkpoint<C>): Promise<SerializedCheckpoint> {
  if (!isStep(ckpt.step)) throw new CheckpointError('InvalidCheckpoint', `step must be a non-negative integer, got ${ckpt.step}`);
  checkJson(ckpt.config, '');
  for (const [k, v] of Object.entries(ckpt.metadata ?? {})) {
    if (typeof v !== 'string') throw new CheckpointError('InvalidCheckpoint', `metadata '${k}' must be a string, got ${typeof v}`);
    if (k.startsWith('p2r.') || k === 'format') throw new CheckpointError('InvalidCheckpoint', `metadata key '${k}' is reserved`);
  }
  const opt = ckpt.optimizer;
  if (opt && opt.t !== undefined && !isStep(opt.t)) throw new CheckpointError('InvalidCheckpoint', `optimizer.t must be a non-negative integer, got ${opt.t}`);

  const all: { t: CheckpointTensor; key: string }[] = [
    ...ckpt.tensors.map((t) => ({ t, key: t.name })),
    ...(opt?.m ?? []).map((t) => ({ t, key: OPTIMIZER_M_PREFIX + t.name })),
    ...(opt?.v ?? []).map((t) => ({ t, key: OPTIMIZER_V_PREFIX + t.name })),
  ];
  let bytes: Uint8Array;
  try {
    bytes = encodeSafetensors(
      all.map(({ t, key }) => ({ ...t, name: key })),
      // 'format: pt' is what safetensors.torch.save_file writes and what transformers checks for.
      { ...ckpt.metadata, format: 'pt', 'p2r.format': `${CHECKPOINT_FORMAT}/${CHECKPOINT_VERSION}`, 'p2r.step': String(ckpt.step) },
    );
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError('InvalidCheckpoint', `cannot write the checkpoint: ${e.message}`, { cause: e });
    throw e;
  }
  // encodeSafetensors packs the tensors in the order given, from byte 0.
  let offset = 0;
  const entries = all.map(({ t, key }): LayoutEntry => {
    const begin = offset;
    offset += t.data.length * 4;
    return { name: t.name, key, shape: [...t.shape], dtype: 'F32', data_offsets: [begin, offset] };
  });
  const n = ckpt.tensors.length;
  const nm = opt?.m.length ?? 0;
  const sha256 = await sha256Hex(bytes);
  const file: CheckpointConfigFile = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: ckpt.step,
    model_config: ckpt.config as JsonValue,
    safetensors: { sha256, bytes: bytes.length },
    params: entries.slice(0, n),
    optimizer: opt ? { type: 'adamw', t: opt.t ?? ckpt.step, m: entries.slice(n, n + nm), v: entries.slice(n + nm) } : null,
    metadata: { ...ckpt.metadata },
  };
  return { safetensors: bytes, config: JSON.stringify(file, null, 2) + '\n', sha256, step: ckpt.step };
}

function bad(msg: string): CheckpointError {
  return new CheckpointError('BadConfig', `checkpoint config: ${msg}`);
}

function checkLayout(list: unknown, where: string): LayoutEntry[] {
  if (!Array.isArray(list)) throw bad(`${where} must be an array`);
  for (const [i, e] of list.entries()) {
    const x = e as Partial<LayoutEntry> | null;
    if (!x || typeof x.name !== 'string' || typeof x.key !== 'string' || !Array.isArray(x.shape) || x.dtype !== 'F32')
      throw bad(`${where}[${i}] must be {name, key, shape, dtype: 'F32', data_offsets}`);
  }
  return list as LayoutEntry[];
}

/** Reads and checks the JSON config alone (no tensors): what a file picker or a list shows. */
export function readCheckpointConfig(configJson: string): CheckpointConfigFile {
  let c: unknown;
  try {
    c = JSON.parse(configJson);
  } catch (e) {
    throw bad(`not valid JSON: ${(e as Error).message}`);
  }
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw bad('must be a JSON object');
  const f = c as Partial<CheckpointConfigFile>;
  if (f.format !== CHECKPOINT_FORMAT) throw bad(`format must be '${CHECKPOINT_FORMAT}', got ${JSON.stringify(f.format)}`);
  if (typeof f.version !== 'number' || f.version > CHECKPOINT_VERSION)
    throw bad(`version ${JSON.stringify(f.version)} is not one this build reads (up to ${CHECKPOINT_VERSION}); a newer P2R Lab wrote it`);
  if (!isStep(f.step)) throw bad(`step must be a non-negative integer, got ${JSON.stringify(f.step)}`);
  if (!f.safetensors || typeof f.safetensors.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.safetensors.sha256) || !isStep(f.safetensors.bytes))
    throw bad('safetensors must be {sha256: 64 hex digits, bytes: integer}');
  if (!('model_config' in f)) throw bad('model_config is missing');
  checkLayout(f.params, 'params');
  if (f.optimizer != null) {
    checkLayout(f.optimizer.m, 'optimizer.m');
    checkLayout(f.optimizer.v, 'optimizer.v');
    if (!isStep(f.optimizer.t)) throw bad(`optimizer.t must be a non-negative integer, got ${JSON.stringify(f.optimizer.t)}`);
  }
  if (!f.metadata || typeof f.metadata !== 'object' || Object.values(f.metadata).some((v) => typeof v !== 'string'))
    throw bad('metadata must be an object of strings');
  return f as CheckpointConfigFile;
}

/**
 * Reads a checkpoint back: checks the config, then the size and SHA-256 of the safetensors bytes
 * (a torn write or flipped byte fails here, before decoding), then decodes and checks that the file's
 * tensors are exactly the config's layout.
 */
export async function parseCheckpoint<C = unknown>(safetensors: Uint8Array, configJson: string): Promise<Checkpoint<C>> {
  const cfg = readCheckpointConfig(configJson);
  if (safetensors.length !== cfg.safetensors.bytes)
    throw new CheckpointError(
      'Truncated',
      `the safetensors file is ${safetensors.length} bytes but its config says ${cfg.safetensors.bytes}: it is ${safetensors.length < cfg.safetensors.bytes ? 'truncated' : 'longer than written'} (or belongs to another checkpoint)`,
    );
  const sha = await sha256Hex(safetensors);
  if (sha !== cfg.safetensors.sha256)
    throw new CheckpointError('ChecksumMismatch', `the safetensors bytes have SHA-256 ${sha} but the config says ${cfg.safetensors.sha256}: the file is corrupted (or belongs to another checkpoint)`);

  let decoded;
  try {
    decoded = decodeSafetensors(safetensors);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError('BadSafetensors', `the safetensors file is invalid: ${e.message}`, { cause: e });
    throw e;
  }
  const byKey = new Map(decoded.tensors.map((t) => [t.name, t]));
  const wanted = [...cfg.params, ...(cfg.optimizer ? [...cfg.optimizer.m, ...cfg.optimizer.v] : [])];
  if (wanted.length !== decoded.tensors.length)
    throw new CheckpointError('LayoutMismatch', `the config lists ${wanted.length} tensors but the safetensors file holds ${decoded.tensors.length}`);
  const take = (e: LayoutEntry): CheckpointTensor => {
    const t = byKey.get(e.key);
    if (!t) throw new CheckpointError('LayoutMismatch', `tensor '${e.key}' is in the config but not in the safetensors file`);
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i]))
      throw new CheckpointError('LayoutMismatch', `tensor '${e.key}' has shape [${t.shape.join(', ')}] in the file but [${e.shape.join(', ')}] in the config`);
    return { name: e.name, shape: t.shape, dtype: 'F32', data: t.data };
  };
  const fileStep = decoded.metadata['p2r.step'];
  if (fileStep !== undefined && fileStep !== String(cfg.step))
    throw new CheckpointError('LayoutMismatch', `the safetensors file is from step ${fileStep} but the config says step ${cfg.step}`);

  const ckpt: Checkpoint<C> = { config: cfg.model_config as C, step: cfg.step, tensors: cfg.params.map(take), metadata: { ...cfg.metadata } };
  if (cfg.optimizer) ckpt.optimizer = { m: cfg.optimizer.m.map(take), v: cfg.optimizer.v.map(take), t: cfg.optimizer.t };
  return ckpt;
}

/**
 * A flat parameter buffer's layout, structurally (src/model/params.ts's ParamLayout fits): each
 * tensor's name, shape and element offset into the flat array.
 */
export interface FlatLayout {
  tensors: readonly { name: string; shape: number[]; offset: number }[];
}

/** The tensors of a flat buffer as views in layout order (serializeCheckpoint copies them; padding is left out). */
export function tensorsFromFlat(layout: FlatLayout, flat: Float32Array): CheckpointTensor[] {
  return layout.tensors.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset + n > flat.length) throw new CheckpointError('InvalidCheckpoint', `tensor '${t.name}' [${t.offset}, ${t.offset + n}) lies beyond the ${flat.length}-element buffer`);
    return { name: t.name, shape: [...t.shape], dtype: 'F32', data: flat.subarray(t.offset, t.offset + n) };
  });
}

/** Writes checkpoint tensors back into a flat buffer of `total` elements (padding zero), by name; every layout tensor must be present with its shape. */
export function flatFromTensors(layout: FlatLayout & { total: number }, tensors: readonly CheckpointTensor[]): Float32Array {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const flat = new Float32Array(layout.total);
  for (const t of layout.tensors) {
    const src = byName.get(t.name);
    if (!src) throw new CheckpointError('LayoutMismatch', `tensor '${t.name}' is missing from the checkpoint (a checkpoint of another config?)`);
    if (src.shape.join('x') !== t.shape.join('x'))
      throw new CheckpointError('LayoutMismatch', `tensor '${t.name}' is [${src.shape.join(', ')}] in the checkpoint but the model expects [${t.shape.join(', ')}]`);
    flat.set(src.data, t.offset);
  }
  return flat;
}
