// The Checkpoints panel's store actions over fakes: the list of stored runs, export file names and
// downloads, delete (not the run training now), and import of a .safetensors + .json pair checked
// with parseCheckpoint (size, SHA-256, layout) before anything is stored, with errors naming the file.
import { describe, expect, it } from 'vitest';
import { createTrainingStore } from '../../src/store/training';
import { checkImportPair, checkpointFileNames, fileSafe, importRunId, pairImportFiles, type ImportFile } from '../../src/store/training_checkpoints';
import { presetForm, storedRunRows, type RunSummaryLike } from '../../src/store/training_runs';
import { serializeCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { fakeTrainingDeps } from './training_fakes';

const META = { mode: 'sft', preset: 'tiny', seed: '1', steps: '10', lr: '0.01', batch: '2', checkpointEvery: '2', samples: '8', state: 'paused' };

function ckpt(step = 3, metadata: Record<string, string> = META): Checkpoint {
  return {
    config: { preset: 'tiny', dModel: 4 },
    step,
    tensors: [
      { name: 'embed', shape: [2, 3], dtype: 'F32', data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'head', shape: [3], dtype: 'F32', data: Float32Array.from([0.5, -0.5, 0.25]) },
    ],
    optimizer: {
      m: [
        { name: 'embed', shape: [2, 3], dtype: 'F32', data: new Float32Array(6) },
        { name: 'head', shape: [3], dtype: 'F32', data: new Float32Array(3) },
      ],
      v: [
        { name: 'embed', shape: [2, 3], dtype: 'F32', data: new Float32Array(6).fill(0.1) },
        { name: 'head', shape: [3], dtype: 'F32', data: new Float32Array(3).fill(0.1) },
      ],
    },
    metadata,
  };
}

function file(name: string, data: Uint8Array | string): ImportFile {
  return {
    name,
    arrayBuffer: async () => {
      const b = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
    text: async () => (typeof data === 'string' ? data : new TextDecoder().decode(data)),
  };
}

interface Stored {
  safetensors: Uint8Array;
  config: string;
  step: number;
  metadata: Record<string, string>;
  savedAt: number;
}

function setup(initial: Record<string, Stored> = {}) {
  const db = new Map(Object.entries(initial));
  const downloads: { name: string; data: Uint8Array | string; type: string }[] = [];
  let clock = 1000;
  const summaries = (): RunSummaryLike[] =>
    [...db.entries()].map(([runId, r]) => ({ runId, latestStep: r.step, latestSavedAt: r.savedAt, latestBytes: r.safetensors.length, metadata: r.metadata }));
  const { deps, workers } = fakeTrainingDeps([], {
    listRuns: async () => summaries(),
    deleteRun: async (id) => {
      db.delete(id);
    },
    newRunId: () => 'run-new',
    checkpoints: {
      loadSerialized: async (runId) => {
        const r = db.get(runId);
        if (!r) throw new Error(`No checkpoint is stored for run '${runId}'`);
        return { safetensors: r.safetensors, config: r.config, step: r.step };
      },
      saveSerialized: async (runId, files) => {
        const cfg = JSON.parse(files.config);
        db.set(runId, { safetensors: files.safetensors, config: files.config, step: cfg.step, metadata: cfg.metadata, savedAt: ++clock });
      },
      download: (name, data, type) => downloads.push({ name, data, type }),
    },
  });
  const store = createTrainingStore(deps, { ...presetForm('tiny'), steps: 10 });
  return { store, db, downloads, workers };
}

async function stored(step = 3, metadata: Record<string, string> = META, savedAt = 500): Promise<Stored> {
  const s = await serializeCheckpoint(ckpt(step, metadata));
  return { safetensors: s.safetensors, config: s.config, step, metadata, savedAt };
}

describe('pure helpers', () => {
  it('lists stored runs newest first with mode, step, total, size and date', () => {
    const rows = storedRunRows([
      { runId: 'a', latestStep: 2, latestSavedAt: 10, latestBytes: 100, metadata: { mode: 'sft', steps: '5', preset: 'tiny', state: 'finished' } },
      { runId: 'b', latestStep: 7, latestSavedAt: 20, metadata: {} },
    ]);
    expect(rows.map((r) => r.runId)).toEqual(['b', 'a']);
    expect(rows[1]).toEqual({ runId: 'a', mode: 'sft', step: 2, totalSteps: 5, preset: 'tiny', state: 'finished', bytes: 100, savedAt: 10 });
    expect(rows[0]).toMatchObject({ mode: '?', totalSteps: 0, bytes: 0 });
  });

  it('names the exported pair <run>-step<N>, with unsafe characters replaced', () => {
    expect(checkpointFileNames('sft-tiny-2026', 12)).toEqual({ safetensors: 'sft-tiny-2026-step12.safetensors', json: 'sft-tiny-2026-step12.json' });
    expect(fileSafe('../a/b c<script>')).toBe('__a_b_c_script_');
    expect(fileSafe('')).toBe('run');
  });

  it('pairs exactly one .safetensors with one .json', () => {
    const a = { name: 'r-step2.safetensors' };
    const b = { name: 'r-step2.JSON' };
    expect(pairImportFiles([b, a])).toEqual({ safetensors: a, json: b });
    expect(pairImportFiles([a])).toEqual({ error: expect.stringContaining('got 1 .safetensors and 0 .json') });
    expect(pairImportFiles([a, b, { name: 'x.json' }])).toEqual({ error: expect.stringContaining('got 1 .safetensors and 2 .json') });
    expect(pairImportFiles([a, { name: 'notes.txt' }])).toEqual({ error: expect.stringContaining("'notes.txt' is neither") });
  });

  it('stores an import under the exported name, made unique', () => {
    expect(importRunId('sft-tiny-x-step3.safetensors', [])).toBe('sft-tiny-x');
    expect(importRunId('sft-tiny-x-step3.safetensors', ['sft-tiny-x'])).toBe('sft-tiny-x-imported');
    expect(importRunId('sft-tiny-x-step3.safetensors', new Set(['sft-tiny-x', 'sft-tiny-x-imported']))).toBe('sft-tiny-x-imported-2');
    expect(importRunId('my ckpt.safetensors', [])).toBe('my_ckpt');
  });

  it('checkImportPair accepts a good pair and names the file at fault otherwise', async () => {
    const s = await stored(3);
    const good = await checkImportPair({ safetensors: file('r-step3.safetensors', s.safetensors), json: file('r-step3.json', s.config) });
    expect(good).toMatchObject({ step: 3, metadata: META });

    const flipped = s.safetensors.slice();
    flipped[flipped.length - 1] ^= 0xff;
    const bad = await checkImportPair({ safetensors: file('r-step3.safetensors', flipped), json: file('r-step3.json', s.config) });
    expect(bad).toEqual({ error: expect.stringMatching(/^'r-step3\.safetensors': .*SHA-256.*corrupted/) });

    const short = await checkImportPair({ safetensors: file('r-step3.safetensors', s.safetensors.subarray(0, 50)), json: file('r-step3.json', s.config) });
    expect(short).toEqual({ error: expect.stringMatching(/^'r-step3\.safetensors': .*truncated/) });

    const notJson = await checkImportPair({ safetensors: file('r-step3.safetensors', s.safetensors), json: file('r-step3.json', '{oops') });
    expect(notJson).toEqual({ error: expect.stringMatching(/^'r-step3\.json': checkpoint config: not valid JSON/) });

    const other = await stored(4);
    const mismatch = await checkImportPair({ safetensors: file('a.safetensors', s.safetensors), json: file('b.json', other.config) });
    expect('error' in mismatch && mismatch.error).toMatch(/^'a\.safetensors': .*(bytes|SHA-256)/);
  });
});

describe('store actions', () => {
  it('loadResumable fills storedRuns; a checkpoint message refreshes it', async () => {
    const { store, db, workers } = setup({ old: await stored(2, { ...META, state: 'finished' }) });
    await store.getState().loadResumable();
    expect(store.getState().storedRuns.map((r) => [r.runId, r.step, r.mode])).toEqual([['old', 2, 'sft']]);
    store.getState().start();
    db.set('run-new', await stored(4, { ...META, state: 'running' }, 900));
    workers[0].emit({ type: 'checkpoint', step: 4, reason: 'interval', savedAt: 900, bytes: 10 });
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().storedRuns.map((r) => r.runId)).toEqual(['run-new', 'old']);
  });

  it('exports the latest checkpoint as <run>-step<N>.safetensors and .json', async () => {
    const s = await stored(3);
    const { store, downloads } = setup({ 'sft-a': s });
    await store.getState().exportCheckpoint('sft-a');
    expect(downloads.map((d) => [d.name, d.type])).toEqual([
      ['sft-a-step3.safetensors', 'application/octet-stream'],
      ['sft-a-step3.json', 'application/json'],
    ]);
    expect(downloads[0].data).toBe(s.safetensors);
    expect(JSON.parse(downloads[1].data as string).step).toBe(3);
    expect(store.getState().checkpointMessage).toEqual({ kind: 'ok', text: 'Exported sft-a-step3.safetensors and sft-a-step3.json' });
    expect(store.getState().checkpointOp).toBeNull();

    await store.getState().exportCheckpoint('missing');
    expect(store.getState().checkpointMessage).toEqual({ kind: 'error', text: expect.stringContaining('could not export run missing') });
    expect(downloads).toHaveLength(2);
  });

  it('deletes a stored run and refreshes the lists, but not the run training now', async () => {
    const { store, db } = setup({ a: await stored(2), 'run-new': await stored(1) });
    await store.getState().loadResumable();
    expect(store.getState().resumable.map((r) => r.runId).sort()).toEqual(['a', 'run-new']);
    await store.getState().deleteStoredRun('a');
    expect(db.has('a')).toBe(false);
    expect(store.getState().storedRuns.map((r) => r.runId)).toEqual(['run-new']);
    expect(store.getState().resumable.map((r) => r.runId)).toEqual(['run-new']);

    store.getState().start(); // runId 'run-new', status starting
    await store.getState().deleteStoredRun('run-new');
    expect(db.has('run-new')).toBe(true);
    expect(store.getState().checkpointMessage).toEqual({ kind: 'error', text: expect.stringContaining('is training now') });
  });

  it('imports a good pair as a new run that is resumable and an SFT start for RL', async () => {
    const s = await stored(3);
    const { store, db, workers } = setup();
    const id = await store.getState().importCheckpoint([file('sft-a-step3.json', s.config), file('sft-a-step3.safetensors', s.safetensors)]);
    expect(id).toBe('sft-a');
    expect(db.get('sft-a')?.step).toBe(3);
    expect(store.getState().checkpointMessage).toEqual({ kind: 'ok', text: 'Imported run sft-a at step 3' });
    expect(store.getState().storedRuns.map((r) => [r.runId, r.step])).toEqual([['sft-a', 3]]);
    expect(store.getState().resumable.map((r) => r.runId)).toEqual(['sft-a']);
    expect(store.getState().sftRuns.map((r) => r.runId)).toEqual(['sft-a']);

    // Imported again: a second run, the first untouched.
    expect(await store.getState().importCheckpoint([file('sft-a-step3.safetensors', s.safetensors), file('sft-a-step3.json', s.config)])).toBe('sft-a-imported');

    // Use for RL: the form switches to an RL mode starting from it.
    store.getState().useAsRlStart('sft-a');
    expect(store.getState().form.mode).toBe('pa-grpo');
    expect(store.getState().form.rl?.fromRunId).toBe('sft-a');

    // Resume from the panel: the worker is told to resume that run.
    store.getState().resumeStored('sft-a');
    expect(workers[0].sent[0]).toMatchObject({ type: 'start', resumeRunId: 'sft-a' });
    expect(store.getState()).toMatchObject({ status: 'starting', step: 3, totalSteps: 10 });
  });

  it('refuses a bad pair with a message naming the file, and stores nothing', async () => {
    const s = await stored(3);
    const { store, db } = setup();
    const flipped = s.safetensors.slice();
    flipped[200] ^= 0x01;
    expect(await store.getState().importCheckpoint([file('x-step3.safetensors', flipped), file('x-step3.json', s.config)])).toBeNull();
    const msg = store.getState().checkpointMessage;
    expect(msg?.kind).toBe('error');
    expect(msg?.text).toMatch(/^Import refused: 'x-step3\.safetensors': .*SHA-256.*Nothing was stored\.$/);
    expect(db.size).toBe(0);

    await store.getState().importCheckpoint([file('x-step3.safetensors', s.safetensors)]);
    expect(store.getState().checkpointMessage?.text).toContain('choose exactly one .safetensors and one .json');
    await store.getState().importCheckpoint([file('x.safetensors', s.safetensors), file('x.json', s.config.replace('"p2r-checkpoint"', '"other"'))]);
    expect(store.getState().checkpointMessage?.text).toMatch(/'x\.json': checkpoint config: format must be/);
    expect(db.size).toBe(0);
    expect(store.getState().checkpointOp).toBeNull();
  });
});
