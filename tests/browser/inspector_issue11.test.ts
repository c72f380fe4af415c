// Issue 11 in Chromium: what only the page shows (quadrant labels and their threshold, the trainer
// score on a card, one radio group per token lane, the dashboard's keys and header, group names,
// renaming runs, a search that matches nothing). The rules behind them: tests/pure/rollouts_issue11.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { openApp, sharedBrowser } from './browser';
import { rllbJsonl, syntheticRun } from '../fixtures/inspect_fixtures';

const jsonl = (name: string, text: string) => ({ name, mimeType: 'application/x-ndjson', buffer: Buffer.from(text) });

/** A verl dump on a 0/1 scale without accuracy parts: 2 prompts × 4 rollouts, one rollout NaN-scored. */
function verl01(): string {
  const rows: string[] = [];
  for (let g = 0; g < 2; g++)
    for (let i = 0; i < 4; i++) {
      const p = i < 2 ? 1 : 0;
      const r = i % 2 === 0 ? 1 : 0;
      const prompt = `system\nYou are a video assistant.\nuser\n<video> Where does ${g ? 'blue' : 'red'} move in the clip? A.up B.down\nassistant\n`;
      rows.push(`{"input": ${JSON.stringify(prompt)}, "output": "<observation>seen ${g}${i}</observation><think>so</think><answer>A</answer>", "gts": "A", "score": ${g === 0 && i === 3 ? 'NaN' : p + r}, "step": 1, "perception": ${p}, "reasoning": ${r}}`);
    }
  return rows.join('\n') + '\n';
}

describe('rollout inspector, issue 11', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('labels quadrants by the run rule, shows and changes the threshold, shows the trainer score, keys on the dashboard', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    await page.getByTestId('rollout-import').setInputFiles([jsonl('1.jsonl', verl01())]);
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('quadrant-rule-text').textContent()).toContain('perception total ≥ 0.5 (midpoint of 0–1) · reasoning total ≥ 0.5 (midpoint of 0–1)');
    expect(await page.getByTestId('run-dashboard').textContent()).not.toMatch(/columns:\s*(·|$)/);
    // ? shows the keys; j/k choose a step; Enter opens it.
    await page.keyboard.press('?');
    await page.getByTestId('help').waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await page.locator('[data-testid="step-link"][aria-current="step"]').count()).toBe(1);
    await page.keyboard.press('Enter');
    await page.getByTestId('group-view').waitFor();
    await page.getByTestId('rollout').first().waitFor();
    const labels = await page.locator('article.rollout .quad').allTextContents();
    expect(labels.sort()).toEqual(['P high · R high', 'P high · R low', 'P low · R high', 'P low · R low']);
    // Groups are listed by their prompt's first words.
    expect(await page.getByTestId('group-preview').first().textContent()).toMatch(/^Where does (red|blue) move in the clip\?/);
    // The trainer's score is on every card; NaN is flagged.
    expect(await page.getByTestId('trainer-score').count()).toBe(4);
    const scores = await page.getByTestId('trainer-score').allTextContents();
    if (scores.some((s) => s.includes('NaN'))) expect(await page.locator('.trainer-score.bad').count()).toBe(1);
    // A search that matches nothing says so, and shows no group.
    await page.getByTestId('search').fill('zzz-no-such-text');
    await page.getByTestId('search').press('Enter');
    await page.getByTestId('no-match').waitFor();
    expect(await page.getByTestId('rollout').count()).toBe(0);
    // Back on the dashboard, a new perception threshold recounts.
    await page.goto(page.url().replace(/\/step\/.*$/, ''));
    await page.getByTestId('run-dashboard').waitFor();
    await page.getByTestId('quadrant-threshold-perception').fill('2');
    await page.getByTestId('quadrant-threshold-perception').press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid="quadrant-rule-text"]')?.textContent?.includes('perception total ≥ 2 (set by you)'));
    expect(errors).toEqual([]);
    await close();
  });

  it('gives each card its own per-token lane radios, and renames a run', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    await page.getByTestId('rollout-import').setInputFiles([jsonl('board.jsonl', rllbJsonl(syntheticRun(1, 4)))]);
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('token-lane').nth(1).waitFor();
    const second = page.getByTestId('token-lane').nth(1);
    await second.getByRole('radio', { name: 'logprob', exact: true }).check();
    expect(await second.getByRole('radio', { name: 'logprob', exact: true }).isChecked()).toBe(true);
    const first = page.getByTestId('token-lane').first();
    expect(await first.getByRole('radio', { name: 'logprob', exact: true }).isChecked()).toBe(false);
    expect(await first.locator('input[type="radio"]:checked').count()).toBe(1);
    // Rename on the runs list.
    await page.goto(page.url().replace(/#.*$/, '#/rollouts'));
    await page.getByTestId('run-rename').first().click();
    await page.getByTestId('run-name-input').fill('RLLB board, seed 1');
    await page.getByTestId('run-name-input').press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid="run-name"]')?.textContent === 'RLLB board, seed 1');
    await page.reload();
    await page.getByTestId('run-name').first().waitFor();
    expect(await page.getByTestId('run-name').first().textContent()).toBe('RLLB board, seed 1');
    expect(errors).toEqual([]);
    await close();
  });
});
