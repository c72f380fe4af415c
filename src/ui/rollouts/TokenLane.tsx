// Per-token lane (when the source logged token arrays): each token's background is the chosen
// channel (advantage, ratio, log-prob, entropy…) on a diverging or sequential scale; hover shows values.

import { useId, useState } from 'react';
import { TOKEN_CHANNELS, type TokenChannel, type TokenLane as Lane } from '../../rollouts/record';
import { fmt } from './Text';

const DIVERGING = new Set<TokenChannel>(['advantage', 'tokenReward', 'value']);

function colour(v: number, lo: number, hi: number, diverging: boolean): string {
  if (!Number.isFinite(v)) return 'transparent';
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const t = Math.max(-1, Math.min(1, v / m));
    return t >= 0 ? `rgba(47, 158, 68, ${0.08 + 0.6 * t})` : `rgba(224, 49, 49, ${0.08 + 0.6 * -t})`;
  }
  const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  return `rgba(59, 91, 219, ${0.08 + 0.6 * t})`;
}

export function TokenLane({ lane }: { lane: Lane }) {
  const channels = TOKEN_CHANNELS.filter((c) => lane[c]?.length === lane.tokens.length);
  const [channel, setChannel] = useState<TokenChannel>(channels[0] ?? 'advantage');
  // One radio group per lane: a page-wide name would make every card's radios one group (issue 11).
  const name = `lane-${useId()}`;
  const values = lane[channel] ?? [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  return (
    <div className="token-lane" data-testid="token-lane">
      <div className="lane-controls">
        per-token{' '}
        {channels.map((c) => (
          <label key={c}>
            <input type="radio" name={name} value={c} checked={c === channel} onChange={() => setChannel(c)} /> {c}
          </label>
        ))}
        <span className="note">
          {' '}
          range {fmt(lo)} … {fmt(hi)}
        </span>
      </div>
      <div className="lane-text">
        {lane.tokens.map((t, i) => (
          <span
            key={i}
            className="tok"
            style={{ background: colour(values[i], lo, hi, DIVERGING.has(channel)) }}
            title={channels.map((c) => `${c}: ${fmt(lane[c]![i], 4)}`).join('\n')}
          >
            {t}
          </span>
        ))}
      </div>
    </div>
  );
}
