// Next-token sampling from one row of logits: temperature and nucleus (top-p), seeded. Pure; the
// decoder reads B rows of logits back per generated position and samples them here.

import type { Rng } from '../util/rng';

export interface SamplingOptions {
  /** Softmax temperature; 0 means greedy (argmax). Video-R1 rollouts: 1.0. */
  temperature: number;
  /** Keep the smallest set of tokens whose probability reaches topP (1 keeps all). Video-R1: 0.95. */
  topP: number;
}

export interface Sampled {
  id: number;
  /**
   * log π(id) under softmax(logits / temperature) over the FULL vocabulary (before top-p
   * truncation), the quantity the PPO/GRPO ratio's old log-prob uses (TRL, verl). Greedy: at T = 1.
   */
  logp: number;
}

/** Log-softmax of logits / temperature at `id`, in float64. */
export function logProb(logits: ArrayLike<number>, id: number, temperature = 1): number {
  let max = -Infinity;
  for (let v = 0; v < logits.length; v++) max = Math.max(max, logits[v] / temperature);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) sum += Math.exp(logits[v] / temperature - max);
  return logits[id] / temperature - max - Math.log(sum);
}

export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): Sampled {
  const V = logits.length;
  if (o.temperature <= 0) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
    return { id: best, logp: logProb(logits, best, 1) };
  }
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[v] / o.temperature);
  const p = new Float64Array(V);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += p[v] = Math.exp(logits[v] / o.temperature - max);
  for (let v = 0; v < V; v++) p[v] /= sum;
  // Nucleus: sort by probability (ties by id, so the result is deterministic), keep until topP.
  const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => p[b] - p[a] || a - b);
  let kept = 0;
  let mass = 0;
  while (kept < V && (kept === 0 || mass < o.topP)) mass += p[order[kept++]];
  let u = rng.next() * mass;
  let id = order[kept - 1];
  for (let i = 0; i < kept; i++) {
    u -= p[order[i]];
    if (u < 0) {
      id = order[i];
      break;
    }
  }
  return { id, logp: Math.log(p[id]) };
}
