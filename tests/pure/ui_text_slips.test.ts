// Issue 11, text slips: the Datasets summary said "imported 1000 imported". Rendered to static markup
// (no browser needed); the run dashboard's header is checked in tests/browser/inspector_issue11.test.ts.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DatasetSummary } from '../../src/ui/datasets/DatasetImport';

const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('text slips', () => {
  it('says "imported" once in a complete dataset import summary', () => {
    const progress = { state: 'complete', cursor: 1000, total: null, imported: 1000, skipped: 0, keptWithoutMedia: 0, byReason: {}, issues: [] } as const;
    const t = text(renderToStaticMarkup(createElement(DatasetSummary, { progress: { ...progress, byReason: {}, issues: [] }, name: 'videor1.jsonl' })));
    expect(t).toContain('videor1.jsonl: done — 1000 imported, 0 skipped');
    expect(t.match(/imported/g)).toHaveLength(1);
  });
});
