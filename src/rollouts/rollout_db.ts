// The one module through which rollout storage goes: its own IndexedDB database ('p2r-rollouts'), one
// typed idb schema with an upgrade ladder. Stores: runs (metadata + per-step chart rows), indexes (the
// group ids of every step, so navigation never scans rollouts) and groups (one record per GRPO group:
// its rollouts, keyed [runId, step, groupId], so a run, a step or a group is one key range). A quota
// error leaves as a RolloutDbError with code 'QuotaExceeded'.
//
// Version 1 stored one record per rollout with three indexes: importing 100k rollouts made 100k put
// requests and 400k B-tree writes, most of a 20 s import (issue 11, Speed). One record per group
// makes 8x fewer requests and no index writes; version 2 moves version 1's rollouts over on open.

import { openDB, unwrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { summarizeSteps, type StepSummary } from './group';
import { mergeQuadrantRules, promptPreview, quadrantRule, type QuadrantRule, type Rollout, type SourceFormat } from './record';

export const ROLLOUT_DB_NAME = 'p2r-rollouts';
const DB_VERSION = 2;

export interface RunMeta {
  runId: string;
  name: string;
  format: SourceFormat;
  files: string[];
  createdAt: number;
  rollouts: number;
  groups: number;
  steps: number[];
  splits: string[];
  warnings: string[];
  columns: string[];
  /** Chart rows of the run dashboard, computed once at import (quadrants by `quadrantRule`). */
  stepSummaries: StepSummary[];
  /** How rollouts are split into quadrants (issue 11); absent in runs stored before it: derive with `runQuadrantRule`. */
  quadrantRule?: QuadrantRule;
  /** Set when the user renamed the run: a training run's later steps keep that name. */
  renamed?: boolean;
}

/** The run's quadrant rule; runs stored before the rule was kept get the accuracy rule. */
export function runQuadrantRule(meta: Pick<RunMeta, 'quadrantRule'> | null | undefined): QuadrantRule {
  return meta?.quadrantRule ?? { perception: { by: 'accuracy', threshold: 0.5 }, reasoning: { by: 'accuracy', threshold: 0.5 } };
}

/** Group ids per step, in display order: what [ ] and h/l navigate over. */
export interface RunIndex {
  runId: string;
  /** `preview`: the prompt's first words (promptPreview); absent in runs stored before it. */
  steps: { step: number; groups: { groupId: string; size: number; preview?: string }[] }[];
}

/** One GRPO group of one step: its rollouts by sample index. */
export interface StoredGroup {
  runId: string;
  step: number;
  groupId: string;
  rollouts: Rollout[];
}

type GroupKey = [string, number, string];

export interface RolloutSchema extends DBSchema {
  runs: { key: string; value: RunMeta };
  indexes: { key: string; value: RunIndex };
  /** Version 1 only (one record per rollout); moved into `groups` by the version 2 upgrade. */
  rollouts: {
    key: string;
    value: Rollout;
    indexes: { 'by-run': string; 'by-run-step': [string, number]; 'by-group': [string, number, string] };
  };
  groups: { key: GroupKey; value: StoredGroup };
}

// Key ranges over [runId, step, groupId]: an array key sorts after every number, so [runId, []] bounds a run.
const runRange = (runId: string) => IDBKeyRange.bound([runId], [runId, []]);
const stepRange = (runId: string, step: number) => IDBKeyRange.bound([runId, step], [runId, step, []]);

/** Rollouts grouped into records, each group's rollouts by sample index; groups in (step, groupId) order. */
export function toGroups(rollouts: readonly Rollout[]): StoredGroup[] {
  const byKey = new Map<string, StoredGroup>();
  for (const r of rollouts) {
    const k = `${r.runId}\u0000${r.step}\u0000${r.groupId}`;
    let g = byKey.get(k);
    if (!g) byKey.set(k, (g = { runId: r.runId, step: r.step, groupId: r.groupId, rollouts: [] }));
    g.rollouts.push(r);
  }
  const out = [...byKey.values()];
  for (const g of out) g.rollouts.sort((a, b) => a.sampleIdx - b.sampleIdx);
  return out.sort((a, b) => a.step - b.step || (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

/** `old`'s rollouts with `updates` replacing those of the same sample index (a re-score, a resumed step). */
function mergeGroup(old: StoredGroup | undefined, update: StoredGroup): StoredGroup {
  if (!old) return update;
  const bySample = new Map(old.rollouts.map((r) => [r.sampleIdx, r]));
  for (const r of update.rollouts) bySample.set(r.sampleIdx, r);
  return { ...update, rollouts: [...bySample.values()].sort((a, b) => a.sampleIdx - b.sampleIdx) };
}

const flatten = (groups: readonly StoredGroup[]): Rollout[] => groups.flatMap((g) => g.rollouts);

export class RolloutDbError extends Error {
  constructor(
    readonly code: 'QuotaExceeded' | 'Unavailable' | 'NotFound' | 'WriteFailed',
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'RolloutDbError';
  }
}

function wrap(e: unknown, what: string): RolloutDbError {
  if (e instanceof RolloutDbError) return e;
  const name = (e as { name?: string })?.name ?? '';
  const msg = (e as Error)?.message ?? String(e);
  if (name === 'QuotaExceededError') return new RolloutDbError('QuotaExceeded', `storage quota exceeded while ${what}: ${msg}`, 'delete old runs, or import fewer steps at once');
  return new RolloutDbError('WriteFailed', `IndexedDB failed while ${what}: ${msg}`, 'private browsing can disable IndexedDB; try a normal window');
}

/**
 * Aborts a transaction after a put threw synchronously (a quota or clone error): without it, the puts
 * made before the throw would still commit.
 */
function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // already finished or aborted
  }
}

/** A request whose outcome the transaction reports (tx.done): an aborted one must not go unhandled. */
const quiet = (request: Promise<unknown>) => void request.catch(() => undefined);

let dbPromise: Promise<IDBPDatabase<RolloutSchema>> | null = null;

export function openRolloutDb(name = ROLLOUT_DB_NAME): Promise<IDBPDatabase<RolloutSchema>> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new RolloutDbError('Unavailable', 'IndexedDB is not available', 'use a browser with IndexedDB'));
  dbPromise ??= openDB<RolloutSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, transaction) {
      if (oldVersion < 1) {
        db.createObjectStore('runs', { keyPath: 'runId' });
        db.createObjectStore('indexes', { keyPath: 'runId' });
        const rollouts = db.createObjectStore('rollouts', { keyPath: 'id' });
        rollouts.createIndex('by-run', 'runId');
        rollouts.createIndex('by-run-step', ['runId', 'step']);
        rollouts.createIndex('by-group', ['runId', 'step', 'groupId']);
      }
      if (oldVersion < 2) {
        db.createObjectStore('groups', { keyPath: ['runId', 'step', 'groupId'] });
        // The open resolves only once this (versionchange) transaction has committed.
        void moveRolloutsIntoGroups(db, transaction);
      }
      // Future versions: if (oldVersion < 3) { … } — never edit a step above.
    },
  }).catch((e) => {
    dbPromise = null;
    throw wrap(e, 'opening the rollout database');
  });
  return dbPromise;
}

/**
 * The version 2 upgrade: walks version 1's rollouts in (run, step, group) order, writes one record per
 * group, then drops the old store. Inside the upgrade transaction: if anything fails, the upgrade
 * aborts and version 1 stays as it was.
 */
async function moveRolloutsIntoGroups(
  db: IDBPDatabase<RolloutSchema>,
  tx: IDBPTransaction<RolloutSchema, StoreNames<RolloutSchema>[], 'versionchange'>,
): Promise<void> {
  const groups = tx.objectStore('groups');
  let cursor = await tx.objectStore('rollouts').index('by-group').openCursor();
  let current: StoredGroup | null = null;
  while (cursor) {
    const r = cursor.value;
    if (!current || current.runId !== r.runId || current.step !== r.step || current.groupId !== r.groupId) {
      if (current) void groups.put(toGroups(current.rollouts)[0]);
      current = { runId: r.runId, step: r.step, groupId: r.groupId, rollouts: [] };
    }
    current.rollouts.push(r);
    cursor = await cursor.continue();
  }
  if (current) void groups.put(toGroups(current.rollouts)[0]);
  db.deleteObjectStore('rollouts');
}

/** For tests: forget the open connection (fake-indexeddb is reset between files). */
export async function closeRolloutDb(): Promise<void> {
  const db = await dbPromise?.catch(() => null);
  db?.close();
  dbPromise = null;
}

export function buildIndex(runId: string, rollouts: readonly Rollout[]): RunIndex {
  const steps = new Map<number, Map<string, { size: number; prompt: string }>>();
  for (const r of rollouts) {
    let s = steps.get(r.step);
    if (!s) steps.set(r.step, (s = new Map()));
    const g = s.get(r.groupId);
    if (g) g.size++;
    else s.set(r.groupId, { size: 1, prompt: r.prompt });
  }
  const previews = new Map<string, string>(); // one per prompt text: a group's prompt repeats at every step
  const preview = (prompt: string) => {
    let p = previews.get(prompt);
    if (p === undefined) previews.set(prompt, (p = promptPreview(prompt)));
    return p;
  };
  return {
    runId,
    steps: [...steps.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([step, groups]) => ({ step, groups: [...groups.entries()].map(([groupId, g]) => ({ groupId, size: g.size, preview: preview(g.prompt) })) })),
  };
}

export interface SaveRunInput {
  runId: string;
  name: string;
  format: SourceFormat;
  files: string[];
  warnings: string[];
  columns: string[];
  rollouts: readonly Rollout[];
}

/** Writes a run (replacing one of the same id) in chunks of transactions; returns its metadata. */
export async function saveRun(input: SaveRunInput, onProgress?: (done: number, total: number) => void): Promise<RunMeta> {
  const db = await openRolloutDb();
  await deleteRun(input.runId);
  const index = buildIndex(input.runId, input.rollouts);
  const rule = quadrantRule(input.rollouts);
  const meta: RunMeta = {
    runId: input.runId,
    name: input.name,
    format: input.format,
    files: input.files,
    createdAt: Date.now(),
    rollouts: input.rollouts.length,
    groups: index.steps.reduce((n, s) => n + s.groups.length, 0),
    steps: index.steps.map((s) => s.step),
    splits: [...new Set(input.rollouts.map((r) => r.split))],
    warnings: input.warnings,
    columns: input.columns,
    stepSummaries: summarizeSteps(input.rollouts, rule),
    quadrantRule: rule,
  };
  const groups = toGroups(input.rollouts);
  const CHUNK = 1000; // groups per transaction: progress, and bounded memory in the IndexedDB backend
  try {
    let done = 0;
    // Two transactions in flight: the page clones the next chunk while the backend commits this one.
    let previous: Promise<void> | null = null;
    for (let i = 0; i < groups.length; i += CHUNK) {
      const tx = db.transaction('groups', 'readwrite', { durability: 'relaxed' });
      tx.done.catch(() => undefined); // reported once, through the catch below
      try {
        // Raw requests: idb's wrapper makes a promise and two listeners per put and runs a success
        // callback for each (~0.9 s of a 100k-rollout import). A failed put aborts the transaction,
        // which tx.done reports.
        const store = unwrap(tx.store);
        for (const g of groups.slice(i, i + CHUNK)) {
          store.put(g);
          done += g.rollouts.length;
        }
      } catch (e) {
        abortQuietly(tx);
        throw e;
      }
      const upTo = done;
      const committed = tx.done.then(() => onProgress?.(upTo, input.rollouts.length));
      committed.catch(() => undefined); // awaited below; a failure is reported once, by the catch
      if (previous) await previous;
      previous = committed;
    }
    if (previous) await previous;
    const tx = db.transaction(['runs', 'indexes'], 'readwrite');
    void tx.objectStore('indexes').put(index);
    void tx.objectStore('runs').put(meta);
    await tx.done;
  } catch (e) {
    // The chunks already committed would hold quota under no run: remove them (this frees space).
    await deleteRun(input.runId).catch(() => undefined);
    const err = wrap(e, `saving run ${input.runId}`);
    err.message += '; nothing of the run was kept';
    throw err;
  }
  return meta;
}

/**
 * Adds (or replaces, after a resume) one step of a run that is still producing rollouts, such as a
 * run training in the app, and refreshes the run's metadata and index: one transaction, so the
 * inspector never sees a step's rollouts without its index entry.
 */
export async function appendRunStep(runId: string, name: string, step: number, rollouts: readonly Rollout[]): Promise<RunMeta> {
  const db = await openRolloutDb();
  try {
    const tx = db.transaction(['groups', 'runs', 'indexes'], 'readwrite');
    tx.done.catch(() => undefined); // reported once, through the catch below
    const updates = toGroups(rollouts);
    const [prevMeta, prevIndex, ...prevGroups] = await Promise.all([
      tx.objectStore('runs').get(runId),
      tx.objectStore('indexes').get(runId),
      ...updates.map((g) => tx.objectStore('groups').get([g.runId, g.step, g.groupId])),
    ]);
    try {
      // A resumed step replaces the rollouts of the same sample and keeps the others, as before.
      updates.forEach((g, i) => quiet(tx.objectStore('groups').put(mergeGroup(prevGroups[i] as StoredGroup | undefined, g))));
    } catch (e) {
      abortQuietly(tx); // all of the step or none of it
      throw e;
    }
    const index: RunIndex = {
      runId,
      steps: [...(prevIndex?.steps ?? []).filter((s) => s.step !== step), ...buildIndex(runId, rollouts).steps].sort((a, b) => a.step - b.step),
    };
    const rule = prevMeta?.quadrantRule ? mergeQuadrantRules(prevMeta.quadrantRule, quadrantRule(rollouts)) : quadrantRule(rollouts);
    const meta: RunMeta = {
      runId,
      name: prevMeta?.renamed ? prevMeta.name : name,
      ...(prevMeta?.renamed && { renamed: true }),
      format: 'native',
      files: prevMeta?.files ?? ['train'],
      createdAt: prevMeta?.createdAt ?? Date.now(),
      rollouts: index.steps.reduce((n, s) => n + s.groups.reduce((m, g) => m + g.size, 0), 0),
      groups: index.steps.reduce((n, s) => n + s.groups.length, 0),
      steps: index.steps.map((s) => s.step),
      splits: [...new Set([...(prevMeta?.splits ?? []), ...rollouts.map((r) => r.split)])],
      warnings: prevMeta?.warnings ?? [],
      columns: prevMeta?.columns ?? [],
      stepSummaries: [...(prevMeta?.stepSummaries ?? []).filter((s) => s.step !== step), ...summarizeSteps(rollouts, rule)].sort((a, b) => a.step - b.step),
      quadrantRule: rule,
    };
    void tx.objectStore('indexes').put(index);
    void tx.objectStore('runs').put(meta);
    await tx.done;
    return meta;
  } catch (e) {
    throw wrap(e, `appending step ${step} to run ${runId}`);
  }
}

/**
 * Sets the run's quadrant rule (a threshold the user changed) and recounts every step's quadrants under it.
 * Returns the new metadata.
 */
export async function setRunQuadrantRule(runId: string, rule: QuadrantRule): Promise<RunMeta> {
  const db = await openRolloutDb();
  const prev = await db.get('runs', runId);
  if (!prev) throw new RolloutDbError('NotFound', `run ${runId} not found`, 'import it again');
  const rollouts = await getRunRollouts(runId);
  const meta: RunMeta = { ...prev, quadrantRule: rule, stepSummaries: summarizeSteps(rollouts, rule) };
  try {
    await db.put('runs', meta);
  } catch (e) {
    throw wrap(e, `saving the quadrant rule of run ${runId}`);
  }
  return meta;
}

/** Renames a run (its id, and so its links, stay). Returns the new metadata. */
export async function renameRun(runId: string, name: string): Promise<RunMeta> {
  const clean = name.trim();
  if (!clean) throw new RolloutDbError('WriteFailed', 'a run needs a name', 'type at least one character');
  const db = await openRolloutDb();
  const prev = await db.get('runs', runId);
  if (!prev) throw new RolloutDbError('NotFound', `run ${runId} not found`, 'it may have been deleted in another tab');
  const meta: RunMeta = { ...prev, name: clean, renamed: true };
  try {
    await db.put('runs', meta);
  } catch (e) {
    throw wrap(e, `renaming run ${runId}`);
  }
  return meta;
}

export async function listRuns(): Promise<RunMeta[]> {
  const db = await openRolloutDb();
  return (await db.getAll('runs')).sort((a, b) => b.createdAt - a.createdAt);
}

export async function getRun(runId: string): Promise<{ meta: RunMeta; index: RunIndex } | null> {
  const db = await openRolloutDb();
  const tx = db.transaction(['runs', 'indexes']);
  const [meta, index] = await Promise.all([tx.objectStore('runs').get(runId), tx.objectStore('indexes').get(runId)]);
  return meta && index ? { meta, index } : null;
}

/** The G rollouts of one group at one step, by sample index. */
export async function getGroup(runId: string, step: number, groupId: string): Promise<Rollout[]> {
  const db = await openRolloutDb();
  return (await db.get('groups', [runId, step, groupId]))?.rollouts ?? [];
}

/** A step's rollouts, by group id then sample index. */
export async function getStep(runId: string, step: number): Promise<Rollout[]> {
  const db = await openRolloutDb();
  return flatten(await db.getAll('groups', stepRange(runId, step)));
}

/** A run's rollouts, by step, group id, sample index. */
export async function getRunRollouts(runId: string): Promise<Rollout[]> {
  const db = await openRolloutDb();
  return flatten(await db.getAll('groups', runRange(runId)));
}

export async function deleteRun(runId: string): Promise<void> {
  const db = await openRolloutDb();
  try {
    const tx = db.transaction(['runs', 'indexes', 'groups'], 'readwrite');
    void tx.objectStore('runs').delete(runId);
    void tx.objectStore('indexes').delete(runId);
    void tx.objectStore('groups').delete(runRange(runId));
    await tx.done;
  } catch (e) {
    throw wrap(e, `deleting run ${runId}`);
  }
}

/**
 * Replaces every rollout of a run by its re-scored copy (same ids) and recomputes the run's chart rows
 * and quadrant rule (the reward scale changed); `warnings` replace the run's. One transaction: on a
 * failure the run stays as it was.
 */
export async function replaceRunRollouts(runId: string, rollouts: readonly Rollout[], warnings: string[]): Promise<RunMeta> {
  const db = await openRolloutDb();
  try {
    const tx = db.transaction(['groups', 'runs'], 'readwrite');
    tx.done.catch(() => undefined); // reported once, through the catch below
    const [prev, stored] = await Promise.all([tx.objectStore('runs').get(runId), tx.objectStore('groups').getAll(runRange(runId))]);
    if (!prev) {
      abortQuietly(tx);
      throw new RolloutDbError('NotFound', `run ${runId} not found`, 'it may have been deleted in another tab');
    }
    if (rollouts.some((r) => r.runId !== runId)) {
      abortQuietly(tx);
      throw new RolloutDbError('WriteFailed', `rollouts of another run given for run ${runId}`, 'a bug: report it');
    }
    try {
      const before = new Map(stored.map((g) => [`${g.step}\u0000${g.groupId}`, g]));
      for (const g of toGroups(rollouts)) quiet(tx.objectStore('groups').put(mergeGroup(before.get(`${g.step}\u0000${g.groupId}`), g)));
    } catch (e) {
      abortQuietly(tx);
      throw e;
    }
    const rule = quadrantRule(rollouts);
    const meta: RunMeta = { ...prev, warnings, quadrantRule: rule, stepSummaries: summarizeSteps(rollouts, rule) };
    void tx.objectStore('runs').put(meta);
    await tx.done;
    return meta;
  } catch (e) {
    if (e instanceof RolloutDbError) throw e;
    throw wrap(e, `saving the re-scored rollouts of run ${runId}`);
  }
}

/** Replaces some rollouts (after re-scoring a group) and refreshes the run's chart rows. */
export async function putRollouts(rollouts: readonly Rollout[]): Promise<void> {
  const db = await openRolloutDb();
  try {
    const tx = db.transaction('groups', 'readwrite');
    const updates = toGroups(rollouts);
    const prev = await Promise.all(updates.map((g) => tx.store.get([g.runId, g.step, g.groupId])));
    updates.forEach((g, i) => void tx.store.put(mergeGroup(prev[i], g)));
    await tx.done;
  } catch (e) {
    throw wrap(e, 'updating rollouts');
  }
}
