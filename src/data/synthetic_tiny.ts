// The tiny preset's task families: short questions about the same kind of synthetic scenes (difficulty
// 'lab': 2 or 3 objects of distinct colours, no text, no noise), chosen so that a model of ~100k
// parameters trained for minutes on a CPU can learn them, and so that perception and reasoning can fail
// separately (README, "Learning on a CPU"):
//
// - direction (multiple choice): where does one object move? Needs motion (first vs last frame), then
//   the step from the direction to its option letter. The options are always in the order
//   A.up B.down C.left D.right: with a shuffled order the letter is a lookup into the prompt that the
//   two-layer tiny model had not learned after 600 steps of a prototype (the letter stayed at chance
//   while the direction word was right 3 times in 4), so that lookup would only measure the budget.
// - count (numerical): how many objects? One observed fact, answered directly.
// - same (free-form): do two objects move the same way? Needs two observed facts and a comparison;
//   the answer is "same way" or "different ways" (two words, so Video-R1's free-form reward, the mean
//   of ROUGE-1, -2 and -L, reaches 1 for a right answer); about half are "same way".
//
// Each record carries its scene facts for the rule judge as whole phrases ("red moves left"), so an
// observation that lists every direction, or pairs a colour with another object's direction, is not
// credited. Pure TypeScript: Node, workers and the browser generate the same questions.

import { Rng } from '../util/rng';
import { DIRECTION_WORDS, LETTERS, NUMBER_WORDS, mix, type Scene, type SceneObject, type SyntheticOptions } from './synthetic';
import type { DataRecord, ProblemType, SceneFact } from './types';

export const TINY_FAMILIES = ['direction', 'count', 'same'] as const;
export type TinyFamily = (typeof TINY_FAMILIES)[number];
export const TINY_FAMILY_TYPES: Record<TinyFamily, ProblemType> = { direction: 'multiple choice', count: 'numerical', same: 'free-form' };

interface TinyQuestion {
  family: TinyFamily;
  problem: string;
  options: string[];
  answer: string;
  facts: SceneFact[];
  observation: string;
  think: string;
}

function motionFact(o: SceneObject, i: number): SceneFact {
  return { id: `object${i}.direction`, text: `${o.color} moves ${o.direction}`, mentions: [DIRECTION_WORDS[o.direction].map((w) => `${o.color} moves ${w}`)] };
}

/** The direction question's options, always in this order. */
export const TINY_DIRECTION_ORDER = ['up', 'down', 'left', 'right'] as const;

function direction(scene: Scene, rng: Rng): TinyQuestion {
  const i = rng.int(scene.objects.length);
  const o = scene.objects[i];
  const dirs = [...TINY_DIRECTION_ORDER];
  const letter = LETTERS[dirs.indexOf(o.direction)];
  return {
    family: 'direction',
    problem: `Where does ${o.color} move?`,
    options: dirs.map((d, k) => `${LETTERS[k]}.${d}`),
    answer: letter,
    facts: [motionFact(o, i)],
    observation: `${o.color} moves ${o.direction}`,
    think: `${o.direction} is ${letter}`,
  };
}

function count(scene: Scene): TinyQuestion {
  const n = scene.objects.length;
  return {
    family: 'count',
    problem: 'How many objects?',
    options: [],
    answer: String(n),
    facts: [{ id: 'count.all', text: `${n} objects`, mentions: [[`${n} objects`, `${NUMBER_WORDS[n]} objects`]] }],
    observation: `${n} objects`,
    think: `count ${n}`,
  };
}

function same(scene: Scene, rng: Rng): TinyQuestion {
  const pairs: [number, number][] = [];
  for (let a = 0; a < scene.objects.length; a++) for (let b = a + 1; b < scene.objects.length; b++) pairs.push([a, b]);
  const alike = pairs.filter(([a, b]) => scene.objects[a].direction === scene.objects[b].direction);
  const unlike = pairs.filter(([a, b]) => scene.objects[a].direction !== scene.objects[b].direction);
  // Prefer a "same way" pair 55% of the time when there is one: with the 'lab' scenes that makes about half
  // the answers yes, so answering from the prior alone stays near chance.
  const pool = alike.length > 0 && (unlike.length === 0 || rng.next() < 0.55) ? alike : unlike;
  const [a, b] = pool[rng.int(pool.length)];
  const [oa, ob] = [scene.objects[a], scene.objects[b]];
  const yes = oa.direction === ob.direction;
  return {
    family: 'same',
    problem: `Do ${oa.color} and ${ob.color} move the same way?`,
    options: [],
    answer: yes ? 'same way' : 'different ways',
    facts: [motionFact(oa, a), motionFact(ob, b)],
    observation: `${oa.color} moves ${oa.direction}; ${ob.color} moves ${ob.direction}`,
    think: yes ? `both ${oa.direction}` : `${oa.direction} and ${ob.direction} differ`,
  };
}

/** The tiny gold CoT: the observed facts, then the reasoning step. */
export function tinyGoldOutput(q: Pick<TinyQuestion, 'observation' | 'think' | 'answer'>): string {
  return `<observation>${q.observation}</observation> <think>${q.think}</think><answer>${q.answer}</answer>`;
}

/** The three tiny records (one per family, in TINY_FAMILIES order) of a scene; ids end in `t`. */
export function makeTinyQuestions(opts: SyntheticOptions, scene: Scene): (DataRecord & { family: TinyFamily })[] {
  const rng = new Rng(mix(opts.seed ^ 0x27d4eb2f, scene.index));
  const questions = [direction(scene, rng), count(scene), same(scene, rng)];
  return questions.map((q, k) => ({
    problem_id: `syn-${opts.seed}-${scene.index}-${k}t`,
    problem: q.problem,
    problem_type: TINY_FAMILY_TYPES[q.family],
    family: q.family,
    options: q.options,
    solution: `<answer>${q.answer}</answer>`,
    data_type: 'video',
    path: `synthetic://seed-${opts.seed}/${opts.difficulty}/video-${scene.index}`,
    data_source: `synthetic/${opts.difficulty}/tiny`,
    facts: q.facts,
    output: tinyGoldOutput(q),
  }));
}
