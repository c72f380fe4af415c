// Connects a test file to the one shared Chromium started by global-setup.ts and opens pages of
// the served app. Console errors and page errors are collected so tests can assert there were none.

import { inject } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';

let browser: Promise<Browser> | undefined;

export function sharedBrowser(): Promise<Browser> {
  browser ??= chromium.connect(inject('wsEndpoint'));
  return browser;
}

export interface OpenedPage {
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

export async function openApp(path = ''): Promise<OpenedPage> {
  const context = await (await sharedBrowser()).newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(new URL(path, inject('baseURL')).toString());
  return { page, errors, close: () => context.close() };
}

/** Saves a screenshot under test-results/ (kept as a CI artifact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync('test-results', { recursive: true });
  const path = `test-results/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
