// The canonical rollout record every importer normalises into (inspector.md §3.7, method.md §5.5),
// plus the small pure helpers the importers share: stable hashes, reward-key mapping onto the two
// processes, template segment spans and quadrant classification. No React, no WebGPU.

export type SourceFormat = 'verl' | 'trl' | 'wandb-table' | 'inspect' | 'rllb' | 'videor1-eval' | 'native';
export type Split = 'train' | 'val';

/** One process's reward parts (method.md §1.5.5: R_k = accuracy + format + length). */
export interface ProcessBreakdown {
  accuracy?: number;
  format?: number;
  length?: number;
  total?: number;
  /**
   * The perception judge's verdict and explanation when the source carries them; runs trained here also
   * name the judge (rules, checklist, self-answer, …) and, for a graded judge, its score in [0, 1].
   */
  judge?: { name?: string; verdict?: number; score?: number; explanation?: string };
}

/** Per-token values, each array the length of `tokens` (RL Logging Board schema, inspector.md §3.4). */
export interface TokenLane {
  tokens: string[];
  advantage?: number[];
  ratio?: number[];
  logprob?: number[];
  refLogprob?: number[];
  entropy?: number[];
  value?: number[];
  tokenReward?: number[];
}
export const TOKEN_CHANNELS = ['advantage', 'ratio', 'logprob', 'refLogprob', 'entropy', 'value', 'tokenReward'] as const;
export type TokenChannel = (typeof TOKEN_CHANNELS)[number];

export interface Advantages {
  perception: number;
  reasoning: number;
  /** The single advantage plain GRPO gives this rollout: its scalar reward normalised in the group. */
  grpo: number;
  /** 'trainer' when the dump carried both process advantages; 'rescored' when computed here. */
  source: 'trainer' | 'rescored';
}

export interface Rollout {
  /** `${runId}|${step}|${groupId}|${sampleIdx}`: unique within the rollout database. */
  id: string;
  runId: string;
  split: Split;
  step: number;
  /** Same prompt ⇒ same groupId at every step (a hash of the prompt text, or the source's own id). */
  groupId: string;
  /** Order within the group (verl rollout index, TRL row order, inspect epoch − 1). */
  sampleIdx: number;
  prompt: string;
  completion: string;
  groundTruth: string | null;
  /** Every numeric reward column as the source named it (NaN kept: "unscored"). */
  rewards: Record<string, number>;
  perception: ProcessBreakdown | null;
  reasoning: ProcessBreakdown | null;
  /** The trainer's own single advantage (TRL `advantage`), when logged. */
  advantage: number | null;
  advantages: Advantages | null;
  tokens: TokenLane | null;
  /** Unknown, non-numeric columns: kept, shown on demand. */
  extra: Record<string, unknown>;
  source: { format: SourceFormat; file: string; line?: number };
  /**
   * The source record as read, except values equal to the prompt, completion or ground truth: those
   * are stored once (in the fields above) and `rawRefs` says which key held which; `rawRecord`
   * rebuilds the original. Halves what a rollout weighs in IndexedDB, in the import and the filter.
   */
  raw: unknown;
  rawRefs?: Record<string, RawRef>;
}

export type RawRef = 'prompt' | 'completion' | 'groundTruth';

/** Splits a source record's copies of the rollout's texts out (see `Rollout.raw`). */
export function dedupeRaw(raw: unknown, texts: { prompt: string; completion: string; groundTruth: string | null }): { raw: unknown; rawRefs?: Record<string, RawRef> } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { raw };
  let refs: Record<string, RawRef> | undefined;
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string' || v.length < 16) continue;
    const ref: RawRef | null = v === texts.completion ? 'completion' : v === texts.prompt ? 'prompt' : v === texts.groundTruth ? 'groundTruth' : null;
    if (!ref) continue;
    out ??= { ...(raw as Record<string, unknown>) };
    out[k] = null; // keeps the key's position for display
    (refs ??= {})[k] = ref;
  }
  return out ? { raw: out, rawRefs: refs } : { raw };
}

/** The source record as imported (the texts `dedupeRaw` took out put back). */
export function rawRecord(r: Pick<Rollout, 'raw' | 'rawRefs' | 'prompt' | 'completion' | 'groundTruth'>): unknown {
  if (!r.rawRefs || !r.raw || typeof r.raw !== 'object') return r.raw;
  const out: Record<string, unknown> = { ...(r.raw as Record<string, unknown>) };
  for (const [k, ref] of Object.entries(r.rawRefs)) out[k] = r[ref];
  return out;
}

/** What an importer hands to `finalizeRollouts`: one row, before grouping. */
export interface DraftRollout {
  step: number;
  /** Text or id the group is rebuilt by (within one step). */
  groupKey: string;
  /**
   * What the group id is made from when it is not the group key (verl v1: grouped by uid, named by the
   * prompt, so the same prompt keeps its group id from step to step); several groups of one step with
   * the same name get the suffixes -2, -3… in order of their keys.
   */
  groupName?: string;
  /** The source's own index within the group, when it has one. */
  sampleIdx?: number;
  prompt: string;
  completion: string;
  groundTruth: string | null;
  rewards: Record<string, number>;
  advantage: number | null;
  /** Process advantages when the source logged them. */
  processAdvantages?: { perception: number; reasoning: number };
  tokens?: TokenLane | null;
  extra: Record<string, unknown>;
  line?: number;
  /** Source file, when a run is imported from several. */
  file?: string;
  raw: unknown;
  split?: Split;
  /** Explicit breakdowns (our own export carries them). */
  perception?: ProcessBreakdown | null;
  reasoning?: ProcessBreakdown | null;
}

// ---- hashing -----------------------------------------------------------------------------------------

/** cyrb53: a fast 53-bit string hash; base-36, so group ids stay short in URLs. */
export function hash53(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

export function rolloutId(runId: string, step: number, groupId: string, sampleIdx: number): string {
  return `${runId}|${step}|${groupId}|${sampleIdx}`;
}

/** Values in URLs and ids: keep [A-Za-z0-9._-], replace the rest. */
export function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'run';
}

// ---- reward keys → processes -------------------------------------------------------------------------

const PROCESS_ALIASES: Record<string, 'perception' | 'reasoning'> = {
  perception: 'perception',
  perc: 'perception',
  p: 'perception',
  obs: 'perception',
  observation: 'perception',
  reasoning: 'reasoning',
  reason: 'reasoning',
  r: 'reasoning',
};
const PART_ALIASES: Record<string, keyof Omit<ProcessBreakdown, 'judge'>> = {
  accuracy: 'accuracy',
  acc: 'accuracy',
  format: 'format',
  form: 'format',
  fmt: 'format',
  length: 'length',
  len: 'length',
  total: 'total',
  reward: 'total',
  score: 'total',
};

/**
 * Maps a reward key onto (process, part): `perception` → total, `perception.accuracy`, `reasoning_format`,
 * `perception/acc`, `acc_p`, `format_reward_r`… Returns null for keys of neither process (`score`, `acc`).
 */
export function processKey(key: string): { process: 'perception' | 'reasoning'; part: keyof Omit<ProcessBreakdown, 'judge'> } | null {
  const parts = key
    .toLowerCase()
    .split(/[._/\-\s]+/)
    .filter((p) => p && p !== 'reward' && p !== 'rewards');
  if (key.toLowerCase() === 'perception_reward' || key.toLowerCase() === 'reasoning_reward') {
    return { process: key.toLowerCase().startsWith('p') ? 'perception' : 'reasoning', part: 'total' };
  }
  let process: 'perception' | 'reasoning' | null = null;
  let part: keyof Omit<ProcessBreakdown, 'judge'> | null = null;
  for (const p of parts) {
    // Single letters only count as a process when paired with a known part (acc_p), never alone.
    if (PROCESS_ALIASES[p] && !process && (p.length > 1 || parts.length > 1)) process = PROCESS_ALIASES[p];
    else if (PART_ALIASES[p] && !part) part = PART_ALIASES[p];
    else return null;
  }
  if (!process) return null;
  return { process, part: part ?? 'total' };
}

/** Builds the two breakdowns from flat reward keys; null for a process no key mentions. */
export function breakdownsFromRewards(rewards: Record<string, number>): { perception: ProcessBreakdown | null; reasoning: ProcessBreakdown | null } {
  const out: { perception: ProcessBreakdown | null; reasoning: ProcessBreakdown | null } = { perception: null, reasoning: null };
  for (const [key, value] of Object.entries(rewards)) {
    const m = processKey(key);
    if (!m) continue;
    const b = (out[m.process] ??= {});
    b[m.part] = value;
  }
  for (const b of [out.perception, out.reasoning]) {
    if (b && b.total === undefined && (b.accuracy !== undefined || b.format !== undefined || b.length !== undefined)) {
      b.total = (b.accuracy ?? 0) + (b.format ?? 0) + (b.length ?? 0);
    }
  }
  return out;
}

// ---- template segments --------------------------------------------------------------------------------

export type SegmentKind = 'observation' | 'think' | 'answer';
export interface SegmentSpan {
  kind: SegmentKind;
  /** [start, end) of the inner text. */
  start: number;
  end: number;
}
export interface Segments {
  observation: string | null;
  think: string | null;
  answer: string | null;
  spans: SegmentSpan[];
  /** End (exclusive) of '</observation>': perception tokens lie before it (method.md §1.7). */
  perceptionEnd: number | null;
}

/**
 * Display parser (method.md §6 item 1): first <observation>…</observation>, then the first <think>…</think>
 * after it, then the first <answer>…</answer> after that. Tolerant, never throws; the strict format
 * flags used for rewards live in the rewards module.
 */
export function segmentsOf(text: string): Segments {
  const spans: SegmentSpan[] = [];
  const found: Record<SegmentKind, string | null> = { observation: null, think: null, answer: null };
  let from = 0;
  let perceptionEnd: number | null = null;
  for (const kind of ['observation', 'think', 'answer'] as const) {
    const open = `<${kind}>`;
    const close = `</${kind}>`;
    const o = text.indexOf(open, from);
    if (o < 0) continue;
    const c = text.indexOf(close, o + open.length);
    if (c < 0) continue;
    spans.push({ kind, start: o + open.length, end: c });
    found[kind] = text.slice(o + open.length, c);
    from = c + close.length;
    if (kind === 'observation') perceptionEnd = from;
  }
  return { ...found, spans, perceptionEnd };
}

/** Which template tags never appear in any completion (trainers decode with skip_special_tokens=True). */
export function missingTags(completions: Iterable<string>): SegmentKind[] {
  const seen = new Set<SegmentKind>();
  for (const c of completions) {
    for (const kind of ['observation', 'think', 'answer'] as const) if (!seen.has(kind) && c.includes(`</${kind}>`)) seen.add(kind);
    if (seen.size === 3) break;
  }
  return (['observation', 'think', 'answer'] as const).filter((k) => !seen.has(k));
}

// ---- quadrants ----------------------------------------------------------------------------------------

/** Perception high/low × reasoning high/low (inspector.md §5 item 3). */
export type Quadrant = 'PhRh' | 'PhRl' | 'PlRh' | 'PlRl';
export const QUADRANTS: { id: Quadrant; label: string; hint: string }[] = [
  { id: 'PhRh', label: 'P high · R high', hint: 'sound perception, right answer' },
  { id: 'PhRl', label: 'P high · R low', hint: 'reasoning failure: saw enough, answered wrong' },
  { id: 'PlRh', label: 'P low · R high', hint: 'right answer on poor perception: the hacking signal' },
  { id: 'PlRl', label: 'P low · R low', hint: 'both processes failed' },
];

/**
 * How one process is split into high and low: by its accuracy part (a 0/1 or [0, 1] score) when the source
 * has one, else by its total against a threshold on that source's own scale. `min`/`max` are the observed
 * totals the automatic threshold is the midpoint of; `custom` marks a threshold the user set.
 */
export interface ProcessThreshold {
  by: 'accuracy' | 'total';
  threshold: number;
  min?: number;
  max?: number;
  custom?: boolean;
}
export interface QuadrantRule {
  perception: ProcessThreshold;
  reasoning: ProcessThreshold;
}
export const ACCURACY_RULE: QuadrantRule = { perception: { by: 'accuracy', threshold: 0.5 }, reasoning: { by: 'accuracy', threshold: 0.5 } };

function processRule(bs: Iterable<ProcessBreakdown | null>): ProcessThreshold {
  let min = Infinity;
  let max = -Infinity;
  let accuracy = false;
  for (const b of bs) {
    if (!b) continue;
    if (b.accuracy !== undefined && Number.isFinite(b.accuracy)) accuracy = true;
    const t = b.total;
    if (t !== undefined && Number.isFinite(t)) {
      if (t < min) min = t;
      if (t > max) max = t;
    }
  }
  if (accuracy) return { by: 'accuracy', threshold: 0.5 };
  if (min > max) return { by: 'total', threshold: 0.5 };
  // One value only: no midpoint splits it; a positive reward counts as high, 0 or less as low.
  if (min === max) return { by: 'total', threshold: max > 0 ? max / 2 : Math.max(max, 0) + 0.5, min, max };
  return { by: 'total', threshold: (min + max) / 2, min, max };
}

/**
 * The rule that fits a run's reward scale (issue 11): per process, the accuracy part at 0.5 when any rollout
 * has one; otherwise the midpoint of the run's observed minimum and maximum total for that process.
 */
export function quadrantRule(rollouts: Iterable<Pick<Rollout, 'perception' | 'reasoning'>>): QuadrantRule {
  const ps: (ProcessBreakdown | null)[] = [];
  const rs: (ProcessBreakdown | null)[] = [];
  for (const r of rollouts) {
    ps.push(r.perception);
    rs.push(r.reasoning);
  }
  return { perception: processRule(ps), reasoning: processRule(rs) };
}

/** The rule over two sets of rollouts (a run and its next step); a threshold the user set is kept. */
export function mergeQuadrantRules(a: QuadrantRule, b: QuadrantRule): QuadrantRule {
  const one = (x: ProcessThreshold, y: ProcessThreshold): ProcessThreshold => {
    if (x.custom) return x;
    if (x.by === 'accuracy' || y.by === 'accuracy') return { by: 'accuracy', threshold: 0.5 };
    if (x.min === undefined || x.max === undefined) return y;
    if (y.min === undefined || y.max === undefined) return x;
    const min = Math.min(x.min, y.min);
    const max = Math.max(x.max, y.max);
    return processRule([{ total: min }, { total: max }]);
  };
  return { perception: one(a.perception, b.perception), reasoning: one(a.reasoning, b.reasoning) };
}

/** The score a process is split by under a rule: its accuracy or its total; null when unknown. */
export function processScore(b: ProcessBreakdown | null, t: ProcessThreshold = ACCURACY_RULE.perception): number | null {
  if (!b) return null;
  const v = t.by === 'accuracy' ? b.accuracy : b.total;
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/** Human-readable rule: "perception accuracy ≥ 0.5 · reasoning total ≥ 1.5 (midpoint of 1–2)". */
export function describeQuadrantRule(rule: QuadrantRule): string {
  const one = (name: string, t: ProcessThreshold) =>
    `${name} ${t.by} ≥ ${+t.threshold.toFixed(3)}${t.custom ? ' (set by you)' : t.min !== undefined && t.max !== undefined ? (t.min === t.max ? ` (every value is ${+t.min.toFixed(3)})` : ` (midpoint of ${+t.min.toFixed(3)}–${+t.max.toFixed(3)})`) : ''}`;
  return `${one('perception', rule.perception)} · ${one('reasoning', rule.reasoning)}`;
}

/** Perception high/low × reasoning high/low under the run's rule (`quadrantRule`); null when a process is unknown. */
export function quadrantOf(r: Pick<Rollout, 'perception' | 'reasoning'>, rule: QuadrantRule = ACCURACY_RULE): Quadrant | null {
  const p = processScore(r.perception, rule.perception);
  const q = processScore(r.reasoning, rule.reasoning);
  if (p === null || q === null) return null;
  return `${p >= rule.perception.threshold ? 'Ph' : 'Pl'}${q >= rule.reasoning.threshold ? 'Rh' : 'Rl'}` as Quadrant;
}

/** The scalar reward plain GRPO would normalise: the trainer's score, else P + R totals. */
export function scalarReward(r: Pick<Rollout, 'rewards' | 'perception' | 'reasoning'>): number | null {
  for (const k of ['score', 'reward', 'total', 'overall', 'accuracy', 'acc']) {
    const v = r.rewards[k];
    if (v !== undefined && Number.isFinite(v)) return v;
  }
  const p = r.perception?.total;
  const q = r.reasoning?.total;
  if (p !== undefined || q !== undefined) return (p ?? 0) + (q ?? 0);
  return null;
}

/**
 * How the card names the trainer's own advantage (`Rollout.advantage`): one value the engine combined
 * over all its reward functions, never per process, so it is labelled apart from A_P and A_R (which the
 * inspector recomputes from the process rewards when the source has no process advantages).
 */
export function trainerAdvantageLabel(format: SourceFormat): { label: string; hint: string } {
  if (format === 'trl') {
    return {
      label: 'TRL advantage (combined)',
      hint:
        "TRL's logged `advantage`: the engine's one combined value over all reward functions (the group-normalised weighted sum of rewards; " +
        'with multi_objective_aggregation="normalize_then_sum", the batch-normalised sum of per-reward group-normalised values). Not per process: A_P and A_R beside it are recomputed here.',
    };
  }
  return { label: 'trainer advantage (combined)', hint: "the trainer's own logged advantage: one combined value, not per process; A_P and A_R beside it come from the process rewards" };
}

/** Reward keys a trainer writes its own scalar score under (verl `score`, RLLB / OpenRLHF `reward`). */
export const TRAINER_SCORE_KEYS = ['score', 'reward'] as const;

/** The trainer's own score of a rollout, as logged (NaN and ±Infinity kept, flagged by `finite`); null when none. */
export function trainerScore(r: Pick<Rollout, 'rewards'>): { key: string; value: number; finite: boolean } | null {
  for (const key of TRAINER_SCORE_KEYS) {
    const value = r.rewards[key];
    if (value !== undefined) return { key, value, finite: Number.isFinite(value) };
  }
  return null;
}

// Chat-template role markers: the prompt's own words start after the last user turn's marker.
const USER_TURN = /(?:<\|im_start\|>\s*user|<\|start_header_id\|>\s*user\s*<\|end_header_id\|>|<\|user\|>|\[INST\]|(?:^|\n)\s*(?:user|USER|Human|human)\s*:?\s*\n|(?:^|\n)\s*(?:USER|Human):)/g;

/**
 * The first words of a prompt, to name its group in lists (ids are opaque): after the last user-turn
 * marker of a chat template, without special tokens and media placeholders, at most `words` words.
 */
export function promptPreview(prompt: string, words = 10): string {
  let from = 0;
  for (const m of prompt.matchAll(USER_TURN)) from = m.index + m[0].length;
  let turn = prompt.slice(from);
  const end = /<\|im_end\|>|<\|eot_id\|>|\[\/INST\]|(?:^|\n)\s*(?:assistant|ASSISTANT|Assistant)\s*:?\s*(?:\n|$)/.exec(turn);
  if (end) turn = turn.slice(0, end.index);
  const text = turn
    .replace(/<\|[^|>]*\|>/g, ' ')
    .replace(/<\/?(?:video|image|img|audio)[^>]*>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const ws = text.split(' ').filter(Boolean);
  return ws.length > words ? `${ws.slice(0, words).join(' ')}…` : ws.join(' ');
}

/** A value for display and CSV: ground truth and extra columns may be any JSON. */
export function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
