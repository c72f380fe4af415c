// Checklist perception reward, Perception-R1 style (issue 14 §2): the fraction of a record's annotated
// key facts that the observation states. No LLM: the facts are the synthetic scene facts (`facts`,
// SceneFact) or a dataset field holding a list of strings ("red moves left", "two people").
//
// Matching works on words: case, accents and punctuation do not matter ("Red moves, left." states "red
// moves left"), and a fact is looked for inside one sentence (split at . ; ! ? and line breaks), so the
// words of one fact cannot be collected from different sentences.
//
// A listing of every alternative is not credited. A fact whose words include a value of a closed class
// (a direction: left/right/up/down and their synonyms; a number: 3, "three", 1.5) is credited only
// when no sentence that names its subject (the fact's other words) also names another value of that
// class. So "red moves left" is not credited by "red moves up; red moves down; red moves left; red moves
// right", nor by "red moves left or right", nor "3 objects" by "2 objects or 3 objects". The price:
// "the red circle moves left and the blue square moves up" in ONE sentence does not credit the red
// circle's direction either (state each fact in its own sentence or clause, as the synthetic gold
// observations do with '; '). Colours, shapes and other words are not value classes (two circles of
// different colours are not a contradiction). Pure: runs in Node, a worker or the page.

import { normalizeOptions } from './options';
import type { JudgeRequest, JudgeVerdict, PerceptionJudge, RolloutRecord, SceneFact } from './types';

/** One checklist item: groups of alternative phrases; stated when every group has one (SceneFact.mentions). */
export interface ChecklistItem {
  id: string;
  text: string;
  groups: string[][];
}

// ---- words and value classes ----------------------------------------------------------------------

/** Lower-cased words of `text`: letters and digits, a decimal number ("1.5") as one word; accents dropped. */
export function words(text: string): string[] {
  const folded = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  return folded.match(/\p{N}+(?:\.\p{N}+)?|[\p{L}\p{N}]+/gu) ?? [];
}

/** Sentences of `text`: split at . ; ! ? and line breaks, but not at the point of a decimal number. */
export function sentences(text: string): string[] {
  return text.split(/(?<!\d)[.;!?]|[.;!?](?!\d)|\r?\n/).filter((s) => s.trim() !== '');
}

const DIRECTIONS: Record<string, string> = {
  left: 'left', leftward: 'left', leftwards: 'left', west: 'left',
  right: 'right', rightward: 'right', rightwards: 'right', east: 'right',
  up: 'up', upward: 'up', upwards: 'up', north: 'up',
  down: 'down', downward: 'down', downwards: 'down', south: 'down',
};
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/** The closed class and canonical value of a word ('direction' 'left', 'number' '3'), or null. */
export function valueOf(word: string): { kind: 'direction' | 'number'; value: string } | null {
  const direction = DIRECTIONS[word];
  if (direction !== undefined) return { kind: 'direction', value: direction };
  const n = NUMBER_WORDS.indexOf(word);
  if (n >= 0) return { kind: 'number', value: String(n) };
  if (/^\d+(\.\d+)?$/.test(word)) return { kind: 'number', value: String(Number(word)) };
  return null;
}

// ---- matching -----------------------------------------------------------------------------------

/** Whether the word list `phrase` occurs contiguously in `ws`; positions in `wildcards` match any word. */
function occurs(ws: readonly string[], phrase: readonly string[], wildcards: ReadonlySet<number> = NONE): boolean {
  if (phrase.length === 0) return false;
  for (let i = 0; i + phrase.length <= ws.length; i++) {
    let ok = true;
    for (let k = 0; k < phrase.length && ok; k++) ok = wildcards.has(k) || ws[i + k] === phrase[k];
    if (ok) return true;
  }
  return false;
}
const NONE: ReadonlySet<number> = new Set();

interface CompiledAlternative {
  words: string[];
  /** Positions of value words (a direction, a number) in `words`. */
  valueSlots: Set<number>;
}

interface CompiledItem {
  item: ChecklistItem;
  groups: CompiledAlternative[][];
  /** Per class, the values the item accepts (a group's alternatives may be synonyms of one value). */
  accepted: Map<string, Set<string>>;
}

function compile(item: ChecklistItem): CompiledItem {
  const accepted = new Map<string, Set<string>>();
  const groups = item.groups.map((group) =>
    group
      .map((alt) => {
        const ws = words(alt);
        const valueSlots = new Set<number>();
        ws.forEach((w, index) => {
          const v = valueOf(w);
          if (v === null) return;
          valueSlots.add(index);
          if (!accepted.has(v.kind)) accepted.set(v.kind, new Set());
          accepted.get(v.kind)!.add(v.value);
        });
        return { words: ws, valueSlots };
      })
      .filter((a) => a.words.length > 0),
  );
  return { item, groups, accepted };
}

/** A rival value: a word of a class the item has values in, with a value the item does not accept. */
function isRival(word: string, accepted: Map<string, Set<string>>): boolean {
  const v = valueOf(word);
  return v !== null && accepted.has(v.kind) && !accepted.get(v.kind)!.has(v.value);
}

/** The item stated in the sentence (every group has an alternative that occurs in it). */
function statedIn(ws: readonly string[], c: CompiledItem): boolean {
  return c.groups.every((g) => g.some((alt) => occurs(ws, alt.words)));
}

/**
 * The sentence names the item's subject and a rival value. The subject: every group that is not made
 * of value words only, each alternative with its value words as wildcards ("red moves _" of "red moves
 * left"; "red", "circle" of [red] [circle] [left]). So "red moves right", "red moves left or right" and
 * "the red circle moves up, down and left" name a rival; "blue moves right" does not.
 */
function rivalIn(ws: readonly string[], c: CompiledItem): boolean {
  if (c.accepted.size === 0 || !ws.some((w) => isRival(w, c.accepted))) return false;
  const subject = c.groups.filter((g) => !g.every((alt) => alt.valueSlots.size === alt.words.length));
  return subject.every((g) => g.some((alt) => occurs(ws, alt.words, alt.valueSlots)));
}

/** Whether the observation states the item, and does not also name a rival value for its subject. */
export function itemStated(observation: string, item: ChecklistItem): boolean {
  const c = compile(item);
  if (c.groups.length === 0 || c.groups.some((g) => g.length === 0)) return false;
  const ss = sentences(observation).map(words);
  return ss.some((ws) => statedIn(ws, c)) && !ss.some((ws) => rivalIn(ws, c));
}

// ---- items of a record ------------------------------------------------------------------------------

export function itemOfFact(fact: SceneFact): ChecklistItem {
  return { id: fact.id, text: fact.text, groups: fact.mentions.length > 0 ? fact.mentions : [[fact.text]] };
}

/** An item from a dataset string: the whole phrase. */
export function itemOfPhrase(phrase: string, index: number): ChecklistItem {
  return { id: `fact${index}`, text: phrase, groups: [[phrase]] };
}

/**
 * The record's checklist: `field` (a list of strings, or a string holding a JSON / Python list or one
 * fact per line) when given, else its scene facts. Throws with the reason when there is none.
 */
export function checklistOf(record: RolloutRecord, field?: string): ChecklistItem[] {
  if (field !== undefined) {
    const value = record[field];
    if (value === undefined || value === null) throw new Error(`no field '${field}' on the record (the checklist judge reads its key facts there)`);
    if (!Array.isArray(value) && typeof value !== 'string') throw new Error(`field '${field}' is not a list of strings: ${JSON.stringify(value)?.slice(0, 80)}`);
    const phrases = normalizeOptions(value).map((s) => s.trim()).filter((s) => words(s).length > 0);
    if (phrases.length === 0) throw new Error(`field '${field}' holds no key facts`);
    return phrases.map(itemOfPhrase);
  }
  const facts = record.facts;
  if (!Array.isArray(facts) || facts.length === 0) throw new Error('no scene facts on the record (the checklist judge needs `facts`, or checklist:FIELD)');
  return facts.map(itemOfFact);
}

export interface ChecklistResult {
  /** Stated items / all items. */
  score: number;
  stated: ChecklistItem[];
  missing: ChecklistItem[];
}

export function checklistScore(observation: string, items: readonly ChecklistItem[]): ChecklistResult {
  const stated: ChecklistItem[] = [];
  const missing: ChecklistItem[] = [];
  for (const item of items) (itemStated(observation, item) ? stated : missing).push(item);
  return { score: items.length ? stated.length / items.length : 0, stated, missing };
}

// ---- the judge ------------------------------------------------------------------------------------

/**
 * Perception accuracy = the fraction of the record's key facts the observation states (`score`); the
 * binary verdict is 1 when every fact is stated. `field`: read the facts from that record field.
 */
export class ChecklistJudge implements PerceptionJudge {
  readonly name: string;
  readonly stats = { calls: 0, cacheHits: 0, failures: 0, requests: 0 };

  constructor(readonly field?: string) {
    if (field === '') throw new Error('ChecklistJudge: an empty field name (use checklist for scene facts, checklist:FIELD for a field)');
    this.name = field === undefined ? 'checklist' : `checklist:${field}`;
  }

  async judge(request: JudgeRequest): Promise<JudgeVerdict> {
    this.stats.calls++;
    let items: ChecklistItem[];
    try {
      items = checklistOf(request.record, this.field);
    } catch (e) {
      this.stats.failures++;
      return { verdict: 0, score: 0, error: (e as Error).message };
    }
    const r = checklistScore(request.observation, items);
    const explanation =
      `${r.stated.length} of ${items.length} key facts stated` + (r.missing.length ? `; missing: ${r.missing.map((i) => i.text).join('; ')}` : '');
    return { verdict: r.missing.length === 0 ? 1 : 0, score: r.score, explanation };
  }
}
