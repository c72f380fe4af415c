// Datasets slice of the app store: stored datasets (manifests), the running import or generation,
// the selected dataset's sample index, storage usage and persistence. Actions read state, call the
// pure data layer (src/data), and write the result. No React here (src/ui/common/hooks.ts binds it).

import { createStore } from 'zustand/vanilla';
import { PROBLEM_TYPES, type DatasetManifest, type ImportProgress } from '../data/types';
import { deleteDataset, listManifests, openDataDb, putManifest, requestPersistence, storageStatus, type DataDb, type StorageStatus } from '../data/db';
import { datasetId, newManifest } from '../data/manifest';
import { DEFAULT_WRITE, writeShards, type SourceEntry } from '../data/writer';
import { DatasetReader } from '../data/reader';
import { DEFAULT_SYNTHETIC, syntheticEntries, type SyntheticOptions } from '../data/synthetic';
import { describeFiles, fileEntries, kindOfFiles, type SourceFileLike } from '../data/importers';
import { DEFAULT_MEDIA, MediaFolder, encodeRgbaFrames, folderMediaLoader } from '../data/media';
import { dataError, describeError } from '../data/errors';

export const DEFAULT_DATASET_ID = 'synthetic-default';

/** The selected dataset's per-sample index, flattened for the list and its filters. */
export interface SampleIndex {
  datasetId: string;
  /** Shard count the index was built from (to know when it is stale). */
  shards: number;
  ids: string[];
  /** Index into PROBLEM_TYPES per sample. */
  types: Uint8Array;
  /** Index into sourceNames per sample. */
  sources: Uint16Array;
  sourceNames: string[];
  hasFrames: Uint8Array;
}

export interface ImportRequest {
  files: SourceFileLike[];
  name?: string;
  /** Files of the picked media folder (webkitdirectory); none for a text-only import. */
  mediaFiles?: File[];
  onMediaError?: 'skip' | 'keep';
  /** Frames per video (Video-R1: up to 16). */
  maxFrames?: number;
  shardSamples?: number;
}

export interface Job {
  datasetId: string;
  kind: 'synthetic' | 'import';
  progress: ImportProgress;
}

export interface DatasetsState {
  status: 'idle' | 'loading' | 'ready' | 'unavailable';
  datasets: DatasetManifest[];
  selectedId: string | null;
  index: SampleIndex | null;
  storage: StorageStatus;
  /** null: not asked yet; true/false: the browser's answer to navigator.storage.persist(). */
  persistGranted: boolean | null;
  job: Job | null;
  /** The progress of the last finished import, for its summary. */
  lastSummary: { datasetId: string; name: string; progress: ImportProgress } | null;
  error: { code: string; message: string; hint: string } | null;

  init(): Promise<void>;
  select(id: string): Promise<void>;
  importFiles(request: ImportRequest): Promise<void>;
  resumeImport(id: string, request: ImportRequest): Promise<void>;
  resumeSynthetic(id: string): Promise<void>;
  cancel(): void;
  remove(id: string): Promise<void>;
  requestPersist(): Promise<void>;
  refreshStorage(): Promise<void>;
  dismissError(): void;
  /** A reader on a stored dataset (cached per dataset and shard count). */
  reader(id: string): Promise<DatasetReader>;
}

/** URL knobs: ?importPace=ms slows commits (demos, the interruption test); ?syntheticVideos=N sizes the default dataset. */
function urlNumber(name: string): number | null {
  if (typeof location === 'undefined') return null;
  const v = new URLSearchParams(location.search).get(name);
  return v !== null && Number.isFinite(Number(v)) ? Number(v) : null;
}

let controller: AbortController | null = null;
const readers = new Map<string, { shards: number; reader: Promise<DatasetReader> }>();

async function buildIndex(db: DataDb, m: DatasetManifest): Promise<SampleIndex> {
  const reader = await DatasetReader.open(db, m.id);
  const shards = await reader.indexes();
  const n = reader.manifest.counts.samples;
  const index: SampleIndex = { datasetId: m.id, shards: reader.manifest.shards.length, ids: new Array(n), types: new Uint8Array(n), sources: new Uint16Array(n), sourceNames: [], hasFrames: new Uint8Array(n) };
  const names = new Map<string, number>();
  for (const ix of shards) {
    const first = reader.manifest.shards[ix.index]?.first;
    if (first === undefined) continue;
    const local = ix.sourceNames.map((s) => {
      let k = names.get(s);
      if (k === undefined) {
        k = index.sourceNames.length;
        names.set(s, k);
        index.sourceNames.push(s);
      }
      return k;
    });
    for (let k = 0; k < ix.ids.length; k++) {
      index.ids[first + k] = ix.ids[k];
      index.types[first + k] = Math.max(0, ix.types[k]);
      index.sources[first + k] = local[ix.sources[k]];
      index.hasFrames[first + k] = ix.hasFrames[k];
    }
  }
  return index;
}

export const datasetsStore = createStore<DatasetsState>()((set, get) => {
  const db = () => openDataDb();

  const upsert = (m: DatasetManifest) => {
    const list = get().datasets;
    const i = list.findIndex((d) => d.id === m.id);
    set({ datasets: i < 0 ? [...list, m] : list.map((d) => (d.id === m.id ? m : d)) });
  };

  const fail = (e: unknown) => set({ error: describeError(e) });

  /** Runs one write job (generation or import) to its end, keeping the UI's view of it current. */
  const run = async (kind: Job['kind'], manifest: DatasetManifest, entries: AsyncIterable<SourceEntry>, shardSamples?: number) => {
    if (get().job) throw dataError('StorageFailed', 'Another import is running: wait for it or cancel it first.');
    controller = new AbortController();
    set({ job: { datasetId: manifest.id, kind, progress: manifest.progress }, error: null });
    let lastIndex = 0;
    try {
      const final = await writeShards(await db(), manifest, entries, {
        ...DEFAULT_WRITE,
        shardSamples: shardSamples ?? DEFAULT_WRITE.shardSamples,
        signal: controller.signal,
        paceMs: urlNumber('importPace') ?? 0,
        onProgress: (m) => {
          upsert(m);
          set({ job: { datasetId: m.id, kind, progress: m.progress } });
          // Keep the list of the selected dataset filling in while it imports (at most every 1.5 s).
          if (get().selectedId === m.id && Date.now() - lastIndex > 1500) {
            lastIndex = Date.now();
            void get().select(m.id);
          }
        },
      });
      set({ lastSummary: { datasetId: final.id, name: final.name, progress: final.progress } });
      if (get().selectedId === final.id || !get().selectedId) await get().select(final.id);
    } catch (e) {
      fail(e);
      await listManifests(await db())
        .then((ms) => set({ datasets: ms }))
        .catch(() => undefined);
    } finally {
      controller = null;
      set({ job: null });
      void get().refreshStorage();
    }
  };

  const syntheticSource = (m: DatasetManifest) => {
    const opts = m.source.options as unknown as SyntheticOptions;
    const canEncode = typeof OffscreenCanvas !== 'undefined';
    return syntheticEntries(opts, m.progress.cursor, canEncode ? (frames) => encodeRgbaFrames(frames) : undefined);
  };

  const mediaOf = (m: DatasetManifest, request: ImportRequest) => {
    if (!request.mediaFiles || request.mediaFiles.length === 0) return {};
    const maxFrames = (m.source.options.maxFrames as number | undefined) ?? DEFAULT_MEDIA.sampling.maxFrames;
    return {
      media: folderMediaLoader(new MediaFolder(request.mediaFiles), { ...DEFAULT_MEDIA, sampling: { ...DEFAULT_MEDIA.sampling, maxFrames } }),
      onMediaError: (m.source.options.onMediaError as 'skip' | 'keep' | undefined) ?? 'skip',
    };
  };

  return {
    status: 'idle',
    datasets: [],
    selectedId: null,
    index: null,
    storage: { usage: null, quota: null, persisted: null },
    persistGranted: null,
    job: null,
    lastSummary: null,
    error: null,

    async init() {
      if (get().status !== 'idle') return;
      set({ status: 'loading' });
      let manifests: DatasetManifest[];
      try {
        manifests = await listManifests(await db());
      } catch (e) {
        set({ status: 'unavailable' });
        return fail(e);
      }
      set({ status: 'ready', datasets: manifests });
      void get().refreshStorage();
      const existing = manifests.find((m) => m.id === DEFAULT_DATASET_ID);
      const first = existing ?? manifests[0];
      if (first && first.counts.samples > 0) await get().select(first.id);
      else set({ selectedId: DEFAULT_DATASET_ID });
      // The built-in default dataset: generated on first load, resumed if a previous load was cut short.
      if (!existing) {
        const videos = urlNumber('syntheticVideos') ?? DEFAULT_SYNTHETIC.videos;
        const opts: SyntheticOptions = { ...DEFAULT_SYNTHETIC, videos };
        const m = newManifest({ id: DEFAULT_DATASET_ID, name: `Synthetic shapes (seed ${opts.seed}, ${opts.difficulty})`, kind: 'synthetic', options: { ...opts }, total: opts.videos * 5 });
        upsert(m);
        await run('synthetic', m, syntheticSource(m));
      } else if (existing.progress.state !== 'complete') {
        await get().resumeSynthetic(existing.id);
      }
    },

    async select(id) {
      set({ selectedId: id });
      try {
        const database = await db();
        const m = get().datasets.find((d) => d.id === id);
        if (!m) return;
        const index = await buildIndex(database, m);
        if (get().selectedId === id) set({ index });
      } catch (e) {
        fail(e);
      }
    },

    async importFiles(request) {
      if (request.files.length === 0) return;
      const files = describeFiles(request.files);
      const name = request.name?.trim() || files.map((f) => f.name).join(' + ');
      const m = newManifest({
        id: datasetId(name),
        name,
        kind: kindOfFiles(files),
        files,
        options: { onMediaError: request.onMediaError ?? 'skip', maxFrames: request.maxFrames ?? DEFAULT_MEDIA.sampling.maxFrames, shardSamples: request.shardSamples ?? DEFAULT_WRITE.shardSamples, media: (request.mediaFiles?.length ?? 0) > 0 },
      });
      upsert(m);
      set({ selectedId: m.id, index: null });
      await run('import', m, fileEntries(request.files, { ...mediaOf(m, request) }), request.shardSamples);
    },

    async resumeImport(id, request) {
      const m = get().datasets.find((d) => d.id === id);
      if (!m) return fail(dataError('DatasetNotFound', `Dataset '${id}' is not stored.`));
      const picked = describeFiles(request.files);
      const same = picked.length === m.source.files.length && picked.every((f, i) => f.name === m.source.files[i].name && f.size === m.source.files[i].size);
      if (!same) return fail(dataError('SourceMismatch', `Resume '${m.name}' with ${m.source.files.map((f) => `${f.name} (${f.size} bytes)`).join(', ')}; got ${picked.map((f) => `${f.name} (${f.size} bytes)`).join(', ') || 'no files'}.`));
      set({ selectedId: id });
      await run('import', m, fileEntries(request.files, { from: m.progress.cursor, ...mediaOf(m, request) }), m.source.options.shardSamples as number | undefined);
    },

    async resumeSynthetic(id) {
      const m = get().datasets.find((d) => d.id === id);
      if (!m || m.kind !== 'synthetic') return;
      await run('synthetic', m, syntheticSource(m));
    },

    cancel() {
      controller?.abort();
    },

    async remove(id) {
      if (get().job?.datasetId === id) return fail(dataError('StorageFailed', 'Cancel the running import before deleting its dataset.'));
      try {
        await deleteDataset(await db(), id);
        readers.delete(id);
        const datasets = get().datasets.filter((d) => d.id !== id);
        set({ datasets, ...(get().selectedId === id ? { selectedId: null, index: null } : {}) });
        if (get().selectedId === null && datasets[0]) await get().select(datasets[0].id);
        void get().refreshStorage();
      } catch (e) {
        fail(e);
      }
    },

    async requestPersist() {
      const granted = await requestPersistence();
      set({ persistGranted: granted ?? false });
      await get().refreshStorage();
    },

    async refreshStorage() {
      set({ storage: await storageStatus().catch(() => get().storage) });
    },

    dismissError() {
      set({ error: null });
    },

    async reader(id) {
      const m = get().datasets.find((d) => d.id === id);
      const shards = m?.shards.length ?? -1;
      const cached = readers.get(id);
      if (cached && cached.shards === shards) return cached.reader;
      const reader = db().then((d) => DatasetReader.open(d, id));
      readers.set(id, { shards, reader });
      return reader;
    },
  };
});

/** Re-export for views: PROBLEM_TYPES index ↔ name. */
export { PROBLEM_TYPES };

/** Test and benchmark hook: the page exposes the store so e2e tests can check storage directly. */
export function exposeForTests(): void {
  (globalThis as { __p2rDatasets?: unknown }).__p2rDatasets = {
    store: datasetsStore,
    async allIds(id: string): Promise<string[]> {
      const reader = await DatasetReader.open(await openDataDb(), id);
      const ids: string[] = [];
      for await (const s of reader.stream()) ids.push(String(s.record.problem_id));
      return ids;
    },
    putManifest: async (m: DatasetManifest) => putManifest(await openDataDb(), m),
    /** The storage benchmark (bench/datasets.ts), loaded only when called. */
    bench: async (options: object) => (await import('../data/bench_storage')).runStorageBench(options),
  };
}
