import { describe, expect, it } from 'vitest';
import { compileFilter, FilterSyntaxError, parseFilter } from '../../src/rollouts/filter';
import { diffWords, findMatches, highlightPieces } from '../../src/rollouts/search';
import { csvField, groupMarkdown, toCsv, toJsonl } from '../../src/rollouts/export';
import { importFiles } from '../../src/rollouts/importers';
import { sortRollouts, summarizeSteps } from '../../src/rollouts/group';
import type { Rollout } from '../../src/rollouts/record';
import { enc, syntheticRun, verlStepJsonl } from '../fixtures/inspect_fixtures';

function rollout(p: Partial<Rollout>): Rollout {
  return {
    id: 'x', runId: 'r', split: 'train', step: 3, groupId: 'g', sampleIdx: 0, prompt: 'Which way?', completion: '<observation>red moves left</observation> <think>so A</think><answer>A</answer>',
    groundTruth: 'A', rewards: { score: 2 }, perception: { accuracy: 0, format: 1, length: 0, total: 1 }, reasoning: { accuracy: 1, format: 1, length: 0.2, total: 2.2 },
    advantage: null, advantages: { perception: -0.5, reasoning: 1.2, grpo: 0.7, source: 'rescored' }, tokens: null, extra: { tag: 'hard' }, source: { format: 'verl', file: '3.jsonl' }, raw: null, ...p,
  };
}

describe('filter expressions', () => {
  const r = rollout({});
  const t = (src: string) => compileFilter(src)(r);

  it('selects the right-answer-on-failed-perception slice', () => {
    expect(t('perception.accuracy == 0 and reasoning.accuracy == 1')).toBe(true);
    expect(t('perception.accuracy == 1 and reasoning.accuracy == 1')).toBe(false);
    expect(t('quadrant == "PlRh"')).toBe(true);
  });

  it('knows precedence: not > and > or, and parentheses', () => {
    expect(t('step < 2 or step == 3 and sample == 0')).toBe(true);
    expect(t('(step < 2 or step == 3) and sample == 1')).toBe(false);
    expect(t('not step < 2')).toBe(true);
    expect(t('adv.reasoning - adv.perception > 1.5')).toBe(true);
    expect(t('-adv.perception == 0.5')).toBe(true);
  });

  it('reads text, segments, rewards and extra columns', () => {
    expect(t('observation contains "LEFT"')).toBe(true);
    expect(t('answer == "A" and gt == "A"')).toBe(true);
    expect(t('completion matches "moves\\\\s+left"')).toBe(true);
    expect(t('score >= 2 and rewards.score == 2')).toBe(true);
    expect(t('extra.tag == "hard"')).toBe(true);
    expect(t('len(think) == 4 and abs(adv.perception) < 1')).toBe(true);
  });

  it('treats unknown fields as never matching, and == null as missing', () => {
    expect(t('nosuch > 0')).toBe(false);
    expect(t('nosuch != 1')).toBe(false);
    expect(t('nosuch == null')).toBe(true);
    expect(t('advantage == null')).toBe(true);
  });

  it('reports syntax errors with a position and never evaluates code', () => {
    expect(() => parseFilter('step ==')).toThrow(FilterSyntaxError);
    expect(() => parseFilter('step == 1 )')).toThrow(/unexpected/);
    expect(() => parseFilter('alert(1)')).toThrow(/unknown function/);
    expect(() => parseFilter('constructor.constructor("x")()')).toThrow(FilterSyntaxError);
    try {
      parseFilter('step @ 3');
    } catch (e) {
      expect((e as FilterSyntaxError).position).toBe(5);
    }
  });
});

describe('search and diff', () => {
  it('finds case-insensitive matches and splits text into highlight pieces', () => {
    const ranges = findMatches('Left, then left again', 'left');
    expect(ranges).toEqual([
      [0, 4],
      [11, 15],
    ]);
    expect(highlightPieces('Left, then left again', ranges).filter((p) => p.hit).map((p) => p.text)).toEqual(['Left', 'left']);
  });

  it('diffs two rollouts word by word', () => {
    const d = diffWords('the red circle moves left', 'the blue circle moves right');
    expect(d.filter((p) => p.op === 'del').map((p) => p.text)).toEqual(['red', 'left']);
    expect(d.filter((p) => p.op === 'add').map((p) => p.text)).toEqual(['blue', 'right']);
    expect(d.filter((p) => p.op !== 'add').map((p) => p.text).join('')).toBe('the red circle moves left');
  });
});

describe('exports', () => {
  it('writes CSV with quoting and neutralises formula injection', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"\n')).toBe('"say ""hi""\n"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    const csv = toCsv([rollout({})]);
    const [header, row] = csv.split('\r\n');
    expect(header.split(',')).toEqual(expect.arrayContaining(['perception.accuracy', 'reasoning.total', 'adv.grpo', 'rewards.score', 'quadrant']));
    expect(row).toContain('PlRh');
  });

  it('writes JSON Lines that re-import with NaN intact', async () => {
    const jsonl = toJsonl([rollout({ rewards: { score: NaN } })]);
    expect(jsonl).toContain('"score":NaN');
    const res = await importFiles([{ name: 'e.jsonl', bytes: enc(jsonl) }], { runId: 'again' });
    expect(res.rollouts[0].rewards.score).toBeNaN();
  });

  it('copies a group as Markdown with both processes and all three advantages', () => {
    const md = groupMarkdown([rollout({}), rollout({ sampleIdx: 1, completion: 'a | b ``` c' })]);
    expect(md).toContain('| # | quadrant | perception R_P | reasoning R_R | A_P | A_R | A_GRPO | answer |');
    expect(md).toContain('P low · R high');
    expect(md).toContain('-0.500');
    expect(md).not.toMatch(/a \| b ``` c/);
  });
});

describe('group summaries', () => {
  it('counts collapsed groups and quadrants per step, and sorts a group by advantage', async () => {
    const res = await importFiles([1, 2].map((s) => ({ name: `${s}.jsonl`, bytes: enc(verlStepJsonl(syntheticRun(2, 4), s)) })), { runId: 'r' });
    const steps = summarizeSteps(res.rollouts);
    expect(steps.map((s) => s.step)).toEqual([1, 2]);
    expect(steps[0].groups).toBe(3);
    expect(Object.values(steps[0].quadrants).reduce((a, b) => a + b, 0)).toBe(12);
    const g = res.rollouts.filter((r) => r.step === 1 && r.groupId === res.rollouts[0].groupId);
    const sorted = sortRollouts(g, 'advReasoning');
    for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1].advantages!.reasoning).toBeGreaterThanOrEqual(sorted[i].advantages!.reasoning);
  });
});
