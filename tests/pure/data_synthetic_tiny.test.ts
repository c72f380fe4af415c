import { describe, expect, it } from 'vitest';
import { DEFAULT_SYNTHETIC, makeScene, renderFrame, type SyntheticOptions } from '../../src/data/synthetic';
import { TINY_FAMILIES, makeTinyQuestions } from '../../src/data/synthetic_tiny';
import { factStated, RuleJudge } from '../../src/rewards/judge';
import { parseCompletion } from '../../src/rewards/template';
import { accuracyReward } from '../../src/rewards/accuracy';
import { PRESET_SYNTHETIC, syntheticRlPrompts } from '../../src/train/rl_data';

const OPTS: SyntheticOptions = { ...DEFAULT_SYNTHETIC, seed: 7, videos: 300, frames: 8, width: 32, height: 32, difficulty: 'lab' };
const scenes = Array.from({ length: 300 }, (_, i) => makeScene(OPTS, i));

describe('the tiny task families', () => {
  it("use 'lab' scenes: 2 or 3 objects of distinct colours, no text, every object visible from the first frame", () => {
    for (const s of scenes) {
      expect(s.objects.length).toBeGreaterThanOrEqual(2);
      expect(s.objects.length).toBeLessThanOrEqual(3);
      expect(new Set(s.objects.map((o) => o.color)).size).toBe(s.objects.length);
      expect(s.objects.every((o) => o.appear === 0)).toBe(true);
      expect(s.text.to).toBeLessThan(s.text.from);
    }
    // No text pixels: a frame holds only background and object colours.
    const px = renderFrame(scenes[0], 0);
    for (let i = 0; i < px.length; i += 4) expect(px[i] === 245 && px[i + 1] === 245 && px[i + 2] === 245).toBe(false);
  });

  it('ask one question per family, with gold CoTs the parser, the rule judge and the accuracy reward accept', async () => {
    const judge = new RuleJudge();
    for (const s of scenes.slice(0, 60)) {
      const records = makeTinyQuestions(OPTS, s);
      expect(records.map((r) => r.family)).toEqual([...TINY_FAMILIES]);
      for (const r of records) {
        const parsed = parseCompletion(r.output!);
        expect(parsed.formatFull, r.problem_id as string).toBe(true);
        const verdict = await judge.judge({ record: r, observation: parsed.observation!.text } as never);
        expect(verdict.verdict, `${r.problem_id}: ${verdict.explanation}`).toBe(1);
        const gt = r.solution.replace(/^<answer>|<\/answer>$/g, '');
        expect(accuracyReward(r.problem_type, parsed.extractedAnswer, gt)).toBe(1);
      }
    }
  });

  it('credit an observation only for the right colour-direction pairs, not for listing every direction', () => {
    const [dir, , same] = makeTinyQuestions(OPTS, scenes.find((s) => s.objects.length === 2)!);
    const o = dir.facts![0];
    const [colour, , direction] = o.text.split(' ');
    const wrong = ['left', 'right', 'up', 'down'].find((d) => d !== direction)!;
    expect(factStated(`${colour} moves ${wrong}; left right up down`, o)).toBe(false);
    expect(factStated(o.text, o)).toBe(true);
    const [a, b] = same.facts!;
    const swapped = `${a.text.split(' ')[0]} moves ${b.text.split(' ')[2]}; ${b.text.split(' ')[0]} moves ${a.text.split(' ')[2]}`;
    if (a.text.split(' ')[2] !== b.text.split(' ')[2]) expect(factStated(swapped, a) && factStated(swapped, b)).toBe(false);
  });

  it('name the direction by its letter in a fixed option order, and answer about half the "same way?" questions "same way"', () => {
    const records = scenes.flatMap((s) => makeTinyQuestions(OPTS, s));
    const direction = records.filter((r) => r.family === 'direction');
    expect(new Set(direction.map((r) => r.solution)).size).toBe(4);
    for (const r of direction) {
      expect(r.options).toEqual(['A.up', 'B.down', 'C.left', 'D.right']);
      const letter = r.solution.charAt(8);
      expect(r.output).toContain(`moves ${r.options['ABCD'.indexOf(letter)].slice(2)}</observation>`);
    }
    const yes = records.filter((r) => r.family === 'same' && r.solution === '<answer>same way</answer>').length / scenes.length;
    expect(yes).toBeGreaterThan(0.35);
    expect(yes).toBeLessThan(0.65);
  });

  it('are what the tiny preset trains on, one-line prompts with their family', () => {
    const ps = syntheticRlPrompts(4, 1, PRESET_SYNTHETIC.tiny);
    expect(ps).toHaveLength(12);
    expect(ps.map((p) => p.family)).toEqual([0, 1, 2, 3].flatMap(() => [...TINY_FAMILIES]));
    for (const p of ps) expect(p.prompt).not.toContain('\n');
  });
});
