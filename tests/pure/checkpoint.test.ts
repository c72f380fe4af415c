import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  flatFromTensors,
  parseCheckpoint,
  readCheckpointConfig,
  serializeCheckpoint,
  sha256Hex,
  tensorsFromFlat,
  type Checkpoint,
} from '../../src/train/checkpoint';
import { decodeSafetensors } from '../../src/train/safetensors';

function tensor(name: string, shape: number[], seed: number) {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, dtype: 'F32' as const, data: Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 100 + i) * (seed + 1)) };
}

function sample(withOptimizer = true): Checkpoint {
  const params = [tensor('embed', [5, 4], 1), tensor('blocks.0.attn.wq', [4, 4], 2), tensor('ln_f.gain', [4], 3)];
  return {
    config: { preset: 'tiny', dModel: 4, layers: 1, vocab: 5, dropout: 0, tied: true, nested: { list: [1, 'two', null] } },
    step: 120,
    tensors: params,
    optimizer: withOptimizer
      ? { m: params.map((p, i) => tensor(p.name, p.shape, 10 + i)), v: params.map((p, i) => tensor(p.name, p.shape, 20 + i)), t: 118 }
      : undefined,
    metadata: { runId: 'run-1', mode: 'sft', seed: '7' },
  };
}

async function rejects(p: Promise<unknown>, code: string, ...fragments: RegExp[]): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CheckpointError);
  expect((e as CheckpointError).code).toBe(code);
  for (const f of fragments) expect((e as Error).message).toMatch(f);
}

describe('serializeCheckpoint and parseCheckpoint', () => {
  it('round-trip config, step, parameters, AdamW moments with t, and metadata bit for bit', async () => {
    const ckpt = sample();
    const s = await serializeCheckpoint(ckpt);
    const back = await parseCheckpoint(s.safetensors, s.config);
    expect(back.config).toEqual(ckpt.config);
    expect(back.step).toBe(120);
    expect(back.metadata).toEqual(ckpt.metadata);
    expect(back.tensors.map((t) => [t.name, t.shape])).toEqual(ckpt.tensors.map((t) => [t.name, t.shape]));
    for (const [i, t] of back.tensors.entries()) expect(t.data).toEqual(ckpt.tensors[i].data);
    expect(back.optimizer!.t).toBe(118);
    for (const [i, t] of back.optimizer!.m.entries()) expect(t.data).toEqual(ckpt.optimizer!.m[i].data);
    for (const [i, t] of back.optimizer!.v.entries()) expect(t.data).toEqual(ckpt.optimizer!.v[i].data);
  });

  it('round-trips a checkpoint without optimizer state, and defaults the AdamW t to the step', async () => {
    const s = await serializeCheckpoint(sample(false));
    const back = await parseCheckpoint(s.safetensors, s.config);
    expect(back.optimizer).toBeUndefined();
    const withOpt = sample();
    delete withOpt.optimizer!.t;
    const s2 = await serializeCheckpoint(withOpt);
    expect(readCheckpointConfig(s2.config).optimizer!.t).toBe(120);
  });

  it('writes a config with the model config, step, the layout with byte offsets and the SHA-256 and size of the safetensors bytes', async () => {
    const s = await serializeCheckpoint(sample());
    const cfg = JSON.parse(s.config);
    expect(cfg.format).toBe('p2r-checkpoint');
    expect(cfg.version).toBe(1);
    expect(cfg.step).toBe(120);
    expect(cfg.model_config.preset).toBe('tiny');
    expect(cfg.safetensors).toEqual({ sha256: await sha256Hex(s.safetensors), bytes: s.safetensors.length });
    expect(s.sha256).toBe(cfg.safetensors.sha256);
    expect(cfg.params.map((e: { key: string; data_offsets: number[] }) => [e.key, e.data_offsets])).toEqual([
      ['embed', [0, 80]],
      ['blocks.0.attn.wq', [80, 144]],
      ['ln_f.gain', [144, 160]],
    ]);
    expect(cfg.optimizer.m[0]).toEqual({ name: 'embed', key: 'optimizer.m.embed', shape: [5, 4], dtype: 'F32', data_offsets: [160, 240] });
    expect(cfg.optimizer.v[2].key).toBe('optimizer.v.ln_f.gain');
    // The offsets in the config are the ones in the safetensors header.
    const decoded = decodeSafetensors(s.safetensors);
    const all = [...cfg.params, ...cfg.optimizer.m, ...cfg.optimizer.v];
    expect(decoded.tensors.map((t) => [t.name, t.dataOffsets])).toEqual(all.map((e) => [e.key, e.data_offsets]));
    expect(decoded.metadata).toEqual({ runId: 'run-1', mode: 'sft', seed: '7', format: 'pt', 'p2r.format': 'p2r-checkpoint/1', 'p2r.step': '120' });
  });

  it('is deterministic: the same checkpoint gives the same bytes and hash', async () => {
    const a = await serializeCheckpoint(sample());
    const b = await serializeCheckpoint(sample());
    expect(a.sha256).toBe(b.sha256);
    expect(a.config).toBe(b.config);
  });

  it('detects one flipped bit anywhere in the safetensors bytes by the checksum', async () => {
    const s = await serializeCheckpoint(sample());
    for (const at of [3, 20, s.safetensors.length - 1]) {
      const bad = s.safetensors.slice();
      bad[at] ^= 0x01;
      await rejects(parseCheckpoint(bad, s.config), 'ChecksumMismatch', /SHA-256 [0-9a-f]{64} but the config says/, /corrupted/);
    }
  });

  it('detects a torn (truncated) safetensors file by its size before hashing', async () => {
    const s = await serializeCheckpoint(sample());
    await rejects(parseCheckpoint(s.safetensors.subarray(0, 100), s.config), 'Truncated', /100 bytes but its config says \d+: it is truncated/);
  });

  it('refuses safetensors bytes that belong to another checkpoint', async () => {
    const a = await serializeCheckpoint(sample());
    const other = sample();
    other.tensors[0].data[0] += 1;
    const b = await serializeCheckpoint(other);
    await rejects(parseCheckpoint(b.safetensors, a.config), 'ChecksumMismatch');
  });

  it('refuses a config that is not JSON, of another format, of a newer version, or missing fields', async () => {
    const s = await serializeCheckpoint(sample());
    const cfg = JSON.parse(s.config);
    await rejects(parseCheckpoint(s.safetensors, s.config.slice(0, 50)), 'BadConfig', /not valid JSON/);
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify({ ...cfg, format: 'other' })), 'BadConfig', /format must be 'p2r-checkpoint'/);
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify({ ...cfg, version: 2 })), 'BadConfig', /version 2 .* newer P2R Lab/);
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify({ ...cfg, step: -1 })), 'BadConfig', /step must be a non-negative integer/);
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify({ ...cfg, safetensors: { sha256: 'abc', bytes: 1 } })), 'BadConfig', /sha256/);
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify({ ...cfg, params: [{ name: 'x' }] })), 'BadConfig', /params\[0\]/);
  });

  it('refuses a config whose layout disagrees with the (intact) safetensors file', async () => {
    const s = await serializeCheckpoint(sample());
    const cfg = JSON.parse(s.config);
    const renamed = structuredClone(cfg);
    renamed.params[1].key = 'nope';
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify(renamed)), 'LayoutMismatch', /tensor 'nope' is in the config but not in the safetensors file/);
    const reshaped = structuredClone(cfg);
    reshaped.params[0].shape = [4, 5];
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify(reshaped)), 'LayoutMismatch', /'embed' has shape \[5, 4\] in the file but \[4, 5\] in the config/);
    const fewer = structuredClone(cfg);
    fewer.optimizer = null;
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify(fewer)), 'LayoutMismatch', /lists 3 tensors but the safetensors file holds 9/);
    await rejects(parseCheckpoint(s.safetensors, JSON.stringify({ ...cfg, step: 121 })), 'LayoutMismatch', /from step 120 but the config says step 121/);
  });

  it('refuses to write a bad step, a non-JSON config, reserved metadata keys, or a tensor whose data does not fit its shape', async () => {
    await rejects(serializeCheckpoint({ ...sample(), step: 1.5 }), 'InvalidCheckpoint', /step must be a non-negative integer/);
    await rejects(serializeCheckpoint({ ...sample(), config: { lr: NaN } }), 'InvalidCheckpoint', /config\.lr is NaN/);
    await rejects(serializeCheckpoint({ ...sample(), config: { at: new Date() as never } }), 'InvalidCheckpoint', /config\.at is Date/);
    await rejects(serializeCheckpoint({ ...sample(), metadata: { 'p2r.step': '1' } }), 'InvalidCheckpoint', /'p2r\.step' is reserved/);
    const bad = sample();
    bad.tensors[0].shape = [3];
    await rejects(serializeCheckpoint(bad), 'InvalidCheckpoint', /tensor 'embed': shape \[3\] holds 3 values but data has 20/);
  });
});

describe('tensorsFromFlat and flatFromTensors (a flat parameter buffer with a layout table)', () => {
  // Two tensors with padding between and after them, as an aligned layout has.
  const layout = { tensors: [{ name: 'wte', shape: [2, 3], offset: 0 }, { name: 'ln.g', shape: [3], offset: 8 }], total: 12 };
  const flat = Float32Array.from([1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 0]);

  it('round-trips a flat buffer through a checkpoint, leaving the padding out of the file and zero on the way back', async () => {
    interface ModelConfig { width: number; preset: 'tiny' | 'demo' }
    const s = await serializeCheckpoint<ModelConfig>({ config: { width: 3, preset: 'tiny' }, step: 4, tensors: tensorsFromFlat(layout, flat), metadata: {} });
    expect(decodeSafetensors(s.safetensors).tensors.map((t) => Array.from(t.data))).toEqual([[1, 2, 3, 4, 5, 6], [7, 8, 9]]);
    const back = await parseCheckpoint<ModelConfig>(s.safetensors, s.config);
    expect(back.config.width).toBe(3);
    expect(flatFromTensors(layout, back.tensors)).toEqual(flat);
  });

  it('refuses a layout tensor beyond the buffer, and a checkpoint missing a tensor or of another shape, naming it', () => {
    expect(() => tensorsFromFlat(layout, flat.subarray(0, 10))).toThrow(/tensor 'ln\.g' \[8, 11\) lies beyond the 10-element buffer/);
    const tensors = tensorsFromFlat(layout, flat);
    expect(() => flatFromTensors(layout, tensors.slice(0, 1))).toThrow(/tensor 'ln\.g' is missing from the checkpoint/);
    expect(() => flatFromTensors(layout, [{ ...tensors[0], shape: [3, 2] }, tensors[1]])).toThrow(/'wte' is \[3, 2\] in the checkpoint but the model expects \[2, 3\]/);
  });
});
