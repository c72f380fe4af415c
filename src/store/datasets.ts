// Datasets slice of the app store: stored datasets (manifests), the running import or generation,
// the selected dataset's sample index, storage usage and persistence. Actions read state, call the
// pure data layer (src/data), and write the result. No React here (src/ui/common/hooks.ts binds it).

import { createStore } from 'zustand/vanilla';
import { PROBLEM_TYPES, type DatasetManifest, type ImportIssue, type ImportProgress } from '../data/types';
import { deleteDataset, listManifests, openDataDb, putManifest, requestPersistence, storageStatus, type DataDb, type StorageStatus } from '../data/db';
import { datasetId, newManifest } from '../data/manifest';
import { DEFAULT_WRITE, writeShards, type SourceEntry } from '../data/writer';
import { DatasetReader } from '../data/reader';
import { DEFAULT_SYNTHETIC, syntheticEntries, type SyntheticOptions } from '../data/synthetic';
import { describeFiles, fileEntries, kindOfFiles, type SourceFileLike } from '../data/importers';
import { DEFAULT_MEDIA, MediaFolder, encodeRgbaFrames, folderMediaLoader } from '../data/media';
import { dataError, describeError } from '../data/errors';
import { contentHash } from '../data/hash';
import { issueReportLines, readIssues } from '../data/issues';

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

/** A picked source whose content is already stored as a complete dataset: the page asks what to do. */
export interface DuplicateImport {
  existing: { id: string; name: string; samples: number };
  request: ImportRequest;
  contentHash: string;
}

export type DuplicateChoice = 'open' | 'replace' | 'copy' | 'cancel';

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
  /** The progress of the last finished import, for its summary (cleared when the next one starts). */
  lastSummary: { datasetId: string; name: string; progress: ImportProgress } | null;
  /** True while the picked files are hashed to look for an earlier import of the same content. */
  checking: boolean;
  /** Bytes hashed so far of `total` while checking (a multi-GB release takes seconds). */
  checkProgress: { done: number; total: number } | null;
  /** Set when the picked files are already stored: resolveDuplicate() says what to do. */
  duplicate: DuplicateImport | null;
  error: { code: string; message: string; hint: string } | null;

  init(): Promise<void>;
  select(id: string): Promise<void>;
  /** Imports files; the same content already stored as a complete dataset sets `duplicate` instead, an interrupted one resumes. */
  importFiles(request: ImportRequest): Promise<void>;
  /** Open the existing dataset, replace it (once the new import completes), import a copy under `name`, or do nothing. */
  resolveDuplicate(choice: DuplicateChoice, name?: string): Promise<void>;
  /** A page of a dataset's stored import issues, optionally of one code. */
  issues(id: string, opts?: { code?: string; offset?: number; limit?: number }): Promise<ImportIssue[]>;
  /** Every import issue of a dataset as a JSON Lines blob (file, line, id, field, code, message, action). */
  issueReport(id: string): Promise<Blob>;
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
  const run = async (kind: Job['kind'], manifest: DatasetManifest, entries: AsyncIterable<SourceEntry>, shardSamples?: number, onComplete?: (m: DatasetManifest) => Promise<void>) => {
    if (get().job) throw dataError('StorageFailed', 'Another import is running: wait for it or cancel it first.');
    controller = new AbortController();
    // The previous job's summary goes now: the page must not show its figures during this job.
    set({ job: { datasetId: manifest.id, kind, progress: manifest.progress }, error: null, lastSummary: null });
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
      if (final.progress.state === 'complete' && onComplete) await onComplete(final);
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

  /** A new dataset for `request`, its content hash recorded, imported from the first record. */
  const startImport = async (request: ImportRequest, hash: string, onComplete?: (m: DatasetManifest) => Promise<void>) => {
    const files = describeFiles(request.files);
    const name = request.name?.trim() || files.map((f) => f.name).join(' + ');
    const m = newManifest({
      id: datasetId(name),
      name,
      kind: kindOfFiles(files),
      files,
      options: { onMediaError: request.onMediaError ?? 'skip', maxFrames: request.maxFrames ?? DEFAULT_MEDIA.sampling.maxFrames, shardSamples: request.shardSamples ?? DEFAULT_WRITE.shardSamples, media: (request.mediaFiles?.length ?? 0) > 0 },
    });
    m.source.contentHash = hash;
    upsert(m);
    set({ selectedId: m.id, index: null });
    await run('import', m, fileEntries(request.files, { ...mediaOf(m, request) }), request.shardSamples, onComplete);
  };

  /**
   * Continues `m` from its cursor with the picked files: the same files by name and size, or (for
   * datasets whose content hash is known) the same content under any name.
   */
  const resume = async (m: DatasetManifest, request: ImportRequest, knownHash?: string) => {
    const picked = describeFiles(request.files);
    const sameNames = picked.length === m.source.files.length && picked.every((f, i) => f.name === m.source.files[i].name && f.size === m.source.files[i].size);
    let same = sameNames;
    if (m.source.contentHash) {
      try {
        same = (knownHash ?? (await contentHash(request.files))) === m.source.contentHash;
      } catch (e) {
        return fail(e);
      }
    }
    if (!same) return fail(dataError('SourceMismatch', `Resume '${m.name}' with ${m.source.files.map((f) => `${f.name} (${f.size} bytes)`).join(', ')}; got ${picked.map((f) => `${f.name} (${f.size} bytes)`).join(', ') || 'no files'}${sameNames ? ' (same names and sizes, different content)' : ''}.`));
    set({ selectedId: m.id });
    await run('import', m, fileEntries(request.files, { from: m.progress.cursor, ...mediaOf(m, request) }), m.source.options.shardSamples as number | undefined);
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
    checking: false,
    checkProgress: null,
    duplicate: null,
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
      if (get().job || get().checking) return fail(dataError('StorageFailed', 'Another import is running: wait for it or cancel it first.'));
      const total = request.files.reduce((n, f) => n + f.size, 0);
      set({ checking: true, checkProgress: { done: 0, total }, lastSummary: null, duplicate: null, error: null });
      let hash: string;
      let done = 0;
      let shown = 0;
      try {
        hash = await contentHash(request.files, (n) => {
          done += n;
          if (done - shown >= 16 << 20) set({ checkProgress: { done: (shown = done), total } });
        });
      } catch (e) {
        return fail(e);
      } finally {
        set({ checking: false, checkProgress: null });
      }
      const same = get().datasets.filter((d) => d.kind !== 'synthetic' && d.source.contentHash === hash);
      // An interrupted import of this content picks up where it stopped, whatever the files are called now.
      const interrupted = same.find((d) => d.progress.state !== 'complete');
      if (interrupted) return resume(interrupted, request, hash);
      const existing = same[0];
      if (existing) {
        set({ duplicate: { existing: { id: existing.id, name: existing.name, samples: existing.counts.samples }, request, contentHash: hash } });
        return;
      }
      await startImport(request, hash);
    },

    async resolveDuplicate(choice, name) {
      const d = get().duplicate;
      if (!d) return;
      set({ duplicate: null });
      if (choice === 'cancel') return;
      if (choice === 'open') return get().select(d.existing.id);
      if (choice === 'copy') {
        return startImport({ ...d.request, name: name?.trim() || `${d.existing.name} (copy)` }, d.contentHash);
      }
      // Replace: the old dataset goes only once the new import is complete, so a failed or
      // cancelled replacement loses nothing.
      await startImport(d.request, d.contentHash, async () => {
        if (get().datasets.some((m) => m.id === d.existing.id)) await get().remove(d.existing.id);
      });
    },

    async resumeImport(id, request) {
      const m = get().datasets.find((d) => d.id === id);
      if (!m) return fail(dataError('DatasetNotFound', `Dataset '${id}' is not stored.`));
      return resume(m, request);
    },

    async issues(id, opts = {}) {
      return readIssues(await db(), id, opts);
    },

    async issueReport(id) {
      const database = await db();
      const m = get().datasets.find((d) => d.id === id);
      if (!m) throw dataError('DatasetNotFound', `Dataset '${id}' is not stored.`);
      const lines: string[] = [];
      for await (const line of issueReportLines(database, m)) lines.push(line + '\n');
      return new Blob(lines, { type: 'application/x-ndjson' });
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
    /** The import benchmark (bench/dataset_import.ts): the store's import of a noisy 100k-record file. */
    benchImport: async (options: import('../data/bench_import').ImportBenchOptions) => (await import('../data/bench_import')).runImportBench(datasetsStore, options),
  };
}
