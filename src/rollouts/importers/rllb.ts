// RL Logging Board JSON Lines (inspector.md §3.4): one object per sample with per-token arrays
// `response_tokens, logprobs, ref_logprobs, values, token_rewards` and a scalar `reward`, merged by
// `step`. Also accepts `advantages`, `entropy`/`entropies`, `ratio`/`ratios` and `old_logprobs`.

import { textOf, type DraftRollout, type TokenLane } from '../record';
import { isRecord, splitColumns, stepFromFileName, toStep } from './common';

const TOKEN_KEYS: Record<string, keyof Omit<TokenLane, 'tokens'>> = {
  logprobs: 'logprob',
  ref_logprobs: 'refLogprob',
  values: 'value',
  token_rewards: 'tokenReward',
  advantages: 'advantage',
  token_advantages: 'advantage',
  entropy: 'entropy',
  entropies: 'entropy',
  ratio: 'ratio',
  ratios: 'ratio',
};
const KNOWN = new Set(['prompt', 'response', 'response_tokens', 'step', 'old_logprobs', ...Object.keys(TOKEN_KEYS)]);

export function looksLikeRllb(row: unknown): boolean {
  return isRecord(row) && 'response' in row && 'prompt' in row && ('response_tokens' in row || 'logprobs' in row || 'token_rewards' in row);
}

const numbers = (v: unknown): number[] | null => (Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : Number(x))) : null);

export function rllbDrafts(rows: readonly { value: unknown; line: number }[], fileName: string): DraftRollout[] {
  const fileStep = stepFromFileName(fileName) ?? 0;
  const drafts: DraftRollout[] = [];
  for (const { value, line } of rows) {
    if (!isRecord(value)) continue;
    const { rewards, extra } = splitColumns(value, KNOWN);
    let tokens: TokenLane | null = null;
    if (Array.isArray(value.response_tokens)) {
      tokens = { tokens: value.response_tokens.map((t) => textOf(t)) };
      for (const [key, channel] of Object.entries(TOKEN_KEYS)) {
        const xs = numbers(value[key]);
        if (xs && xs.length === tokens.tokens.length && tokens[channel] === undefined) tokens[channel] = xs;
      }
      const old = numbers(value.old_logprobs);
      if (!tokens.ratio && old && tokens.logprob && old.length === tokens.logprob.length) tokens.ratio = tokens.logprob.map((lp, i) => Math.exp(lp - old[i]));
    }
    const prompt = textOf(value.prompt);
    drafts.push({
      step: toStep(value.step, fileStep),
      groupKey: prompt,
      prompt,
      completion: textOf(value.response),
      groundTruth: null,
      rewards,
      advantage: null,
      tokens,
      extra,
      line,
      raw: value,
    });
  }
  return drafts;
}
