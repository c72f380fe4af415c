// CoT slice of the app store: the process-aware CoT pipeline (src/data/cot) over a stored dataset,
// written as a new dataset of shards. Settings persist in localStorage; API keys are held in memory
// unless the user ticks "save". Answers go to the IndexedDB journal before use, so a run resumed after
// a reload (from the new dataset's cursor) replays them instead of paying again. No React here.

import { createStore } from 'zustand/vanilla';
import { createCotPipeline, runCot, type CotProgress, type CotSettings } from '../data/cot/pipeline';
import { cotEntry, samplesFrom, storedItems, videoP2RCotJson } from '../data/cot/dataset';
import { IdbJournal } from '../data/cot/journal_idb';
import { Channel } from '../data/cot/channel';
import { CHAT_DEFAULTS } from '../data/cot/chat';
import { DEFAULT_THRESHOLD } from '../data/cot/verify';
import { openDataDb, listManifests } from '../data/db';
import { datasetId, newManifest } from '../data/manifest';
import { DatasetReader } from '../data/reader';
import { writeShards, type SourceEntry } from '../data/writer';
import { encodeRgbaFrames } from '../data/media';
import { describeError } from '../data/errors';
import type { DatasetManifest, ProblemType } from '../data/types';
import { datasetsStore } from './datasets';

export interface CotFormSettings {
  endpoint: string;
  model: string;
  temperature: number;
  maxTokens: number;
  concurrency: number;
  retries: number;
  timeoutMs: number;
  judgeUrl: string;
  judgeModel: string;
  typeHint: boolean;
  /** Answer score needed to keep a CoT, per problem type (multiple choice and numbers are 0 or 1). */
  thresholds: Record<ProblemType, number>;
  pricePer1k: number;
  judgePricePer1k: number;
}

export const DEFAULT_COT_SETTINGS: CotFormSettings = {
  endpoint: 'http://localhost:8000/v1',
  model: '',
  temperature: CHAT_DEFAULTS.temperature,
  maxTokens: CHAT_DEFAULTS.maxTokens,
  concurrency: 4,
  retries: CHAT_DEFAULTS.retries,
  timeoutMs: CHAT_DEFAULTS.timeoutMs,
  judgeUrl: 'http://localhost:8000/v1',
  judgeModel: '',
  typeHint: true,
  thresholds: { 'multiple choice': DEFAULT_THRESHOLD, numerical: DEFAULT_THRESHOLD, OCR: DEFAULT_THRESHOLD, 'free-form': DEFAULT_THRESHOLD, regression: DEFAULT_THRESHOLD },
  pricePer1k: 0,
  judgePricePer1k: 0,
};

/** What a CoT dataset's manifest records about its run (source.options.cot): never a key. */
export interface CotRunInfo {
  sourceId: string;
  sourceName: string;
  settings: CotFormSettings;
}

export interface CotRun {
  targetId: string;
  sourceId: string;
  total: number;
  state: 'running' | 'stopping';
  progress: CotProgress;
}

export interface CotState {
  settings: CotFormSettings;
  /** API keys, in memory (and in localStorage only when saveKeys is ticked). */
  keys: { generate: string; judge: string };
  saveKeys: boolean;
  sourceId: string | null;
  run: CotRun | null;
  /** The last run's figures, kept after it ends. */
  last: { targetId: string; progress: CotProgress; state: string } | null;
  error: string | null;

  setSettings(patch: Partial<CotFormSettings>): void;
  setKeys(patch: Partial<CotState['keys']>): void;
  setSaveKeys(save: boolean): void;
  setSource(id: string | null): void;
  /** A new CoT dataset from the selected source. */
  start(): Promise<void>;
  /** Continues an unfinished CoT dataset from its cursor, with the settings it was started with. */
  resume(targetId: string): Promise<void>;
  stop(): void;
  /** The dataset's samples as a VideoP2R-CoT style JSON list. */
  exportJson(id: string): Promise<Blob>;
  dismissError(): void;
}

const SETTINGS_KEY = 'p2r-cot-settings';
const KEYS_KEY = 'p2r-cot-keys';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function loadJson<T>(key: string): T | null {
  try {
    const text = storage()?.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export function cotRunInfo(m: DatasetManifest): CotRunInfo | null {
  const info = m.source.options.cot as CotRunInfo | undefined;
  return info && typeof info.sourceId === 'string' ? info : null;
}

export function cotSettingsOf(form: CotFormSettings, keys: CotState['keys']): CotSettings {
  return {
    generate: { baseUrl: form.endpoint, model: form.model, apiKey: keys.generate || undefined, temperature: form.temperature, maxTokens: form.maxTokens, retries: form.retries, timeoutMs: form.timeoutMs },
    judge: { baseUrl: form.judgeUrl, model: form.judgeModel, apiKey: keys.judge || keys.generate || undefined, retries: form.retries, timeoutMs: form.timeoutMs, concurrency: form.concurrency },
    prompt: { typeHint: form.typeHint },
    verify: { thresholds: form.thresholds },
    prices: { generatePer1k: form.pricePer1k, judgePer1k: form.judgePricePer1k },
  };
}

/** Why the form cannot start a run, or null. */
export function cotFormProblem(form: CotFormSettings): string | null {
  for (const [field, url] of [['endpoint', form.endpoint], ['judge URL', form.judgeUrl]] as const) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return `The ${field} must be an http(s) URL.`;
    } catch {
      return `The ${field} is not a URL: '${url}'.`;
    }
  }
  if (!form.model.trim()) return 'Name the generator model.';
  if (!form.judgeModel.trim()) return 'Name the judge model.';
  if (!(form.concurrency >= 1)) return 'Concurrency must be at least 1.';
  return null;
}

let controller: AbortController | null = null;

export const cotStore = createStore<CotState>()((set, get) => {
  const savedKeys = loadJson<CotState['keys']>(KEYS_KEY);

  const upsertManifest = (m: DatasetManifest) => {
    const list = datasetsStore.getState().datasets;
    const i = list.findIndex((d) => d.id === m.id);
    datasetsStore.setState({ datasets: i < 0 ? [...list, m] : list.map((d) => (d.id === m.id ? m : d)) });
  };

  const execute = async (target: DatasetManifest, info: CotRunInfo) => {
    if (get().run) return set({ error: 'A CoT run is already going: stop it first.' });
    if (datasetsStore.getState().job) return set({ error: 'An import is running: wait for it to finish.' });
    const problem = cotFormProblem(info.settings);
    if (problem) return set({ error: problem });
    const ctl = new AbortController();
    controller = ctl;
    const signal = ctl.signal;
    const db = await openDataDb();
    let journal: IdbJournal | null = null;
    const total = (target.progress.total ?? 0) - target.progress.cursor;
    try {
      journal = await IdbJournal.open();
      const reader = await DatasetReader.open(db, info.sourceId);
      const pipeline = createCotPipeline(cotSettingsOf(info.settings, get().keys), { journal, signal });
      set({ run: { targetId: target.id, sourceId: info.sourceId, total, state: 'running', progress: pipeline.tally.snapshot() }, error: null, last: null });
      const channel = new Channel<SourceEntry>();
      const encode = typeof OffscreenCanvas !== 'undefined' ? (frames: Parameters<typeof encodeRgbaFrames>[0]) => encodeRgbaFrames(frames) : undefined;
      const items = storedItems(samplesFrom(reader, target.progress.cursor), encode);
      let lastTick = 0;
      const writing = writeShards(db, target, channel, {
        shardSamples: 32,
        shardBytes: 4 << 20,
        signal,
        onProgress: (m) => upsertManifest(m),
      }).finally(() => {
        channel.close();
        ctl.abort(); // the writer stopped (done, cancelled or failed): the runner stops taking records
      });
      const running = runCot(
        items,
        pipeline,
        async (item, o) => {
          const frames = o.status === 'kept' ? await item.frames() : [];
          await channel.push(cotEntry(item.index, { record: item.record, frames }, o, info.sourceName));
          if (Date.now() - lastTick > 200 || pipeline.tally.records === total) {
            lastTick = Date.now();
            const run = get().run;
            if (run) set({ run: { ...run, progress: pipeline.tally.snapshot() } });
          }
        },
        { concurrency: info.settings.concurrency, signal },
      )
        .catch((e: unknown) => {
          ctl.abort();
          throw e;
        })
        .finally(() => channel.end());
      // Both settle before anything is reported: a runner failure (a journal that cannot be written)
      // cancels the writer first, so the dataset is never marked complete with records missing.
      const [written, ran] = await Promise.allSettled([writing, running]);
      if (ran.status === 'rejected') throw ran.reason;
      if (written.status === 'rejected') throw written.reason;
      const final = written.value;
      upsertManifest(final);
      set({ last: { targetId: target.id, progress: pipeline.tally.snapshot(), state: final.progress.state } });
    } catch (e) {
      const d = describeError(e);
      set({ error: `${d.message}${d.hint ? ` ${d.hint}` : ''}` });
      await listManifests(db)
        .then((ms) => datasetsStore.setState({ datasets: ms }))
        .catch(() => undefined);
    } finally {
      journal?.close();
      controller = null;
      set({ run: null });
      void datasetsStore.getState().refreshStorage();
    }
  };

  return {
    settings: { ...DEFAULT_COT_SETTINGS, ...(loadJson<Partial<CotFormSettings>>(SETTINGS_KEY) ?? {}) },
    keys: savedKeys ?? { generate: '', judge: '' },
    saveKeys: savedKeys !== null,
    sourceId: null,
    run: null,
    last: null,
    error: null,

    setSettings(patch) {
      const settings = { ...get().settings, ...patch };
      set({ settings });
      storage()?.setItem(SETTINGS_KEY, JSON.stringify(settings));
    },

    setKeys(patch) {
      const keys = { ...get().keys, ...patch };
      set({ keys });
      if (get().saveKeys) storage()?.setItem(KEYS_KEY, JSON.stringify(keys));
    },

    setSaveKeys(save) {
      set({ saveKeys: save });
      if (save) storage()?.setItem(KEYS_KEY, JSON.stringify(get().keys));
      else storage()?.removeItem(KEYS_KEY);
    },

    setSource(id) {
      set({ sourceId: id });
    },

    async start() {
      const source = datasetsStore.getState().datasets.find((d) => d.id === get().sourceId);
      if (!source) return set({ error: 'Pick a stored dataset to generate CoTs for.' });
      if (source.progress.state !== 'complete') return set({ error: `'${source.name}' is not completely imported yet.` });
      const settings = get().settings;
      const problem = cotFormProblem(settings);
      if (problem) return set({ error: problem });
      const info: CotRunInfo = { sourceId: source.id, sourceName: source.name, settings };
      const name = `${source.name} · CoT (${settings.model})`;
      const m = newManifest({ id: datasetId(`cot-${source.name}`), name, kind: 'videop2r', options: { cot: info, shardSamples: 32 }, total: source.counts.samples });
      upsertManifest(m);
      await execute(m, info);
    },

    async resume(targetId) {
      const m = datasetsStore.getState().datasets.find((d) => d.id === targetId);
      const info = m ? cotRunInfo(m) : null;
      if (!m || !info) return set({ error: `'${targetId}' is not a CoT dataset.` });
      if (!datasetsStore.getState().datasets.some((d) => d.id === info.sourceId)) return set({ error: `Its source dataset '${info.sourceName}' is no longer stored.` });
      await execute(m, info);
    },

    stop() {
      const run = get().run;
      if (!run) return;
      set({ run: { ...run, state: 'stopping' } });
      controller?.abort();
    },

    async exportJson(id) {
      const reader = await DatasetReader.open(await openDataDb(), id);
      async function* records() {
        for await (const s of reader.stream()) yield s.record;
      }
      const parts: string[] = [];
      for await (const part of videoP2RCotJson(records())) parts.push(part);
      return new Blob(parts, { type: 'application/json' });
    },

    dismissError() {
      set({ error: null });
    },
  };
});
