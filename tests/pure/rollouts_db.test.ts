// Faults of the rollout store (src/rollouts/rollout_db.ts) and the Rollouts page's export
// (exportRun in src/rollouts/export.ts), on fake-indexeddb: a full quota or a failed write keeps whole
// steps only and says so; an export never writes an empty or unnamed file without a word.
import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import { appendRunStep, closeRolloutDb, getRun, getRunRollouts, getStep, listRuns, RolloutDbError, saveRun } from '../../src/rollouts/rollout_db';
import { exportFileName, exportRun, toJsonl } from '../../src/rollouts/export';
import type { Rollout } from '../../src/rollouts/record';

afterAll(() => closeRolloutDb());

function rollout(runId: string, step: number, groupId: string, sampleIdx: number): Rollout {
  return {
    id: `${runId}|${step}|${groupId}|${sampleIdx}`, runId, split: 'train', step, groupId, sampleIdx, prompt: `prompt ${groupId}`,
    completion: '<observation>red moves left</observation> <think>so A</think><answer>A</answer>', groundTruth: 'A', rewards: {},
    perception: { accuracy: 1, format: 1, length: 0, total: 2 }, reasoning: { accuracy: 1, format: 1, length: 0, total: 2 },
    advantage: null, advantages: null, tokens: null, extra: {}, source: { format: 'native', file: 'train' }, raw: null,
  };
}
const step = (runId: string, s: number) => ['g0', 'g1'].flatMap((g) => [0, 1, 2, 3].map((i) => rollout(runId, s, g, i)));

/** Makes the n-th put into the 'groups' store (one record per group; counted from now) throw `error`, as a full disk does. */
function failNthPut(n: number, error: DOMException): () => void {
  const proto = IDBObjectStore.prototype;
  const realPut = proto.put;
  let puts = 0;
  proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (this.name === 'groups' && ++puts === n) throw error;
    return realPut.apply(this, args);
  };
  return () => (proto.put = realPut);
}

describe('the rollout store under a full quota or a failed write', () => {
  it("keeps a training run's earlier steps whole and stores none of a step the quota refused", async () => {
    await appendRunStep('train-q', 'pa-grpo', 0, step('train-q', 0));
    await appendRunStep('train-q', 'pa-grpo', 1, step('train-q', 1));
    const restore = failNthPut(2, new DOMException('The quota has been exceeded.', 'QuotaExceededError')); // the step's second group
    const error = await appendRunStep('train-q', 'pa-grpo', 2, step('train-q', 2)).catch((e) => e);
    restore();
    expect(error).toBeInstanceOf(RolloutDbError);
    expect(error.code).toBe('QuotaExceeded');
    expect(error.message).toBe('storage quota exceeded while appending step 2 to run train-q: The quota has been exceeded.');
    expect(error.hint).toMatch(/delete old runs/);
    expect(await getStep('train-q', 2)).toEqual([]); // not the group put before the failure
    expect((await getRun('train-q'))!.meta.steps).toEqual([0, 1]);
    expect(await getRunRollouts('train-q')).toHaveLength(16);
    // The next step stores normally once there is room.
    await appendRunStep('train-q', 'pa-grpo', 3, step('train-q', 3));
    expect((await getRun('train-q'))!.meta.steps).toEqual([0, 1, 3]);
  });

  it('keeps nothing of an imported run whose write fails midway, and names the run', async () => {
    const rollouts = Array.from({ length: 6 }, (_, s) => step('import-w', s)).flat(); // 48 rollouts, 12 groups
    const restore = failNthPut(10, new DOMException('An internal error was encountered in the Indexed Database server', 'UnknownError'));
    const error = await saveRun({ runId: 'import-w', name: 'w', format: 'verl', files: ['0.jsonl'], warnings: [], columns: [], rollouts }).catch((e) => e);
    restore();
    expect(error).toBeInstanceOf(RolloutDbError);
    expect(error.code).toBe('WriteFailed');
    expect(error.message).toMatch(/^IndexedDB failed while saving run import-w: An internal error.*; nothing of the run was kept$/);
    expect(await getRunRollouts('import-w')).toEqual([]);
    expect((await listRuns()).map((r) => r.runId)).not.toContain('import-w');
  });
});

describe('exporting a run from the Rollouts page', () => {
  const run = [...step('verl/run:1', 0), ...step('verl/run:1', 1)];
  const load = async (runId: string) => (runId === 'verl/run:1' ? run : []);

  it('writes the filtered rollouts under a file name made safe from the run id', async () => {
    const file = await exportRun('verl/run:1', 'jsonl', [{ step: 1, groupId: 'g1', sampleIdx: 2 }], load);
    expect(file).toEqual({ name: 'verl_run_1.jsonl', text: toJsonl([run[14]]), type: 'application/x-ndjson', count: 1 });
    expect(exportFileName('../../etc/passwd', 'csv')).toBe('__.._etc_passwd.csv');
    expect(exportFileName('', 'md')).toBe('run.md');
  });

  it('says why nothing was exported: a run that cannot be read, an empty or deleted run, a filter that matches nothing', async () => {
    const unreadable = await exportRun('r', 'csv', null, async () => {
      throw new RolloutDbError('Unavailable', 'IndexedDB is not available', 'use a browser with IndexedDB');
    });
    expect(unreadable).toEqual({ error: 'r.csv not exported: could not read run r: IndexedDB is not available' });
    expect(await exportRun('gone', 'jsonl', null, load)).toEqual({ error: 'gone.jsonl not exported: run gone has no stored rollouts (deleted in another tab?)' });
    expect(await exportRun('verl/run:1', 'jsonl', [], load)).toEqual({ error: "verl_run_1.jsonl not exported: the filter matches none of the run's 16 rollouts" });
  });

  it('reports a run too large to write as one file instead of failing silently', async () => {
    const tooLong = () => {
      throw new RangeError('Invalid string length');
    };
    expect(await exportRun('verl/run:1', 'jsonl', null, load, tooLong)).toEqual({
      error: 'verl_run_1.jsonl not exported: Invalid string length (16 rollouts: filter to fewer and export in parts)',
    });
  });
});
