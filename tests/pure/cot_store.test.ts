// The app's CoT run (src/store/cot.ts) on fake-indexeddb against a local chat-completions server: a
// stored dataset becomes a new dataset of shards holding the kept CoTs (frames carried over, outcomes
// counted by reason), exported as VideoP2R-CoT JSON; a run stopped midway resumes from the journal in
// IndexedDB without sending an answered request again.

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { listManifests, openDataDb } from '../../src/data/db';
import { newManifest } from '../../src/data/manifest';
import { DatasetReader } from '../../src/data/reader';
import { writeShards, DEFAULT_WRITE, type SourceEntry } from '../../src/data/writer';
import { normalizeRecord } from '../../src/data/records';
import type { DataRecord, DatasetManifest } from '../../src/data/types';
import { datasetsStore } from '../../src/store/datasets';
import { cotRunInfo, cotStore } from '../../src/store/cot';
import { cotRecord, startCotServer } from './cot_server';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9, 9]);

async function sourceDataset(name: string, markers: string[]): Promise<DatasetManifest> {
  const db = await openDataDb();
  const m = newManifest({ id: `src-${name}`, name, kind: 'video-r1', total: markers.length });
  async function* entries(): AsyncGenerator<SourceEntry> {
    for (let i = 0; i < markers.length; i++) {
      const raw = cotRecord(i + 1, markers[i], markers[i] === 'Q-IMG' ? { path: 'a.png', data_type: 'image' } : {});
      const record = (normalizeRecord(raw, `x:${i}`) as { record: DataRecord }).record;
      const frames = markers[i] === 'Q-IMG' ? [{ encoding: 'image/png' as const, width: 2, height: 1, time: 0, bytes: PNG }] : [];
      yield { position: i, sample: { record, frames } };
    }
  }
  const final = await writeShards(db, m, entries(), { ...DEFAULT_WRITE, shardSamples: 3 });
  datasetsStore.setState({ status: 'ready', datasets: await listManifests(db) });
  return final;
}

async function samplesOf(id: string) {
  const reader = await DatasetReader.open(await openDataDb(), id);
  const out = [];
  for await (const s of reader.stream()) out.push(s);
  return out;
}

const cotDatasets = () => datasetsStore.getState().datasets.filter((d) => cotRunInfo(d) !== null);

describe('CoT store', () => {
  it('writes kept CoTs as a new dataset with their frames, counts discards by reason, and exports VideoP2R-CoT JSON', async () => {
    const server = await startCotServer();
    try {
      const source = await sourceDataset('mixed', ['Q-OK', 'Q-BROKEN', 'Q-IMG', 'Q-WRONG', 'Q-VAGUE']);
      const store = cotStore.getState();
      store.setSettings({ endpoint: server.url, model: 'gen', judgeUrl: server.url, judgeModel: 'judge', concurrency: 2, pricePer1k: 1, judgePricePer1k: 1 });
      store.setKeys({ generate: 'sk-page' });
      store.setSource(source.id);
      await store.start();
      expect(cotStore.getState().error).toBeNull();
      const [target] = cotDatasets().filter((d) => cotRunInfo(d)!.sourceId === source.id);
      expect(target.progress.state).toBe('complete');
      expect(target.counts.samples).toBe(2);
      expect(target.progress.byReason).toEqual({ CotTemplate: 1, CotAnswer: 1, CotJudge: 1 });
      expect(JSON.stringify(target)).not.toContain('sk-page');

      const samples = await samplesOf(target.id);
      expect(samples.map((s) => s.record.problem_id)).toEqual([1, 3]);
      expect(samples[0].record.output).toMatch(/^<observation>Based on the question, I need to notice the object for Q-OK\.<\/observation>/);
      expect(samples[0].record).toMatchObject({ observation: 'Based on the question, I need to notice the object for Q-OK.', answer: 'B', select: true, reward: 1 });
      expect(samples[1].frames).toHaveLength(1);
      expect(Array.from(await samples[1].frames[0].load())).toEqual(Array.from(PNG));
      const img = server.log.find((r) => r.marker === 'Q-IMG' && r.kind === 'generate')!;
      expect(JSON.stringify(img.body)).toContain('data:image/png;base64,iVBORwkJ');
      expect(img.authorization).toBe('Bearer sk-page');

      const last = cotStore.getState().last!;
      expect(last.progress).toMatchObject({ records: 5, kept: 2, errors: 0, discarded: { template: 1, answer: 1, judge: 1 } });
      expect(last.progress.cost).toBeCloseTo((5 * 150 + 3 * 50) / 1000, 10);

      const exported = JSON.parse(await (await store.exportJson(target.id)).text());
      expect(exported).toHaveLength(2);
      expect(exported[0]).toMatchObject({ problem_id: 1, problem_type: 'multiple choice', solution: '<answer>B</answer>', answer: 'B', select: true });
      expect(exported[0].observation).toBe('<observation>Based on the question, I need to notice the object for Q-OK.</observation>');
      expect(exported[0].process).toBe('<think>Based on the observations, the answer is B.</think>');
      expect(exported[0].output).toBe(samples[0].record.output);
    } finally {
      await server.close();
    }
  });

  it('resumes a stopped run from the IndexedDB journal without sending an answered request again', async () => {
    let onHold: () => void = () => undefined;
    const holding = new Promise<void>((r) => (onHold = r));
    const first = await startCotServer({ holdAfter: 5, onHold: () => onHold() });
    const port = first.port;
    const source = await sourceDataset('resume', ['Q-OK', 'Q-WRONG', 'Q-VAGUE', 'Q-OK', 'Q-BROKEN', 'Q-OK']);
    const store = cotStore.getState();
    store.setSettings({ endpoint: first.url, model: 'gen', judgeUrl: first.url, judgeModel: 'judge', concurrency: 1, timeoutMs: 300, retries: 0 });
    store.setSource(source.id);
    let answered: Set<string>;
    try {
      const running = store.start();
      await holding;
      store.stop();
      await running;
      answered = new Set(first.log.filter((r) => r.status === 200).map((r) => r.hash));
      expect(answered.size).toBe(5);
    } finally {
      await first.close();
    }
    const target = cotDatasets().find((d) => cotRunInfo(d)!.sourceId === source.id)!;
    expect(target.progress.state).toBe('cancelled');

    const second = await startCotServer({ port });
    try {
      await store.resume(target.id);
      expect(cotStore.getState().error).toBeNull();
      expect(second.log.filter((r) => answered.has(r.hash))).toEqual([]);
      expect(second.log.length).toBeGreaterThan(0);
      const done = datasetsStore.getState().datasets.find((d) => d.id === target.id)!;
      expect(done.progress.state).toBe('complete');
      expect(done.progress.cursor).toBe(6);
      expect((await samplesOf(target.id)).map((s) => s.record.problem_id)).toEqual([1, 4, 6]);
      expect(cotStore.getState().last!.progress.replayed).toBeGreaterThanOrEqual(5);
    } finally {
      await second.close();
    }
  });
});
