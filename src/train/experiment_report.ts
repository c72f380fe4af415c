// The experiment's summary (scripts/experiment.ts writes it as JSON) as a Markdown table and as an SVG
// of the per-process training reward curves. Pure: strings in, strings out.

import type { Difference } from './experiment_stats';

export interface ExperimentArm {
  arm: string;
  answer_accuracy: number;
  perception_judge_accuracy: number;
  format_perception: number;
  format_reasoning: number;
  by_family: Record<string, { answer_accuracy: number; perception_judge_accuracy: number }>;
  vs_grpo: { answer_accuracy: Difference | null; perception_judge_accuracy: Difference | null };
}

export interface ExperimentSummary {
  command: string;
  settings: { seeds: number[]; sftSteps: number; rlSteps: number; group: number; prompts: number; questions: number; dataSeed?: number; [k: string]: unknown };
  adapter: string;
  minutes: number;
  seedsComplete: number[];
  arms: ExperimentArm[];
  runs: { seed: number; arm: string; curve?: { step: number; perception: number; reasoning: number }[] }[];
}

const f = (x: number, d = 3) => x.toFixed(d);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
const interval = (d: Difference | null) => (d ? `${signed(d.mean)} [${signed(d.low)}, ${signed(d.high)}]` : '—');

export function experimentMarkdown(s: ExperimentSummary): string {
  const families = Object.keys(s.arms[0]?.by_family ?? {});
  const lines = [
    `\`${s.command}\` — ${s.seedsComplete.length} seed(s) (${s.seedsComplete.join(', ')}), ${s.settings.questions} held-out questions each (generator seed ${s.settings.dataSeed}), ` +
      `SFT ${s.settings.sftSteps} steps then ${s.settings.rlSteps} RL steps of ${s.settings.prompts} prompts × ${s.settings.group}; ${s.adapter}; ${f(s.minutes, 1)} min.`,
    '',
    `| arm | answer acc | Δ answer vs GRPO [95% CI] | perception judge acc | Δ judge vs GRPO [95% CI] | format P / R | ${families.map((x) => `${x} answer / judge`).join(' | ')} |`,
    `|---|---|---|---|---|---|${families.map(() => '---|').join('')}`,
  ];
  for (const a of s.arms) {
    lines.push(
      `| ${a.arm} | ${f(a.answer_accuracy)} | ${interval(a.vs_grpo.answer_accuracy)} | ${f(a.perception_judge_accuracy)} | ${interval(a.vs_grpo.perception_judge_accuracy)} | ${f(a.format_perception, 2)} / ${f(a.format_reasoning, 2)} | ` +
        `${families.map((x) => `${f(a.by_family[x].answer_accuracy, 2)} / ${f(a.by_family[x].perception_judge_accuracy, 2)}`).join(' | ')} |`,
    );
  }
  lines.push('', 'Training rewards per process (mean over seeds, first → last RL step): R_P, R_R');
  for (const [arm, c] of meanCurves(s)) {
    if (!c.length) continue;
    lines.push(`- ${arm}: R_P ${f(c[0].perception, 2)} → ${f(c.at(-1)!.perception, 2)}, R_R ${f(c[0].reasoning, 2)} → ${f(c.at(-1)!.reasoning, 2)}`);
  }
  return lines.join('\n');
}

/** Per arm, the curve averaged over the seeds that have it. */
export function meanCurves(s: ExperimentSummary): [string, { step: number; perception: number; reasoning: number }[]][] {
  const arms = [...new Set(s.runs.filter((r) => r.curve).map((r) => r.arm))];
  return arms.map((arm) => {
    const curves = s.runs.filter((r) => r.arm === arm && r.curve).map((r) => r.curve!);
    const n = Math.min(...curves.map((c) => c.length));
    return [arm, Array.from({ length: n }, (_, i) => ({ step: i, perception: curves.reduce((a, c) => a + c[i].perception, 0) / curves.length, reasoning: curves.reduce((a, c) => a + c[i].reasoning, 0) / curves.length }))];
  });
}

const PALETTE = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];

/** Two panels (R_P, R_R) of every arm's mean training reward per RL step. */
export function rewardCurvesSvg(s: ExperimentSummary): string {
  const curves = meanCurves(s).filter(([, c]) => c.length > 0);
  const W = 420;
  const H = 220;
  const pad = 36;
  const panel = (key: 'perception' | 'reasoning', x0: number, title: string) => {
    const all = curves.flatMap(([, c]) => c.map((p) => p[key]));
    const lo = Math.min(0, ...all);
    const hi = Math.max(1e-9, ...all);
    const n = Math.max(2, ...curves.map(([, c]) => c.length));
    const px = (i: number) => x0 + pad + ((W - 2 * pad) * i) / (n - 1);
    const py = (v: number) => H - pad - ((H - 2 * pad) * (v - lo)) / (hi - lo || 1);
    const lines = curves.map(([arm, c], k) => `<polyline fill="none" stroke="${PALETTE[k % PALETTE.length]}" stroke-width="1.5" points="${c.map((p, i) => `${px(i).toFixed(1)},${py(p[key]).toFixed(1)}`).join(' ')}"><title>${arm}</title></polyline>`);
    return [
      `<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-size="13">${title}</text>`,
      `<line x1="${x0 + pad}" y1="${H - pad}" x2="${x0 + W - pad}" y2="${H - pad}" stroke="#888"/>`,
      `<line x1="${x0 + pad}" y1="${pad}" x2="${x0 + pad}" y2="${H - pad}" stroke="#888"/>`,
      `<text x="${x0 + pad - 4}" y="${py(hi) + 4}" text-anchor="end" font-size="10">${hi.toFixed(2)}</text>`,
      `<text x="${x0 + pad - 4}" y="${py(lo) + 4}" text-anchor="end" font-size="10">${lo.toFixed(2)}</text>`,
      `<text x="${x0 + W / 2}" y="${H - 8}" text-anchor="middle" font-size="10">RL step</text>`,
      ...lines,
    ].join('\n');
  };
  const legend = curves.map(([arm], k) => `<text x="${10 + 120 * (k % 7)}" y="${H + 16}" font-size="11" fill="${PALETTE[k % PALETTE.length]}">${arm.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 28}" font-family="sans-serif">\n${panel('perception', 0, 'perception reward R_P (train rollouts)')}\n${panel('reasoning', W, 'reasoning reward R_R (train rollouts)')}\n${legend.join('\n')}\n</svg>\n`;
}
