// Rollouts slice of the app store: runs in IndexedDB, the open run's index, loaded groups and the
// filter result. No React here (src/ui/common/hooks.ts binds it). Each action reads state, calls a pure
// function or the rollout database, and writes the result. The position (run, step, group, sample)
// lives in the URL hash, not here, so a link reopens a view.

import { createStore } from 'zustand/vanilla';
import { importFiles, ImportError, type InputFile } from '../rollouts/importers';
import { compileFilter, filterPositions, FilterSyntaxError, packHits, unpackHits, type FilterHit, type FilterSpec } from '../rollouts/filter';
import { hash53, slug, type QuadrantRule, type Rollout } from '../rollouts/record';
import * as rdb from '../rollouts/rollout_db';
import { rescoreRun as rescoreRunRollouts } from '../rollouts/rescore_group';
// Warnings a recompute answers: they go from the run's list once its process rewards are known.
import { MISSING_REWARDS } from '../rollouts/summary';
import { createJudge, type HttpJudgeOptions, type JudgeSpec } from '../rewards/judge';
import type { RunIndex, RunMeta } from '../rollouts/rollout_db';
import type { FilterRequest, FilterResponse } from '../rollouts/filter_worker';

export interface ImportStatus {
  state: 'idle' | 'reading' | 'parsing' | 'saving' | 'done' | 'error';
  message: string;
  runId?: string;
  warnings?: string[];
}

export interface FilterState extends FilterSpec {
  /** null = no filter active. */
  hits: FilterHit[] | null;
  running: boolean;
  error: string | null;
  /** From the request to the hits in the page. */
  ms: number | null;
  /** The worker's own part of `ms` (evaluating the expression over the run). */
  workerMs?: number | null;
}

export interface RolloutsState {
  runs: RunMeta[];
  runsLoaded: boolean;
  error: { code: string; message: string; hint: string } | null;
  importStatus: ImportStatus;
  /** The open run: its metadata and group index. */
  run: { meta: RunMeta; index: RunIndex } | null;
  runMissing: string | null;
  /** Loaded groups, keyed `${step}|${groupId}` (of the open run). */
  groups: Record<string, Rollout[]>;
  filter: FilterState;
  /** Re-scoring the open run with the rewards module (its per-process rewards were missing). */
  rescore: RescoreStatus | null;

  refreshRuns(): Promise<void>;
  importFiles(files: readonly { name: string; bytes: Uint8Array }[], name?: string): Promise<string | null>;
  deleteRun(runId: string): Promise<void>;
  /** Renames a run; its id and links stay. */
  renameRun(runId: string, name: string): Promise<void>;
  openRun(runId: string): Promise<void>;
  loadGroup(step: number, groupId: string): Promise<Rollout[]>;
  /** Replaces a loaded group (after re-scoring) and writes it to IndexedDB, so the change survives a reload. */
  saveGroup(step: number, groupId: string, rollouts: Rollout[]): Promise<void>;
  setFilter(spec: Partial<FilterSpec>): void;
  runFilter(): Promise<void>;
  clearFilter(): void;
  /** Sets the open run's quadrant rule (a threshold changed on the dashboard), recounts its quadrants, reruns the filter. */
  setQuadrantRule(rule: QuadrantRule): Promise<void>;
  /**
   * Recomputes the open run's per-process rewards and advantages with the rewards module (PA-GRPO) and
   * the judge given (rules, field:NAME or http), and stores them; the trainer's values stay in `extra`.
   */
  rescoreRun(judge: JudgeSpec, http?: HttpJudgeOptions): Promise<void>;
}

export interface RescoreStatus {
  runId: string;
  state: 'running' | 'done' | 'error';
  done: number;
  total: number;
  message: string;
}

const EMPTY_FILTER: FilterState = { expr: '', search: '', quadrants: [], hits: null, running: false, error: null, ms: null };

function describe(e: unknown): RolloutsState['error'] {
  if (e instanceof ImportError || e instanceof rdb.RolloutDbError) return { code: e instanceof ImportError ? e.code : e.code, message: e.message, hint: e.hint };
  return { code: 'Unexpected', message: (e as Error)?.message ?? String(e), hint: 'see the console for details' };
}

export const groupKey = (step: number, groupId: string) => `${step}|${groupId}`;

// ---- the filter worker (module scope: one per page) ---------------------------------------------------

let worker: Worker | null = null;
let workerRun: string | null = null;
let nextId = 1;
const pending = new Map<number, (r: FilterResponse) => void>();

function filterInWorker(runId: string, spec: FilterSpec): Promise<FilterResponse> {
  if (typeof Worker === 'undefined') return Promise.reject(new Error('no Worker'));
  if (!worker || workerRun !== runId) {
    worker?.terminate();
    worker = new Worker(new URL('../rollouts/filter_worker.ts', import.meta.url), { type: 'module' });
    workerRun = runId;
    worker.onmessage = (e: MessageEvent<FilterResponse>) => {
      pending.get(e.data.id)?.(e.data);
      pending.delete(e.data.id);
    };
  }
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker!.postMessage({ id, runId, expr: spec.expr, search: spec.search, quadrants: [...spec.quadrants], rule: spec.rule } satisfies FilterRequest);
  });
}

// Group reads in flight: a prefetch and a key press asking for the same group share one read (and one store update).
const inFlight = new Map<string, Promise<Rollout[]>>();

function resetWorker() {
  worker?.terminate();
  worker = null;
  workerRun = null;
}

export const rolloutsStore = createStore<RolloutsState>()((set, get) => ({
  runs: [],
  runsLoaded: false,
  error: null,
  importStatus: { state: 'idle', message: '' },
  run: null,
  runMissing: null,
  groups: {},
  filter: EMPTY_FILTER,
  rescore: null,

  async refreshRuns() {
    try {
      set({ runs: await rdb.listRuns(), runsLoaded: true });
    } catch (e) {
      set({ error: describe(e), runsLoaded: true });
    }
  },

  async importFiles(files, name) {
    const label = name ?? (files.length === 1 ? files[0].name : `${files[0]?.name ?? 'run'} +${files.length - 1}`);
    const runId = `${slug(label.replace(/\.(jsonl|json|parquet|eval)$/i, ''))}-${hash53(files.map((f) => `${f.name}:${f.bytes.length}`).join('|')).slice(0, 6)}`;
    set({ importStatus: { state: 'parsing', message: `parsing ${files.length} file(s)…`, runId }, error: null });
    try {
      const res = await importFiles(files as InputFile[], { runId });
      set({ importStatus: { state: 'saving', message: `saving ${res.rollouts.length} rollouts…`, runId } });
      await rdb.saveRun(
        { runId, name: label, format: res.format, files: files.map((f) => f.name), warnings: res.warnings, columns: res.columns, rollouts: res.rollouts },
        (done, total) => set({ importStatus: { state: 'saving', message: `saving ${done}/${total} rollouts…`, runId } }),
      );
      if (workerRun === runId) resetWorker();
      set({ importStatus: { state: 'done', message: `imported ${res.rollouts.length} rollouts (${res.format})`, runId, warnings: res.warnings } });
      await get().refreshRuns();
      return runId;
    } catch (e) {
      const err = describe(e);
      set({ importStatus: { state: 'error', message: `${err!.message} — ${err!.hint}`, runId }, error: err });
      return null;
    }
  },

  async deleteRun(runId) {
    await rdb.deleteRun(runId);
    if (get().run?.meta.runId === runId) set({ run: null, groups: {} });
    await get().refreshRuns();
  },

  async renameRun(runId, name) {
    try {
      const meta = await rdb.renameRun(runId, name);
      const run = get().run;
      if (run?.meta.runId === runId) set({ run: { ...run, meta } });
      await get().refreshRuns();
    } catch (e) {
      set({ error: describe(e) });
    }
  },

  async openRun(runId) {
    if (get().run?.meta.runId === runId) return;
    try {
      const run = await rdb.getRun(runId);
      set({ run, runMissing: run ? null : runId, groups: {}, filter: EMPTY_FILTER });
      // Warm the filter worker: it reads the whole run from IndexedDB once, in the background.
      if (run) filterInWorker(runId, { expr: 'false', search: '', quadrants: [] }).catch(() => {});
    } catch (e) {
      set({ error: describe(e) });
    }
  },

  async loadGroup(step, groupId) {
    const run = get().run;
    if (!run) return [];
    const key = groupKey(step, groupId);
    const have = get().groups[key];
    if (have) return have;
    const flightKey = `${run.meta.runId}|${key}`;
    const pendingRead = inFlight.get(flightKey);
    if (pendingRead) return pendingRead;
    const read = rdb.getGroup(run.meta.runId, step, groupId).then((rollouts) => {
      inFlight.delete(flightKey);
      if (get().run?.meta.runId !== run.meta.runId) return rollouts;
      // Keep a small cache: the neighbours j/k/[/]/h/l reach are loaded ahead by the view.
      const groups = { ...get().groups, [key]: rollouts };
      const keys = Object.keys(groups);
      if (keys.length > 64) for (const k of keys.slice(0, keys.length - 64)) delete groups[k];
      set({ groups });
      return rollouts;
    }, (e) => {
      inFlight.delete(flightKey);
      throw e;
    });
    inFlight.set(flightKey, read);
    return read;
  },

  async saveGroup(step, groupId, rollouts) {
    const key = groupKey(step, groupId);
    set({ groups: { ...get().groups, [key]: rollouts } });
    await rdb.putRollouts(rollouts);
    // The filter worker caches the run's rollouts: the next filter must read the new values.
    if (workerRun === get().run?.meta.runId) resetWorker();
  },

  setFilter(spec) {
    const filter = { ...get().filter, ...spec };
    let error: string | null = null;
    try {
      compileFilter(filter.expr);
    } catch (e) {
      error = e instanceof FilterSyntaxError ? `${e.message} at ${e.position}` : (e as Error).message;
    }
    set({ filter: { ...filter, error } });
  },

  async runFilter() {
    const run = get().run;
    const f = get().filter;
    if (!run || f.error) return;
    if (!f.expr.trim() && !f.search && f.quadrants.length === 0) {
      set({ filter: { ...f, hits: null, ms: null } });
      return;
    }
    set({ filter: { ...f, running: true } });
    const t0 = performance.now();
    let res: FilterResponse;
    try {
      res = await filterInWorker(run.meta.runId, { ...f, rule: rdb.runQuadrantRule(run.meta) });
    } catch {
      // No worker (tests, old browsers): filter on the main thread.
      try {
        const rollouts = await rdb.getRunRollouts(run.meta.runId); // in hit order (step, group, sample)
        res = { id: 0, hits: packHits(rollouts, filterPositions(rollouts, { ...f, rule: rdb.runQuadrantRule(run.meta) })), ms: performance.now() - t0 };
      } catch (e) {
        res = { id: 0, error: (e as Error).message };
      }
    }
    const now = get().filter;
    if (now.expr !== f.expr || now.search !== f.search || now.quadrants !== f.quadrants) return; // superseded
    if ('error' in res) set({ filter: { ...now, running: false, error: res.error } });
    else {
      const hits: FilterHit[] = unpackHits(res.hits);
      set({ filter: { ...now, running: false, hits, ms: performance.now() - t0, workerMs: res.ms } });
    }
  },

  clearFilter() {
    set({ filter: EMPTY_FILTER });
  },

  async setQuadrantRule(rule) {
    const run = get().run;
    if (!run) return;
    try {
      const meta = await rdb.setRunQuadrantRule(run.meta.runId, rule);
      if (get().run?.meta.runId !== meta.runId) return;
      set({ run: { ...get().run!, meta }, runs: get().runs.map((m) => (m.runId === meta.runId ? meta : m)) });
      const f = get().filter;
      if (f.quadrants.length || /\bquadrant\b/.test(f.expr)) await get().runFilter();
    } catch (e) {
      set({ error: describe(e) });
    }
  },

  async rescoreRun(spec, http) {
    const run = get().run;
    if (!run || get().rescore?.state === 'running') return;
    const runId = run.meta.runId;
    const status = (s: Omit<RescoreStatus, 'runId'>) => set({ rescore: { runId, ...s } });
    status({ state: 'running', done: 0, total: run.meta.groups, message: 'reading the run…' });
    try {
      const judge = createJudge(spec, http ? { http } : {});
      const rollouts = await rdb.getRunRollouts(runId);
      const scored = await rescoreRunRollouts(rollouts, {
        judge,
        concurrency: spec === 'http' ? 4 : 8,
        onProgress: (done, total) => status({ state: 'running', done, total, message: `re-scoring: ${done} / ${total} groups` }),
      });
      const s = judge.stats;
      const note =
        `per-process rewards recomputed with the rewards module (PA-GRPO, judge ${judge.name}, whitespace token counts) on ${new Date().toLocaleString()}: ` +
        `${s.calls} judge calls, ${s.failures} failed (a failed verdict counts as insufficient); the trainer's values are kept in each rollout's extra columns`;
      const meta = await rdb.replaceRunRollouts(runId, scored, [...run.meta.warnings.filter((w) => !MISSING_REWARDS.test(w)), note]);
      if (workerRun === runId) resetWorker();
      if (get().run?.meta.runId === runId) set({ run: { ...get().run!, meta }, groups: {} });
      set({ runs: get().runs.map((m) => (m.runId === runId ? meta : m)) });
      status({ state: 'done', done: scored.length, total: scored.length, message: note });
    } catch (e) {
      const err = describe(e);
      status({ state: 'error', done: 0, total: 0, message: `re-scoring failed, the run is unchanged: ${err!.message} — ${err!.hint}` });
    }
  },
}));
