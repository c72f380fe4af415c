// Rebuilding GRPO groups from imported rows and deriving what the group view shows: groups are keyed by
// (step, prompt) — never by row order, which verl's balance_batch shuffles (inspector.md §0 item 2) —
// process breakdowns from reward columns, and process advantages recomputed when the dump lacks them.

import { rescoreAdvantages } from './rescore';
import {
  dedupeRaw,
  breakdownsFromRewards,
  hash53,
  missingTags,
  quadrantOf,
  quadrantRule,
  rolloutId,
  trainerScore,
  type DraftRollout,
  type ProcessBreakdown,
  type Quadrant,
  type QuadrantRule,
  type Rollout,
  type SourceFormat,
  type Split,
} from './record';

export interface FinalizeOptions {
  runId: string;
  split: Split;
  format: SourceFormat;
  file: string;
  /** Use the draft's groupKey as the group id as is (inspect sample ids) instead of hashing it. */
  keepGroupKey?: boolean;
}

/** Groups drafts by (step, groupKey), numbers samples within each group, fills breakdowns and advantages. */
export function finalizeRollouts(drafts: readonly DraftRollout[], opts: FinalizeOptions): Rollout[] {
  const groups = new Map<string, DraftRollout[]>();
  for (const d of drafts) {
    const key = `${d.step}\u0000${d.groupKey}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(d);
  }
  const out: Rollout[] = [];
  const ids = groupIds(groups, opts);
  for (const [key, members] of groups) {
    // The source's own index when every member has one, else import order (line order). Indices that
    // repeat (a verl v1 rollout with several outputs) are renumbered in that order: ids must stay unique.
    const indexed = members.every((m) => m.sampleIdx !== undefined);
    const ordered = indexed ? [...members].sort((a, b) => a.sampleIdx! - b.sampleIdx!) : members;
    const unique = indexed && new Set(ordered.map((m) => m.sampleIdx)).size === ordered.length;
    const groupId = ids.get(key)!;
    const rollouts = ordered.map((d, i): Rollout => {
      const fromRewards = breakdownsFromRewards(d.rewards);
      const sampleIdx = unique ? d.sampleIdx! : i;
      const r: Rollout = {
        id: rolloutId(opts.runId, d.step, groupId, sampleIdx),
        runId: opts.runId,
        split: d.split ?? opts.split,
        step: d.step,
        groupId,
        sampleIdx,
        prompt: d.prompt,
        completion: d.completion,
        groundTruth: d.groundTruth,
        rewards: d.rewards,
        perception: merge(fromRewards.perception, d.perception),
        reasoning: merge(fromRewards.reasoning, d.reasoning),
        advantage: d.advantage,
        advantages: d.processAdvantages ? { ...d.processAdvantages, grpo: NaN, source: 'trainer' } : null,
        tokens: d.tokens ?? null,
        extra: d.extra,
        source: { format: opts.format, file: d.file ?? opts.file, ...(d.line !== undefined ? { line: d.line } : {}) },
        ...dedupeRaw(d.raw, d),
      };
      return r;
    });
    rescoreAdvantages(rollouts);
    out.push(...rollouts);
  }
  out.sort((a, b) => a.step - b.step || (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0) || a.sampleIdx - b.sampleIdx);
  return out;
}

/**
 * The id of each (step, key) group: the key itself (`keepGroupKey`), else a hash of the group's name
 * (`groupName`, falling back to the key). Groups of one step that share a name are told apart by -2, -3…
 * in order of their keys, the first keeping the bare hash (the id the same prompt has at other steps).
 */
function groupIds(groups: Map<string, DraftRollout[]>, opts: FinalizeOptions): Map<string, string> {
  const ids = new Map<string, string>();
  const byName = new Map<string, string[]>(); // `${step}\0${name}` → group keys
  for (const [key, members] of groups) {
    const d = members[0];
    if (opts.keepGroupKey) {
      ids.set(key, d.groupKey);
      continue;
    }
    const nameKey = `${d.step}\u0000${d.groupName ?? d.groupKey}`;
    let keys = byName.get(nameKey);
    if (!keys) byName.set(nameKey, (keys = []));
    keys.push(key);
  }
  for (const keys of byName.values()) {
    keys.sort();
    const first = groups.get(keys[0])![0];
    const base = hash53(first.groupName ?? first.groupKey);
    keys.forEach((key, i) => ids.set(key, i === 0 ? base : `${base}-${i + 1}`));
  }
  return ids;
}

function merge(a: ProcessBreakdown | null, b: ProcessBreakdown | null | undefined): ProcessBreakdown | null {
  if (!b) return a;
  const m: ProcessBreakdown = { ...(a ?? {}), ...b };
  if (m.total === undefined && (m.accuracy !== undefined || m.format !== undefined || m.length !== undefined)) {
    m.total = (m.accuracy ?? 0) + (m.format ?? 0) + (m.length ?? 0);
  }
  return m;
}

/** Import warnings shared by every format. */
export function importWarnings(rollouts: readonly Rollout[]): string[] {
  const warnings: string[] = [];
  if (rollouts.length === 0) return ['no rollouts found'];
  const missing = missingTags(rollouts.map((r) => r.completion));
  if (missing.length) {
    warnings.push(
      `template tags never seen: ${missing.map((t) => `<${t}>`).join(', ')}. If they are special tokens in your tokenizer, ` +
        'the trainer stripped them when decoding (skip_special_tokens=True): segments cannot be parsed.',
    );
  }
  const bad = rollouts.filter((r) => trainerScore(r)?.finite === false);
  if (bad.length) {
    const first = bad[0];
    const where = `${first.source.file}${first.source.line !== undefined ? `:${first.source.line}` : ''}`;
    warnings.push(
      `${bad.length} of ${rollouts.length} rollouts have a trainer ${trainerScore(first)!.key} that is not a number (${String(trainerScore(first)!.value)}; first at ${where}): ` +
        'unscored, or the reward function failed. They are left out of the mean score.',
    );
  }
  if (!rollouts.some((r) => r.perception) || !rollouts.some((r) => r.reasoning)) {
    warnings.push('no perception/reasoning reward columns: process rewards are unknown; advantages are the single GRPO one until re-scored.');
  }
  return warnings;
}

// ---- summaries for lists, charts and filters ------------------------------------------------------------

/** One group at one step, without text: what lists and charts need. */
export interface GroupSummary {
  runId: string;
  step: number;
  groupId: string;
  size: number;
  promptPreview: string;
  meanPerception: number | null;
  meanReasoning: number | null;
  collapsedPerception: boolean;
  collapsedReasoning: boolean;
  quadrants: Record<Quadrant, number>;
}

export interface StepSummary {
  step: number;
  rollouts: number;
  groups: number;
  /** Means of each process's parts over the step's rollouts (null when unknown). */
  perception: { accuracy: number | null; format: number | null; length: number | null; total: number | null };
  reasoning: { accuracy: number | null; format: number | null; length: number | null; total: number | null };
  score: number | null;
  kl: number | null;
  /** Mean characters of the observation and think+answer segments. */
  perceptionChars: number;
  reasoningChars: number;
  collapsedPerception: number;
  collapsedReasoning: number;
  collapsedBoth: number;
  quadrants: Record<Quadrant, number>;
}

const allEqual = (xs: readonly number[]) => xs.length > 0 && xs.every((x) => x === xs[0]);
const emptyQuadrants = (): Record<Quadrant, number> => ({ PhRh: 0, PhRl: 0, PlRh: 0, PlRl: 0 });

/** `rule`: the run's quadrant rule (RunMeta.quadrantRule); a group alone cannot say where its run's scale lies. */
export function summarizeGroup(rollouts: readonly Rollout[], rule?: QuadrantRule): GroupSummary {
  const r0 = rollouts[0];
  const pt = rollouts.map((r) => r.perception?.total).filter((x): x is number => x !== undefined && Number.isFinite(x));
  const rt = rollouts.map((r) => r.reasoning?.total).filter((x): x is number => x !== undefined && Number.isFinite(x));
  const quadrants = emptyQuadrants();
  for (const r of rollouts) {
    const q = quadrantOf(r, rule);
    if (q) quadrants[q]++;
  }
  return {
    runId: r0.runId,
    step: r0.step,
    groupId: r0.groupId,
    size: rollouts.length,
    promptPreview: r0.prompt.slice(-160),
    meanPerception: pt.length ? mean(pt) : null,
    meanReasoning: rt.length ? mean(rt) : null,
    collapsedPerception: pt.length === rollouts.length && allEqual(pt),
    collapsedReasoning: rt.length === rollouts.length && allEqual(rt),
    quadrants,
  };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Per-step chart rows of a run (rollouts in any order); quadrants by `rule`, by default the run's own (`quadrantRule`). */
export function summarizeSteps(rollouts: readonly Rollout[], rule: QuadrantRule = quadrantRule(rollouts)): StepSummary[] {
  const bySteps = new Map<number, Map<string, Rollout[]>>();
  for (const r of rollouts) {
    let s = bySteps.get(r.step);
    if (!s) bySteps.set(r.step, (s = new Map()));
    let g = s.get(r.groupId);
    if (!g) s.set(r.groupId, (g = []));
    g.push(r);
  }
  const rows: StepSummary[] = [];
  for (const [step, groups] of [...bySteps.entries()].sort((a, b) => a[0] - b[0])) {
    const all = [...groups.values()].flat();
    const part = (proc: 'perception' | 'reasoning', key: 'accuracy' | 'format' | 'length' | 'total') => {
      const xs = all.map((r) => r[proc]?.[key]).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return xs.length ? mean(xs) : null;
    };
    // The trainer's own score (verl `score`, RLLB / OpenRLHF `reward`), over finite values.
    const scores = all.map((r) => trainerScore(r)).filter((s) => s?.finite).map((s) => s!.value);
    const kls = all.map((r) => r.rewards.kl ?? (r.extra.kl as number | undefined)).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    let pc = 0;
    let rc = 0;
    for (const r of all) {
      const obsEnd = r.completion.indexOf('</observation>');
      pc += obsEnd < 0 ? 0 : obsEnd;
      rc += obsEnd < 0 ? r.completion.length : r.completion.length - obsEnd;
    }
    const row: StepSummary = {
      step,
      rollouts: all.length,
      groups: groups.size,
      perception: { accuracy: part('perception', 'accuracy'), format: part('perception', 'format'), length: part('perception', 'length'), total: part('perception', 'total') },
      reasoning: { accuracy: part('reasoning', 'accuracy'), format: part('reasoning', 'format'), length: part('reasoning', 'length'), total: part('reasoning', 'total') },
      score: scores.length ? mean(scores) : null,
      kl: kls.length ? mean(kls) : null,
      perceptionChars: pc / all.length,
      reasoningChars: rc / all.length,
      collapsedPerception: 0,
      collapsedReasoning: 0,
      collapsedBoth: 0,
      quadrants: emptyQuadrants(),
    };
    for (const g of groups.values()) {
      const s = summarizeGroup(g, rule);
      if (s.collapsedPerception) row.collapsedPerception++;
      if (s.collapsedReasoning) row.collapsedReasoning++;
      if (s.collapsedPerception && s.collapsedReasoning) row.collapsedBoth++;
      for (const q of Object.keys(s.quadrants) as Quadrant[]) row.quadrants[q] += s.quadrants[q];
    }
    rows.push(row);
  }
  return rows;
}

/** The processes whose reward is unknown at every step of a run (verl v1 dumps carry none): what to recompute. */
export function missingProcesses(rows: readonly Pick<StepSummary, 'perception' | 'reasoning'>[]): ('perception' | 'reasoning')[] {
  if (rows.length === 0) return [];
  return (['perception', 'reasoning'] as const).filter((p) => rows.every((r) => r[p].total === null));
}

/** Sort keys of the group view. */
export type SortKey = 'sample' | 'perception' | 'reasoning' | 'advPerception' | 'advReasoning' | 'advGrpo' | 'score';
export const SORT_KEYS: { id: SortKey; label: string }[] = [
  { id: 'sample', label: 'sample #' },
  { id: 'perception', label: 'perception reward' },
  { id: 'reasoning', label: 'reasoning reward' },
  { id: 'advPerception', label: 'perception advantage' },
  { id: 'advReasoning', label: 'reasoning advantage' },
  { id: 'advGrpo', label: 'GRPO advantage' },
  { id: 'score', label: 'trainer score' },
];

function sortValue(r: Rollout, key: SortKey): number {
  switch (key) {
    case 'sample':
      return r.sampleIdx;
    case 'perception':
      return r.perception?.total ?? NaN;
    case 'reasoning':
      return r.reasoning?.total ?? NaN;
    case 'advPerception':
      return r.advantages?.perception ?? NaN;
    case 'advReasoning':
      return r.advantages?.reasoning ?? NaN;
    case 'advGrpo':
      return r.advantages?.grpo ?? NaN;
    case 'score':
      return r.rewards.score ?? NaN;
  }
}

/** Descending by the key (ascending for 'sample'); unknown values last; ties by sample index. */
export function sortRollouts(rollouts: readonly Rollout[], key: SortKey): Rollout[] {
  const dir = key === 'sample' ? 1 : -1;
  return [...rollouts].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    const xn = Number.isNaN(x);
    const yn = Number.isNaN(y);
    if (xn !== yn) return xn ? 1 : -1;
    return (xn ? 0 : dir * (x - y)) || a.sampleIdx - b.sampleIdx;
  });
}
