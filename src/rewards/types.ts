// Shared types of the rewards module (pure TypeScript: no React, no WebGPU). The template parser,
// accuracy rewards, tokenizers, judges, advantages and the scoring CLI all speak these.

export type ProblemType = 'multiple choice' | 'numerical' | 'OCR' | 'free-form' | 'regression';
export const PROBLEM_TYPES: readonly ProblemType[] = ['multiple choice', 'numerical', 'OCR', 'free-form', 'regression'];

/** A character span [start, end) into the completion text. */
export interface Span {
  start: number;
  end: number;
}

/** One template segment: the span of the whole tagged segment and of its inner text. */
export interface Segment {
  outer: Span; // from '<tag>' to the end of '</tag>'
  inner: Span; // the text between the tags
  text: string; // the inner text
}

/** The parsed process-aware template of one completion (method.md §1.2, §1.5.3, §1.7, §6). */
export interface ParsedCompletion {
  observation: Segment | null;
  think: Segment | null;
  answer: Segment | null;
  /** End (exclusive) of the perception span: the end of the first '</observation>', or null when missing. */
  perceptionEnd: number | null;
  /** Video-R1's extract_answer: the first <answer>…</answer> anywhere, stripped; '' when none. */
  extractedAnswer: string;
  /** Strict per-process format flags (method.md §1.5.3, recommended regexes). */
  formatPerception: boolean;
  formatReasoning: boolean;
  /** The stricter single full-sequence regex. */
  formatFull: boolean;
  /** Human-readable notes on what is malformed (missing tag, repeated tag, truncated…). */
  issues: string[];
}

/** A token sequence with each token's character span in the text it was encoded from. */
export interface Encoding {
  ids: number[];
  offsets: [number, number][];
}

export interface Tokenizer {
  readonly name: string;
  encode(text: string): Encoding;
  /** Number of tokens of `text` (may be faster than encode). */
  count(text: string): number;
}

/** A fact about a (synthetic) scene that an observation may state; used by the rule-based judge. */
export interface SceneFact {
  id: string;
  /** A canonical statement, e.g. 'the red circle moves left'. */
  text: string;
  /** Each inner list is a set of alternatives; the fact is stated when every group has one match (case-insensitive, word-bounded). */
  mentions: string[][];
}

/** A Video-R1 style record plus the completion to score. */
export interface RolloutRecord {
  problem_id: string | number;
  problem: string;
  problem_type: string;
  options?: string[] | string;
  solution: string;
  data_type?: string;
  output: string;
  step?: number;
  facts?: SceneFact[];
  [extra: string]: unknown;
}

export interface ProcessReward {
  accuracy: number;
  format: number;
  length: number;
  total: number;
}

export interface JudgeVerdict {
  /** 1 when the observation is judged sufficient, else 0. */
  verdict: 0 | 1;
  /**
   * A graded perception accuracy in [0, 1], from judges that grade rather than decide (the checklist's
   * fraction of key facts stated, the self-answer's accuracy); the reward uses it instead of `verdict`.
   */
  score?: number;
  explanation?: string;
  /** Set when the judge failed (timeout, HTTP error, unparsable reply); verdict is then 0. */
  error?: string;
}

export interface JudgeRequest {
  question: string;
  correctAnswer: string;
  observation: string;
  dataType: string;
  record: RolloutRecord;
}

export interface PerceptionJudge {
  readonly name: string;
  judge(request: JudgeRequest): Promise<JudgeVerdict>;
  /**
   * Optional: every request a batch of rollouts will make (a trainer step), before any judge() call, so
   * a judge that runs a model (self-answer) can answer them in batches; judge() then reads the answers.
   */
  prepare?(requests: readonly JudgeRequest[]): Promise<void>;
}
