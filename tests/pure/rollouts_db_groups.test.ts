// The rollout store keeps one record per group (issue 11, Speed: 8x fewer IndexedDB requests on
// import). A database written by version 1 (one record per rollout) is moved over on open, losing
// nothing; a re-score or a resumed step replaces the rollouts of the same sample and keeps the others.
import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import { appendRunStep, closeRolloutDb, deleteRun, getGroup, getRunRollouts, getStep, putRollouts, ROLLOUT_DB_NAME, saveRun } from '../../src/rollouts/rollout_db';
import type { Rollout } from '../../src/rollouts/record';

afterAll(() => closeRolloutDb());

function rollout(runId: string, step: number, groupId: string, sampleIdx: number, completion = `c${sampleIdx}`): Rollout {
  return {
    id: `${runId}|${step}|${groupId}|${sampleIdx}`, runId, split: 'train', step, groupId, sampleIdx, prompt: `prompt ${groupId}`,
    completion, groundTruth: 'A', rewards: {}, perception: null, reasoning: null,
    advantage: null, advantages: null, tokens: null, extra: {}, source: { format: 'native', file: 'train' }, raw: null,
  };
}

const request = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));

/** A version 1 database, as the inspector wrote it before one record per group. */
async function writeVersion1(rollouts: Rollout[]): Promise<void> {
  const open = indexedDB.open(ROLLOUT_DB_NAME, 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    db.createObjectStore('runs', { keyPath: 'runId' });
    db.createObjectStore('indexes', { keyPath: 'runId' });
    const store = db.createObjectStore('rollouts', { keyPath: 'id' });
    store.createIndex('by-run', 'runId');
    store.createIndex('by-run-step', ['runId', 'step']);
    store.createIndex('by-group', ['runId', 'step', 'groupId']);
  };
  const db = await request(open);
  const tx = db.transaction('rollouts', 'readwrite');
  for (const r of rollouts) tx.objectStore('rollouts').put(r);
  await new Promise((resolve) => (tx.oncomplete = resolve));
  db.close();
}

describe('the rollout store, one record per group', () => {
  it('moves a version 1 database (one record per rollout) into groups on open, in step, group, sample order', async () => {
    // Steps 2 and 10 (a string sort would put 10 first), samples written out of order.
    const v1 = [rollout('old', 10, 'b', 1), rollout('old', 10, 'b', 0), rollout('old', 2, 'a', 1), rollout('old', 2, 'a', 0), rollout('other', 1, 'a', 0)];
    await writeVersion1(v1);
    const all = await getRunRollouts('old');
    expect(all.map((r) => `${r.step}/${r.groupId}/${r.sampleIdx}`)).toEqual(['2/a/0', '2/a/1', '10/b/0', '10/b/1']);
    expect(all[0]).toEqual(v1[3]);
    expect((await getGroup('old', 10, 'b')).map((r) => r.sampleIdx)).toEqual([0, 1]);
    expect(await getRunRollouts('other')).toEqual([v1[4]]);
    // The old store is gone.
    const db = await request(indexedDB.open(ROLLOUT_DB_NAME));
    expect([...db.objectStoreNames].sort()).toEqual(['groups', 'indexes', 'runs']);
    db.close();
  });

  it('reads a run, a step and a group by key range, and deletes a run without touching a run whose id extends it', async () => {
    const run = (id: string) => [1, 2].flatMap((s) => ['g0', 'g1'].flatMap((g) => [2, 0, 1].map((i) => rollout(id, s, g, i))));
    await saveRun({ runId: 'r', name: 'r', format: 'native', files: [], warnings: [], columns: [], rollouts: run('r') });
    await saveRun({ runId: 'r2', name: 'r2', format: 'native', files: [], warnings: [], columns: [], rollouts: run('r2') });
    expect(await getRunRollouts('r')).toHaveLength(12);
    expect((await getStep('r', 2)).map((r) => `${r.groupId}/${r.sampleIdx}`)).toEqual(['g0/0', 'g0/1', 'g0/2', 'g1/0', 'g1/1', 'g1/2']);
    expect((await getGroup('r', 1, 'g1')).map((r) => r.id)).toEqual(['r|1|g1|0', 'r|1|g1|1', 'r|1|g1|2']);
    expect(await getGroup('r', 3, 'g1')).toEqual([]);
    await deleteRun('r');
    expect(await getRunRollouts('r')).toEqual([]);
    expect(await getRunRollouts('r2')).toHaveLength(12);
  });

  it('a re-score or a resumed step replaces the rollouts of the same sample and keeps the others', async () => {
    await appendRunStep('t', 'train', 1, [0, 1, 2, 3].map((i) => rollout('t', 1, 'g', i)));
    await putRollouts([rollout('t', 1, 'g', 2, 'rescored')]);
    expect((await getGroup('t', 1, 'g')).map((r) => r.completion)).toEqual(['c0', 'c1', 'rescored', 'c3']);
    await appendRunStep('t', 'train', 1, [rollout('t', 1, 'g', 0, 'resumed')]);
    expect((await getGroup('t', 1, 'g')).map((r) => r.completion)).toEqual(['resumed', 'c1', 'rescored', 'c3']);
  });
});
