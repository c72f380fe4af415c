import { describe, expect, it } from 'vitest';
import { extractAnswer, parseCompletion } from '../../src/rewards/template';

const GOOD =
  '<observation>Based on the question, I need to notice the red ball.</observation> ' +
  '<think>Based on the observations, it moves left.</think><answer>B</answer>';

describe('parseCompletion', () => {
  it('finds the three segments of a well-formed completion with their character spans', () => {
    const p = parseCompletion(GOOD);
    const close = GOOD.indexOf('</observation>');
    expect(p.observation).toEqual({
      outer: { start: 0, end: close + 14 },
      inner: { start: 13, end: close },
      text: 'Based on the question, I need to notice the red ball.',
    });
    expect(p.perceptionEnd).toBe(close + '</observation>'.length);
    expect(p.think?.text).toBe('Based on the observations, it moves left.');
    expect(GOOD.slice(p.think!.outer.start, p.think!.outer.end)).toBe('<think>Based on the observations, it moves left.</think>');
    expect(p.answer?.text).toBe('B');
    expect(p.answer?.outer.end).toBe(GOOD.length);
    expect(p.extractedAnswer).toBe('B');
    expect([p.formatPerception, p.formatReasoning, p.formatFull]).toEqual([true, true, true]);
    expect(p.issues).toEqual([]);
  });

  it('accepts any whitespace around and between segments', () => {
    const p = parseCompletion('\n  <observation>o</observation>\n\n<think>t</think>\n<answer> A </answer>\n');
    expect([p.formatPerception, p.formatReasoning, p.formatFull]).toEqual([true, true, true]);
    expect(p.extractedAnswer).toBe('A');
    expect(p.issues).toEqual([]);
  });

  it("gives format 0 and no answer for Fig. 18's '</<observation>' and '<answer>A<answer>'", () => {
    const text = '<observation>I need to notice the ball.</<observation>\n<think>It moves left.</think>\n<answer>A<answer>';
    const p = parseCompletion(text);
    expect([p.formatPerception, p.formatReasoning, p.formatFull]).toEqual([false, false, false]);
    expect(p.extractedAnswer).toBe('');
    expect(p.perceptionEnd).toBeNull();
    expect(p.observation).toBeNull();
    expect(p.answer).toBeNull();
    expect(p.issues.some((i) => i.includes('malformed tag "</"'))).toBe(true);
    expect(p.issues).toContain('repeated <observation> (2 times)');
    expect(p.issues).toContain('repeated <answer> (2 times)');
    expect(p.issues).toContain('unclosed <answer>: no </answer> (truncated?)');
  });

  it("flags a completion truncated inside the answer ('<answer>A' with no close) as reasoning format 0", () => {
    const p = parseCompletion('<observation>o</observation><think>t</think><answer>A');
    expect(p.formatPerception).toBe(true);
    expect(p.formatReasoning).toBe(false);
    expect(p.formatFull).toBe(false);
    expect(p.answer).toBeNull();
    expect(p.think?.text).toBe('t');
    expect(p.extractedAnswer).toBe('');
    expect(p.issues).toContain('unclosed <answer>: no </answer> (truncated?)');
  });

  it('flags a completion cut off in the middle of a tag', () => {
    const p = parseCompletion('<observation>o</observation><think>t</think><ans');
    expect(p.formatReasoning).toBe(false);
    expect(p.issues).toContain('truncated tag "<ans" at the end');
    expect(p.issues).toContain('missing <answer>');
    expect(p.issues.some((i) => i.startsWith('text after the last segment'))).toBe(true);
  });

  it('rejects a repeated <observation> for perception, while the bare full regex still matches', () => {
    const p = parseCompletion('<observation>a</observation><observation>b</observation><think>t</think><answer>A</answer>');
    expect(p.formatPerception).toBe(false);
    expect(p.formatReasoning).toBe(false); // the remainder starts with the second observation
    expect(p.formatFull).toBe(true); // [\s\S]*? stretches over the second observation
    expect(p.observation?.text).toBe('a');
    expect(p.issues).toContain('repeated <observation> (2 times)');
  });

  it('scores a completion without an observation 0 for perception and judges reasoning on the whole text', () => {
    const p = parseCompletion('<think>t</think><answer>C</answer>');
    expect(p.perceptionEnd).toBeNull();
    expect(p.formatPerception).toBe(false);
    expect(p.formatReasoning).toBe(true);
    expect(p.formatFull).toBe(false);
    expect(p.think?.text).toBe('t');
    expect(p.extractedAnswer).toBe('C');
    expect(p.issues).toContain('missing <observation>');
  });

  it('rejects text before the observation and text after the answer', () => {
    const before = parseCompletion('Sure! <observation>o</observation><think>t</think><answer>A</answer>');
    expect(before.formatPerception).toBe(false);
    expect(before.formatReasoning).toBe(true);
    expect(before.issues).toContain('text before the first segment: "Sure!"');
    const after = parseCompletion('<observation>o</observation><think>t</think><answer>A</answer> done');
    expect(after.formatPerception).toBe(true);
    expect(after.formatReasoning).toBe(false);
    expect(after.issues).toContain('text after the last segment: "done"');
  });

  it('takes the scored answer from the first <answer> anywhere, as Video-R1 does, but the answer segment after </think>', () => {
    const p = parseCompletion('<observation>o</observation><answer>A</answer><think>t</think><answer>B</answer>');
    expect(p.extractedAnswer).toBe('A');
    expect(p.answer?.text).toBe('B');
    expect(p.formatReasoning).toBe(false);
  });

  it('ends perception at the first </observation> even when the observation is repeated', () => {
    const text = '<observation>a</observation> x </observation><think>t</think><answer>A</answer>';
    const p = parseCompletion(text);
    expect(p.perceptionEnd).toBe(text.indexOf('</observation>') + 14);
    expect(p.issues).toContain('repeated </observation> (2 times)');
  });

  it("flags broken spellings of the tags but not a '<' in prose", () => {
    const text = '<observation>o</observation>< think>a < b, so I think</think ><Answer>A</answer>';
    const p = parseCompletion(text);
    for (const tag of ['< think>', '</think >', '<Answer>']) {
      expect(p.issues).toContain(`malformed tag ${JSON.stringify(tag)} at ${text.indexOf(tag)}`);
    }
    expect(p.issues.filter((i) => i.startsWith('malformed'))).toHaveLength(3);
  });

  it('reports an empty completion', () => {
    const p = parseCompletion('');
    expect([p.formatPerception, p.formatReasoning, p.formatFull]).toEqual([false, false, false]);
    expect(p.issues).toContain('empty completion');
  });
});

// Expected values from python3: re.search(r'<answer>\s*(.*?)\s*</answer>', t, re.DOTALL).group(1).strip().
describe('extractAnswer', () => {
  it.each([
    ['<answer>\n  A \n</answer>', 'A'],
    ['no tags', ''],
    ['<answer>A</answer><answer>B</answer>', 'A'],
    ['<answer></answer>', ''],
    ['<answer>\x1cA\x1c</answer>', 'A'],
    ['<answer>\ufeffA</answer>', '\ufeffA'],
    ['<answer>A<answer>', ''],
    ['<answer>A<answer>B</answer>', 'A<answer>B'],
    ['<answer>line1\nline2</answer>', 'line1\nline2'],
    ['<answer> </answer>x</answer>', ''],
  ])('extracts %j as %j, as Python does', (text, want) => {
    expect(extractAnswer(text)).toBe(want);
  });
});
