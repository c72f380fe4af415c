// Checkpoint storage on fake-indexeddb: atomic saves (a failure mid-write leaves the previous
// checkpoint as latest), keep-last-K, survival across a reopen (a page reload), checksum fallback,
// quota errors surfaced as a named error.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointError, serializeCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { CHECKPOINT_DB_NAME, CheckpointStore, CheckpointStoreError, type CheckpointSchema } from '../../src/train/checkpoint_store';

let dbCount = 0;
const open: CheckpointStore[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
  vi.restoreAllMocks();
});

async function fresh(name = `ckpt-test-${++dbCount}`): Promise<{ store: CheckpointStore; name: string }> {
  const store = await CheckpointStore.open(name);
  open.push(store);
  return { store, name };
}

function ckpt(step: number, runId = 'run-a'): Checkpoint {
  const w = Float32Array.from({ length: 12 }, (_, i) => step + i / 16);
  return {
    config: { preset: 'tiny', dModel: 4 },
    step,
    tensors: [
      { name: 'w', shape: [3, 4], dtype: 'F32', data: w },
      { name: 'b', shape: [4], dtype: 'F32', data: Float32Array.from([step, -step, 0.5, 2]) },
    ],
    optimizer: {
      m: [
        { name: 'w', shape: [3, 4], dtype: 'F32', data: new Float32Array(12).fill(step / 100) },
        { name: 'b', shape: [4], dtype: 'F32', data: new Float32Array(4).fill(1) },
      ],
      v: [
        { name: 'w', shape: [3, 4], dtype: 'F32', data: new Float32Array(12).fill(step / 1000) },
        { name: 'b', shape: [4], dtype: 'F32', data: new Float32Array(4).fill(2) },
      ],
    },
    metadata: { runId, mode: 'sft' },
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

describe('CheckpointStore', () => {
  it("opens its own database named 'p2r-checkpoints' by default", async () => {
    const store = await CheckpointStore.open();
    open.push(store);
    const dbs = await indexedDB.databases();
    expect(dbs.map((d) => d.name)).toContain(CHECKPOINT_DB_NAME);
    expect(CHECKPOINT_DB_NAME).toBe('p2r-checkpoints');
  });

  it('saves a checkpoint and loads it back as latest, bit for bit, with optimizer state', async () => {
    const { store } = await fresh();
    const entry = await store.save('run-a', ckpt(10), { reason: 'interval' });
    expect(entry).toMatchObject({ step: 10, reason: 'interval' });
    const loaded = await store.loadLatest('run-a');
    expect(loaded!.step).toBe(10);
    expect(loaded!.skipped).toEqual([]);
    expect(loaded!.checkpoint.tensors[0].data).toEqual(ckpt(10).tensors[0].data);
    expect(loaded!.checkpoint.optimizer!.v[1].data).toEqual(new Float32Array(4).fill(2));
    expect(loaded!.checkpoint.metadata).toEqual({ runId: 'run-a', mode: 'sft' });
  });

  it('survives closing and reopening the database, as a page reload does, and lists the run to resume', async () => {
    const { store, name } = await fresh();
    let clock = 1_000;
    vi.spyOn(Date, 'now').mockImplementation(() => (clock += 1000));
    await store.save('run-a', ckpt(10));
    await store.save('run-a', ckpt(20), { reason: 'pause' });
    await store.save('run-b', ckpt(5, 'run-b'));
    store.close();
    open.pop();
    const { store: again } = await fresh(name);
    const runs = await again.listRuns();
    // Most recently updated first.
    expect(runs.map((r) => [r.runId, r.latestStep, r.steps])).toEqual([
      ['run-b', 5, [5]],
      ['run-a', 20, [10, 20]],
    ]);
    expect(runs[1].metadata).toEqual({ runId: 'run-a', mode: 'sft' });
    expect(runs[1].latestBytes).toBeGreaterThan(0);
    expect((await again.loadLatest('run-a'))!.checkpoint.step).toBe(20);
  });

  it('keeps only the last K checkpoints of a run, deleting the older records in the same transaction', async () => {
    const { store } = await fresh();
    for (const step of [10, 20, 30, 40]) await store.save('run-a', ckpt(step), { keep: 2 });
    expect((await store.listRuns())[0].steps).toEqual([30, 40]);
    expect(await store.storedSteps('run-a')).toEqual([30, 40]);
  });

  it('points latest at the checkpoint written last, even at a lower step (training resumed from an older one)', async () => {
    const { store } = await fresh();
    await store.save('run-a', ckpt(10));
    await store.save('run-a', ckpt(20));
    await store.save('run-a', ckpt(15));
    expect((await store.listRuns())[0]).toMatchObject({ latestStep: 15, steps: [10, 20, 15] });
    await store.save('run-a', ckpt(10));
    expect((await store.listRuns())[0]).toMatchObject({ latestStep: 10, steps: [20, 15, 10] });
  });

  describe('is atomic: a failure mid-write leaves the previous checkpoint as latest and intact', () => {
    for (const where of ['afterRecordPut', 'afterPointerFlip'] as const) {
      it(`when the write fails ${where === 'afterRecordPut' ? 'after the record is put, before the pointer flips' : 'after the pointer flipped, before commit'}`, async () => {
        const { store } = await fresh();
        await store.save('run-a', ckpt(10), { keep: 1 });
        const before = await store.loadSerialized('run-a');
        const err = await rejection(
          store.save('run-a', ckpt(20), {
            keep: 1,
            faults: {
              [where]: () => {
                throw new Error('simulated crash');
              },
            },
          }),
        );
        expect(err).toBeInstanceOf(CheckpointStoreError);
        expect((err as CheckpointStoreError).code).toBe('WriteFailed');
        expect(err.message).toMatch(/saving step 20 of run 'run-a'.*simulated crash/);
        // Not half-written: no record of step 20, step 10 not pruned, pointer unchanged, bytes unchanged.
        expect(await store.storedSteps('run-a')).toEqual([10]);
        expect((await store.listRuns())[0]).toMatchObject({ latestStep: 10, steps: [10] });
        const after = await store.loadSerialized('run-a');
        expect(after.safetensors).toEqual(before.safetensors);
        expect(after.config).toBe(before.config);
        expect((await store.loadLatest('run-a'))!.checkpoint.tensors[1].data).toEqual(ckpt(10).tensors[1].data);
        // And the store still works afterwards.
        await store.save('run-a', ckpt(30), { keep: 1 });
        expect(await store.storedSteps('run-a')).toEqual([30]);
      });
    }

    it('when a failed first save leaves no run at all', async () => {
      const { store } = await fresh();
      const err = await rejection(store.save('run-a', ckpt(10), { faults: { afterPointerFlip: () => { throw new Error('boom'); } } }));
      expect(err).toBeInstanceOf(CheckpointStoreError);
      expect(await store.listRuns()).toEqual([]);
      expect(await store.loadLatest('run-a')).toBeNull();
    });
  });

  it('snapshots the tensors when save() is called: a training step that then writes NaN into them does not reach the stored checkpoint', async () => {
    const { store } = await fresh();
    const live = ckpt(10);
    const saving = store.save('run-a', live);
    live.tensors[0].data.fill(NaN);
    live.optimizer!.m[0].data.fill(NaN);
    await saving;
    const loaded = (await store.loadLatest('run-a'))!.checkpoint;
    expect(loaded.tensors[0].data).toEqual(ckpt(10).tensors[0].data);
    expect(loaded.optimizer!.m[0].data.some(Number.isNaN)).toBe(false);
  });

  it('turns a QuotaExceededError into a named error with a clear message, never swallowed, and keeps the previous checkpoint', async () => {
    const { store } = await fresh();
    await store.save('run-a', ckpt(10));
    const err = await rejection(
      store.save('run-a', ckpt(20), {
        faults: {
          afterRecordPut: () => {
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          },
        },
      }),
    );
    expect(err).toBeInstanceOf(CheckpointStoreError);
    expect((err as CheckpointStoreError).code).toBe('QuotaExceeded');
    expect(err.name).toBe('CheckpointQuotaExceededError');
    expect(err.message).toMatch(/Storage quota exceeded while saving step 20 of run 'run-a' \(\d+\.\d MiB\): The quota has been exceeded/);
    expect((err as CheckpointStoreError).hint).toMatch(/previous checkpoint is intact/);
    expect((await store.listRuns())[0].latestStep).toBe(10);
  });

  it('falls back to the previous checkpoint when the latest fails its SHA-256, and says which it skipped', async () => {
    const { store, name } = await fresh();
    await store.save('run-a', ckpt(10));
    await store.save('run-a', ckpt(20));
    // Damage the stored bytes of step 20 behind the store's back.
    const raw = await openDB<CheckpointSchema>(name, 1);
    const rec = (await raw.get('checkpoints', ['run-a', 20]))!;
    rec.safetensors[rec.safetensors.length - 1] ^= 0xff;
    await raw.put('checkpoints', rec);
    raw.close();
    const loaded = await store.loadLatest('run-a');
    expect(loaded!.step).toBe(10);
    expect(loaded!.skipped).toHaveLength(1);
    expect(loaded!.skipped[0].step).toBe(20);
    expect(loaded!.skipped[0].error).toMatch(/SHA-256/);
    await expect(store.load('run-a', 20)).rejects.toMatchObject({ code: 'ChecksumMismatch' });
  });

  it('throws a Corrupt error when no checkpoint of the run passes its checks', async () => {
    const { store, name } = await fresh();
    await store.save('run-a', ckpt(10));
    const raw = await openDB<CheckpointSchema>(name, 1);
    const rec = (await raw.get('checkpoints', ['run-a', 10]))!;
    await raw.put('checkpoints', { ...rec, safetensors: rec.safetensors.subarray(0, 40).slice() });
    raw.close();
    const err = await rejection(store.loadLatest('run-a'));
    expect((err as CheckpointStoreError).code).toBe('Corrupt');
    expect(err.message).toMatch(/step 10: .*truncated/);
  });

  it('imports an exported pair of files, refusing one whose bytes do not match the config and writing nothing', async () => {
    const { store } = await fresh();
    const s = await serializeCheckpoint(ckpt(7));
    const bad = s.safetensors.slice();
    bad[bad.length - 1] ^= 1;
    const err = await rejection(store.save('imported', { safetensors: bad, config: s.config }, { reason: 'import' }));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(await store.listRuns()).toEqual([]);
    await store.save('imported', { safetensors: s.safetensors, config: s.config }, { reason: 'import' });
    expect((await store.loadLatest('imported'))!.checkpoint.step).toBe(7);
    expect((await store.listRuns())[0].metadata).toEqual({ runId: 'run-a', mode: 'sft' });
  });

  it('exports the stored files unchanged for download', async () => {
    const { store } = await fresh();
    const s = await serializeCheckpoint(ckpt(10));
    await store.save('run-a', ckpt(10));
    const out = await store.loadSerialized('run-a');
    expect(out.step).toBe(10);
    expect(out.safetensors).toEqual(s.safetensors);
    expect(out.config).toBe(s.config);
    await expect(store.loadSerialized('nope')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('deletes one checkpoint (moving latest back to the previous one) and a whole run', async () => {
    const { store } = await fresh();
    await store.save('run-a', ckpt(10));
    await store.save('run-a', ckpt(20));
    await store.save('run-b', ckpt(1, 'run-b'));
    await store.deleteCheckpoint('run-a', 20);
    expect((await store.listRuns()).find((r) => r.runId === 'run-a')).toMatchObject({ latestStep: 10, steps: [10] });
    expect(await store.storedSteps('run-a')).toEqual([10]);
    await store.deleteRun('run-a');
    expect((await store.listRuns()).map((r) => r.runId)).toEqual(['run-b']);
    expect(await store.storedSteps('run-a')).toEqual([]);
    expect(await store.storedSteps('run-b')).toEqual([1]);
    await store.deleteCheckpoint('run-b', 1);
    expect(await store.listRuns()).toEqual([]);
  });
});
