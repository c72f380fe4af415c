// Untrusted text rendered safely: only React text nodes (never innerHTML), with search hits as <mark>.

import { findMatches, highlightPieces } from '../../rollouts/search';

export function HighlightedText({ text, query, className }: { text: string; query: string; className?: string }) {
  if (!query) return <span className={className}>{text}</span>;
  const pieces = highlightPieces(text, findMatches(text, query));
  return (
    <span className={className}>
      {pieces.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </span>
  );
}

export const fmt = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined ? '–' : Number.isNaN(x) ? 'NaN' : !Number.isFinite(x) ? (x > 0 ? '∞' : '−∞') : Number.isInteger(x) ? String(x) : x.toFixed(digits);

/** A signed value with a colour class: positive green, negative red. */
export function Signed({ value, testId }: { value: number | null | undefined; testId?: string }) {
  const cls = value === null || value === undefined || Number.isNaN(value) || value === 0 ? 'zero' : value > 0 ? 'pos' : 'neg';
  return (
    <span className={`signed ${cls}`} data-testid={testId}>
      {value !== null && value !== undefined && value > 0 ? '+' : ''}
      {fmt(value)}
    </span>
  );
}
