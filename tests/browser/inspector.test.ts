import { afterAll, describe, expect, it } from 'vitest';
import { openApp, screenshot, sharedBrowser } from './browser';
import { syntheticRun, verlStepJsonl, xssVerlJsonl } from '../fixtures/inspect_fixtures';

const file = (name: string, text: string) => ({ name, mimeType: 'application/x-ndjson', buffer: Buffer.from(text) });

describe('rollout inspector in Chromium', () => {
  afterAll(async () => (await sharedBrowser()).close());

  it('imports a verl dump, opens a group and steps through it with the keyboard', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    const run = syntheticRun(3, 4);
    await page.getByTestId('rollout-import').setInputFiles([1, 2, 3].map((s) => file(`${s}.jsonl`, verlStepJsonl(run, s))));
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    expect(await page.locator('.recharts-surface').count()).toBeGreaterThan(2);
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('group-view').waitFor();
    await page.getByTestId('rollout').first().waitFor();
    expect(await page.getByTestId('rollout').count()).toBe(4);

    // Both processes' rewards and advantages, side by side, on every rollout.
    const first = page.getByTestId('rollout').first();
    expect(await first.getByTestId('perception-reward').textContent()).toMatch(/perception\s*[12]/);
    expect(await first.getByTestId('reasoning-reward').textContent()).toMatch(/reasoning\s*[12]/);
    expect(await first.getByTestId('adv-perception').textContent()).toMatch(/\d/);
    expect(await first.getByTestId('adv-grpo').textContent()).toMatch(/\d/);
    expect(page.url()).toMatch(/#\/rollouts\/.+\/step\/1\/group\/[^/]+\/sample\/0$/);

    await page.keyboard.press('j');
    await page.waitForURL(/sample\/1$/);
    expect(await page.locator('article.rollout.selected').getAttribute('data-sample')).toBe('1');
    await page.keyboard.press('k');
    await page.waitForURL(/sample\/0$/);

    const group0 = await page.getByTestId('group-id').textContent();
    await page.keyboard.press(']');
    await page.waitForFunction((g) => document.querySelector('[data-testid="group-id"]')?.textContent !== g, group0);
    const group1 = await page.getByTestId('group-id').textContent();
    await page.keyboard.press('[');
    await page.waitForFunction((g) => document.querySelector('[data-testid="group-id"]')?.textContent === g, group0);

    // l: next step, same group.
    await page.keyboard.press('l');
    await page.waitForURL(/step\/2\//);
    expect(await page.getByTestId('group-id').textContent()).toBe(group0);
    await page.getByTestId('rollout').first().waitFor();
    await page.keyboard.press('h');
    await page.waitForURL(/step\/1\//);

    // Single-key shortcuts are off while typing in the search box; Esc leaves it.
    await page.keyboard.press('/');
    await page.keyboard.type('jk');
    expect(await page.getByTestId('search').inputValue()).toBe('jk');
    expect(page.url()).toMatch(/sample\/0$/);
    await page.getByTestId('search').fill('');
    await page.keyboard.press('Escape');

    // ? opens the help; a filter expression narrows to matching rollouts.
    await page.keyboard.press('?');
    await page.getByTestId('help').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('filter').fill('perception == 1 and reasoning == 2');
    await page.getByTestId('apply-filter').click();
    await page.getByTestId('filter-status').filter({ hasText: 'match' }).waitFor();
    const hits = run.filter((r) => r.perception === 1 && r.reasoning === 2).length;
    expect(await page.getByTestId('filter-status').textContent()).toContain(`${hits} rollouts match`);
    expect(group1).not.toBe(group0);

    await screenshot(page, 'inspector-group');
    expect(errors).toEqual([]);
    await close();
  });

  it('renders rollout text containing <script>, <img onerror> and javascript: links as inert text', async () => {
    const { page, errors, close } = await openApp('#/rollouts');
    await page.evaluate(() => ((window as unknown as { __pwned?: string }).__pwned = undefined));
    await page.getByTestId('rollout-import').setInputFiles([file('1.jsonl', xssVerlJsonl())]);
    await page.getByTestId('run-dashboard').waitFor({ timeout: 30_000 });
    await page.getByTestId('step-link').first().click();
    await page.getByTestId('rollout').first().waitFor();
    await page.keyboard.press('r'); // raw record panel too
    await page.getByTestId('raw').waitFor();
    await page.waitForTimeout(300);
    const text = await page.getByTestId('group-view').textContent();
    expect(text).toContain('<script>window.__pwned');
    expect(text).toContain('onerror=');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(await page.locator('main script').count()).toBe(0);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });
});
