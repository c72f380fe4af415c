// The per-step summary of a run for the command line (`npm run rollouts -- summary`, issue 11): rollouts
// and groups, the trainer's mean score, each process's mean reward, collapsed groups and quadrant counts.
// Built on the run dashboard's own summarizeSteps and quadrant rule, so the page and the command agree;
// here a value that cannot be known is null, never 0. Pure: no Node, no DOM.

import type { AblationName } from '../rewards/config';
import type { PerceptionJudge } from '../rewards/types';
import { summarizeSteps } from './group';
import { importFiles, type InputFile } from './importers';
import { describeQuadrantRule, QUADRANTS, quadrantRule, type Quadrant, type QuadrantRule, type Rollout, type SourceFormat } from './record';
import { rescoreRun } from './rescore_group';

export interface StepLine {
  step: number;
  rollouts: number;
  groups: number;
  /** Mean trainer score over finite values; null when the step has none. */
  mean_score: number | null;
  /** Mean R_P / R_R total; null when the step has no such reward. */
  mean_perception: number | null;
  mean_reasoning: number | null;
  /** Groups whose rewards are all equal for that process (for both: for each process); null when unknown. */
  collapsed: { perception: number | null; reasoning: number | null; both: number | null };
  /** Rollouts per quadrant under the run's quadrant rule; null when no rollout of the step has both rewards. */
  quadrants: Record<Quadrant, number | null>;
}

export interface SummaryError {
  file: string;
  /** 1-based line; null when the fault is the whole file's. */
  line: number | null;
  reason: string;
}

export interface RunSummary {
  steps: StepLine[];
  errors: SummaryError[];
}

const known = (x: number | undefined): boolean => x !== undefined && Number.isFinite(x);

/** The summary of a run's rollouts (any order); quadrants by `rule`, by default the run's own, as the page counts them. */
export function summarizeRun(rollouts: readonly Rollout[], errors: readonly SummaryError[] = [], rule: QuadrantRule = quadrantRule(rollouts)): RunSummary {
  const byStep = new Map<number, Rollout[]>();
  for (const r of rollouts) {
    let s = byStep.get(r.step);
    if (!s) byStep.set(r.step, (s = []));
    s.push(r);
  }
  const steps = summarizeSteps(rollouts, rule).map((s): StepLine => {
    const rs = byStep.get(s.step) ?? [];
    const hasP = rs.some((r) => known(r.perception?.total));
    const hasR = rs.some((r) => known(r.reasoning?.total));
    const hasBoth = rs.some((r) => known(r.perception?.total) && known(r.reasoning?.total));
    const quadrants = Object.fromEntries(QUADRANTS.map((q) => [q.id, hasBoth ? s.quadrants[q.id] : null])) as Record<Quadrant, number | null>;
    return {
      step: s.step,
      rollouts: s.rollouts,
      groups: s.groups,
      mean_score: s.score,
      mean_perception: s.perception.total,
      mean_reasoning: s.reasoning.total,
      collapsed: { perception: hasP ? s.collapsedPerception : null, reasoning: hasR ? s.collapsedReasoning : null, both: hasP && hasR ? s.collapsedBoth : null },
      quadrants,
    };
  });
  return { steps, errors: [...errors] };
}

export interface SummarizeFilesOptions {
  /** Recompute per-process rewards first (as the run dashboard's "recompute" does), with this judge. */
  rescore?: { judge: PerceptionJudge; mode?: AblationName; concurrency?: number; onProgress?: (done: number, total: number) => void };
}

/**
 * The command's whole pipeline without the file system: the files of one run through the inspector's
 * importers, re-scored when asked, summarised. Throws ImportError for a file no importer reads.
 */
export async function summarizeFiles(
  files: readonly InputFile[],
  opts: SummarizeFilesOptions = {},
): Promise<{ summary: RunSummary; format: SourceFormat; warnings: string[]; rule: string }> {
  const res = await importFiles(files, { runId: 'cli' });
  const errors = res.badLines.map((b) => ({ file: b.file, line: b.line, reason: b.reason }));
  const rollouts = opts.rescore ? await rescoreRun(res.rollouts, opts.rescore) : res.rollouts;
  const rule = quadrantRule(rollouts);
  // Bad lines are listed one by one; the import's own notes about them (the first 20) would repeat them.
  const warnings = res.warnings.filter((w) => !/: line \d+: /.test(w) && !(opts.rescore && MISSING_REWARDS.test(w)));
  return { summary: summarizeRun(rollouts, errors, rule), format: res.format, warnings, rule: describeQuadrantRule(rule) };
}

/** Import warnings that a re-score answers. */
export const MISSING_REWARDS = /per-process rewards are missing|no perception\/reasoning reward columns/;

const num = (x: number | null, digits = 3): string => (x === null ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(digits));

/** A plain-text table of the summary (one line per step), for a terminal. */
export function formatSummary(summary: RunSummary, rule?: string): string {
  const head = ['step', 'rollouts', 'groups', 'score', 'R_P', 'R_R', 'coll.P', 'coll.R', 'coll.both', 'PhRh', 'PhRl', 'PlRh', 'PlRl'];
  const rows = summary.steps.map((s) => [
    String(s.step),
    String(s.rollouts),
    String(s.groups),
    num(s.mean_score),
    num(s.mean_perception),
    num(s.mean_reasoning),
    num(s.collapsed.perception),
    num(s.collapsed.reasoning),
    num(s.collapsed.both),
    ...QUADRANTS.map((q) => num(s.quadrants[q.id])),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const out = [line(head), ...rows.map(line)];
  out.push('');
  out.push(`${summary.steps.reduce((n, s) => n + s.rollouts, 0)} rollouts in ${summary.steps.length} steps; ${summary.errors.length} bad line${summary.errors.length === 1 ? '' : 's'} (listed on stderr)`);
  if (rule) out.push(`quadrants: ${rule}; collapsed: every reward of the group equal for that process; – unknown`);
  return out.join('\n') + '\n';
}
