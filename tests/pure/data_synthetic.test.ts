// The synthetic generator: deterministic scenes and pixels, five problem types per video, facts the
// rule judge can check, and gold CoTs that the rewards module scores as perfect.
import { describe, expect, it } from 'vitest';
import { COLORS, COMPACT_MAX_BYTES, DIFFICULTY, QUESTION_TYPES, compactPrompt, makeCompactQuestions, makeQuestions, makeScene, position, renderFrame, syntheticEntries, type SyntheticOptions } from '../../src/data/synthetic';
import { makeConfig } from '../../src/model/config';
import { makeBatch } from '../../src/model/batch';
import { encode } from '../../src/model/tokenizer';
import { PRESET_SYNTHETIC, syntheticRlPrompts } from '../../src/train/rl_data';

const LETTERS = 'ABCD';
import { factStated } from '../../src/rewards/judge';
import { parseCompletion } from '../../src/rewards/template';
import { accuracyReward } from '../../src/rewards/accuracy';

const OPTS: SyntheticOptions = { seed: 42, videos: 40, frames: 8, width: 64, height: 64, fps: 2, difficulty: 'medium' };

function pixel(px: Uint8Array, width: number, x: number, y: number): number[] {
  const i = 4 * (Math.floor(y) * width + Math.floor(x));
  return Array.from(px.subarray(i, i + 4));
}

describe('synthetic scenes', () => {
  it('are a pure function of the seed and the video index', () => {
    expect(makeScene(OPTS, 7)).toEqual(makeScene(OPTS, 7));
    expect(renderFrame(makeScene(OPTS, 7), 3)).toEqual(renderFrame(makeScene(OPTS, 7), 3));
    expect(makeScene(OPTS, 7)).not.toEqual(makeScene(OPTS, 8));
    expect(makeScene({ ...OPTS, seed: 43 }, 7)).not.toEqual(makeScene(OPTS, 7));
  });

  it('keeps every object inside the frame and names each colour and shape once', () => {
    for (let v = 0; v < OPTS.videos; v++) {
      const scene = makeScene({ ...OPTS, difficulty: 'hard' }, v);
      const names = scene.objects.map((o) => `${o.color} ${o.shape}`);
      expect(new Set(names).size).toBe(names.length);
      for (const o of scene.objects) {
        for (let t = o.appear; t < scene.frames; t++) {
          const [x, y] = position(o, t);
          expect(x - o.radius).toBeGreaterThanOrEqual(0);
          expect(y - o.radius).toBeGreaterThanOrEqual(0);
          expect(x + o.radius).toBeLessThanOrEqual(scene.width);
          expect(y + o.radius).toBeLessThanOrEqual(scene.height);
        }
      }
    }
  });

  it('draws each object in its colour at its centre, only from the frame it appears', () => {
    const opts = { ...OPTS, difficulty: 'easy' as const };
    for (let v = 0; v < 10; v++) {
      const scene = makeScene(opts, v);
      for (const o of scene.objects) {
        const covered = scene.objects.some((p) => p !== o && p.appear <= scene.frames - 1 && Math.hypot(...position(p, scene.frames - 1).map((c, k) => c - position(o, scene.frames - 1)[k]) as [number, number]) < p.radius + o.radius + 1);
        const [x, y] = position(o, scene.frames - 1);
        const [tx0, ty0, tw] = [scene.text.x, scene.text.y, scene.text.value.length * 6 * scene.text.scale];
        const underText = scene.text.to === scene.frames - 1 && x >= tx0 - 1 && x <= tx0 + tw + 1 && y >= ty0 - 1 && y <= ty0 + 8 * scene.text.scale;
        if (covered || underText) continue;
        expect(pixel(renderFrame(scene, scene.frames - 1), scene.width, x, y)).toEqual([...COLORS[o.color], 255]);
        if (o.appear > 0) expect(pixel(renderFrame(scene, o.appear - 1), scene.width, ...position(o, o.appear - 1))).not.toEqual([...COLORS[o.color], 255]);
      }
    }
  });

  it('shows the on-screen text only during its interval', () => {
    const scene = makeScene({ ...OPTS, difficulty: 'easy' }, 3);
    const white = (t: number) => {
      const px = renderFrame(scene, t);
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] === 245 && px[i + 1] === 245 && px[i + 2] === 245) n++;
      return n;
    };
    for (let t = 0; t < scene.frames; t++) expect(white(t) > 0).toBe(t >= scene.text.from && t <= scene.text.to);
  });

  it('adds noise on harder settings and none on easy ones', () => {
    expect(DIFFICULTY.easy.noise).toBe(0);
    const scene = makeScene({ ...OPTS, difficulty: 'hard' }, 1);
    const px = renderFrame(scene, 0);
    const values = new Set<number>();
    for (let i = 0; i < 400; i += 4) values.add(px[i]);
    expect(values.size).toBeGreaterThan(5);
  });

  it('finds collisions where two shapes overlap', () => {
    let found = 0;
    for (let v = 0; v < 100; v++) {
      const scene = makeScene({ ...OPTS, difficulty: 'hard' }, v);
      for (const c of scene.collisions) {
        const [a, b] = [scene.objects[c.a], scene.objects[c.b]];
        const [ax, ay] = position(a, c.frame);
        const [bx, by] = position(b, c.frame);
        expect(Math.hypot(ax - bx, ay - by)).toBeLessThan(a.radius + b.radius);
        found++;
      }
    }
    expect(found).toBeGreaterThan(0);
  });
});

describe('synthetic questions', () => {
  const all = Array.from({ length: OPTS.videos }, (_, v) => makeQuestions(OPTS, makeScene(OPTS, v))).flat();

  it('ask one question of each of the five problem types per video', () => {
    expect(all.length).toBe(OPTS.videos * 5);
    expect(all.slice(0, 5).map((r) => r.problem_type)).toEqual(QUESTION_TYPES);
    expect(new Set(all.map((r) => r.problem_id)).size).toBe(all.length);
  });

  it('give multiple-choice options as lettered choices containing the answer', () => {
    for (const r of all.filter((r) => r.problem_type === 'multiple choice')) {
      expect(r.options.length).toBe(4);
      r.options.forEach((o, i) => expect(o.startsWith(`${'ABCD'[i]}. `)).toBe(true));
      expect(r.solution).toMatch(/^<answer>[ABCD]<\/answer>$/);
    }
    for (const r of all.filter((r) => r.problem_type !== 'multiple choice')) expect(r.options).toEqual([]);
  });

  it('state each fact in its own canonical text', () => {
    for (const r of all) {
      expect(r.facts!.length).toBeGreaterThan(0);
      for (const f of r.facts!) expect(factStated(f.text, f), `${r.problem_id} ${f.id}: ${f.text}`).toBe(true);
    }
  });

  it('carry a gold CoT that the template parser, the rule judge and the accuracy reward all accept', () => {
    for (const r of all) {
      const parsed = parseCompletion(r.output!);
      expect(parsed.formatFull, `${r.problem_id}: ${parsed.issues.join(', ')}`).toBe(true);
      expect(parsed.observation!.text).toMatch(/^Based on the question, I need to notice/);
      expect(parsed.think!.text).toMatch(/^Based on the observations,/);
      for (const f of r.facts!) expect(factStated(parsed.observation!.text, f), `${r.problem_id} ${f.id}`).toBe(true);
      const gt = r.solution.replace(/^<answer>|<\/answer>$/g, '');
      expect(parsed.extractedAnswer).toBe(gt);
      expect(accuracyReward(r.problem_type, parsed.extractedAnswer, gt)).toBeCloseTo(1, 6);
    }
  });

  it('leave out facts the question does not need, so a wrong observation fails the judge', () => {
    const r = all.find((r) => r.problem_type === 'OCR')!;
    expect(r.facts!.every((f) => factStated('I see some shapes moving.', f))).toBe(false);
  });
});

describe('the synthetic source', () => {
  it('resumes at any position with the same entries', async () => {
    const opts = { ...OPTS, videos: 3 };
    const full: unknown[] = [];
    for await (const e of syntheticEntries(opts)) full.push([e.position, e.sample?.record.problem_id]);
    const tail: unknown[] = [];
    for await (const e of syntheticEntries(opts, 7)) tail.push([e.position, e.sample?.record.problem_id]);
    expect(full.length).toBe(15);
    expect(tail).toEqual(full.slice(7));
  });

  it('shares one set of frames between the questions of a video', async () => {
    const it = syntheticEntries({ ...OPTS, videos: 1 });
    const a = (await it.next()).value!;
    const b = (await it.next()).value!;
    expect(a.sample!.frames).toBe(b.sample!.frames);
    expect(a.sample!.frames.length).toBe(OPTS.frames);
    expect(a.sample!.frames[0]).toMatchObject({ encoding: 'rgba8', width: 64, height: 64 });
  });
});

describe('compact questions (the test preset\'s style)', () => {
  const scenes = (difficulty: SyntheticOptions['difficulty']) => Array.from({ length: 120 }, (_, v) => makeScene({ ...OPTS, difficulty }, v));

  it('fit whole in the tiny context after the frames, for every difficulty', () => {
    const model = makeConfig('test').model;
    for (const difficulty of ['easy', 'medium', 'hard'] as const) {
      const opts = { ...OPTS, difficulty };
      let longest = 0;
      for (const scene of scenes(difficulty)) {
        const records = makeCompactQuestions(opts, scene);
        for (const r of records) longest = Math.max(longest, encode(compactPrompt(r)).ids.length + encode(r.output!).ids.length);
        const batch = makeBatch(records.map((r) => ({ frames: [], prompt: compactPrompt(r), completion: r.output! })), model);
        expect(batch.truncated, `${difficulty} video ${scene.index}`).toBe(0);
      }
      expect(longest).toBeLessThanOrEqual(COMPACT_MAX_BYTES);
      expect(longest).toBeGreaterThan(COMPACT_MAX_BYTES - 20); // the budget is used, not a loose bound
    }
  });

  it('ask the five problem types of the same scene, with gold CoTs the parser, the judge and the accuracy reward accept', () => {
    for (const scene of scenes('medium')) {
      const records = makeCompactQuestions(OPTS, scene);
      expect(records.map((r) => r.problem_type)).toEqual(QUESTION_TYPES);
      for (const r of records) {
        expect(r.problem_id).toMatch(/c$/);
        const parsed = parseCompletion(r.output!);
        expect(parsed.formatFull, `${r.problem_id}: ${parsed.issues.join(', ')}`).toBe(true);
        expect(r.facts!.length).toBeGreaterThan(0);
        for (const f of r.facts!) expect(factStated(parsed.observation!.text, f), `${r.problem_id} ${f.id}`).toBe(true);
        const gt = r.solution.replace(/^<answer>|<\/answer>$/g, '');
        expect(accuracyReward(r.problem_type, parsed.extractedAnswer, gt)).toBeCloseTo(1, 6);
      }
      // The same scene facts as the full style: the direction question names a real object's motion.
      const mc = records[0];
      const o = scene.objects.find((o) => mc.problem.includes(`${o.color} ${o.shape}`))!;
      expect(mc.options[LETTERS.indexOf(mc.solution.charAt(8))]).toBe(`${mc.solution.charAt(8)}.${o.direction}`);
    }
  });

  it('are what `demo` trains on: syntheticRlPrompts in the full style, multi-line prompts; compact ones stay one line', () => {
    const ps = syntheticRlPrompts(3, 1, { ...PRESET_SYNTHETIC.demo, style: 'compact' });
    expect(ps).toHaveLength(15);
    for (const p of ps) {
      expect(p.prompt).not.toContain('\n');
      expect(p.gold!.length + p.prompt.length).toBeLessThanOrEqual(COMPACT_MAX_BYTES);
    }
    expect(syntheticRlPrompts(3, 1, PRESET_SYNTHETIC.demo)[0].prompt).toContain('\n');
  });
});
