// A held-out report as a Markdown table (rows: all, then each family and problem type), for the eval
// and experiment commands.

import type { HeldOutMetrics, HeldOutReport } from './heldout';

const f = (x: number, d = 3) => x.toFixed(d);

export function metricsRow(name: string, m: HeldOutMetrics): string {
  return `| ${name} | ${m.questions} | ${f(m.answer_accuracy)} | ${f(m.perception_judge_accuracy)} | ${f(m.format_perception, 2)} / ${f(m.format_reasoning, 2)} | ${f(m.mean_tokens, 1)} |`;
}

export function formatReport(r: HeldOutReport): string {
  const lines = ['| questions | n | answer acc | perception judge acc | format P / R | mean tokens |', '|---|---|---|---|---|---|', metricsRow('all', r)];
  for (const [k, m] of Object.entries(r.by_family)) lines.push(metricsRow(`family ${k}`, m));
  for (const [k, m] of Object.entries(r.by_problem_type)) lines.push(metricsRow(`type ${k}`, m));
  return lines.join('\n');
}
