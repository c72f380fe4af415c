// Issue 11, symptoms: each test here failed before its fix.
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../src/rollouts/importers';
import { enc } from '../fixtures/inspect_fixtures';

describe('import errors say what is wrong', () => {
  it('names an empty file (0 bytes or blank lines)', async () => {
    await expect(parseFile({ name: 'e.jsonl', bytes: new Uint8Array(0) }, { runId: 'r' })).rejects.toThrow(/e\.jsonl: empty file/);
    await expect(parseFile({ name: 'e.jsonl', bytes: enc('\n  \n\n') }, { runId: 'r' })).rejects.toThrow(/e\.jsonl: empty file/);
  });

  it('names a binary file, such as a PNG renamed to .jsonl', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    await expect(parseFile({ name: 'shot.jsonl', bytes: png }, { runId: 'r' })).rejects.toThrow(/shot\.jsonl: binary file \(PNG image\)/);
    const nul = enc('abc\u0000def\n');
    await expect(parseFile({ name: 'b.jsonl', bytes: nul }, { runId: 'r' })).rejects.toThrow(/binary file \(NUL bytes\)/);
  });

  it('names the first line that is not JSON, even on a long line of garbage, with a bounded message', async () => {
    const garbage = 'garbage '.repeat(200_000); // 1.6 MB on one line
    const err = await parseFile({ name: 'g.jsonl', bytes: enc(garbage) }, { runId: 'r' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^g\.jsonl: not JSON at line 1\b/);
    expect((err as Error).message.length).toBeLessThan(400);
    await expect(parseFile({ name: 'h.jsonl', bytes: enc('\n\nnot json\n{"a": [1,\n') }, { runId: 'r' })).rejects.toThrow(/not JSON at line 3\b/);
    await expect(parseFile({ name: 'n.jsonl', bytes: enc('1\n2\n') }, { runId: 'r' })).rejects.toThrow(/line 1 is a JSON number, not a record/);
  });

  it('still names unrecognised records by their keys', async () => {
    await expect(parseFile({ name: 'x.jsonl', bytes: enc('{"foo": 1}') }, { runId: 'r' })).rejects.toThrow(/unrecognised records \(keys: foo\)/);
  });
});
