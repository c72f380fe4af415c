// Real media through the import dialog, end to end in Chromium: the test makes a WebM (a canvas
// recorded with MediaRecorder) and a PNG (OffscreenCanvas.convertToBlob) inside a page, writes a
// Video-R1 JSON Lines file and a media folder (videos/, images/) to a temp dir, picks both in the
// import dialog, and checks the stored frames: K uniformly sampled frames per video that follow the
// drawn motion, one frame per image, the frame strip drawing them, and missing media reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, screenshot, sharedBrowser } from './browser';

const SYNTHETIC = 'dataset-card-synthetic-default';

/** In the page: a ~2 s 160x120 WebM of a red square moving left to right, and a 320x240 PNG. */
async function makeMedia(page: Page): Promise<{ webm: string; png: string; mime: string }> {
  return page.evaluate(async () => {
    const toBase64 = (blob: Blob) =>
      new Promise<string>((resolve, reject) => {
        const r = new FileReader();
        r.onload = () => resolve(String(r.result).split(',')[1]);
        r.onerror = () => reject(r.error);
        r.readAsDataURL(blob);
      });
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [160, 120];
    const ctx = canvas.getContext('2d')!;
    const draw = (x: number) => {
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, 160, 120);
      ctx.fillStyle = '#f00';
      ctx.fillRect(x, 40, 30, 40);
    };
    draw(0);
    const mime = ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm'].find((m) => MediaRecorder.isTypeSupported(m))!;
    const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: mime });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((r) => (recorder.onstop = r));
    const ms = 2000;
    const t0 = performance.now();
    recorder.start();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const f = Math.min(1, (performance.now() - t0) / ms);
        draw(f * 130);
        if (f >= 1) {
          clearInterval(tick);
          resolve();
        }
      }, 33);
    });
    recorder.stop();
    await stopped;
    const image = new OffscreenCanvas(320, 240);
    const ictx = image.getContext('2d')!;
    ictx.fillStyle = '#00f';
    ictx.fillRect(0, 0, 320, 240);
    ictx.fillStyle = '#ff0';
    ictx.fillRect(100, 80, 120, 80);
    const png = await image.convertToBlob({ type: 'image/png' });
    return { webm: await toBase64(new Blob(chunks, { type: 'video/webm' })), png: await toBase64(png), mime };
  });
}

function record(id: string, dataType: 'video' | 'image', path: string, type = 'multiple choice') {
  return JSON.stringify({
    problem_id: id,
    problem: `Where does the shape go in ${id}?`,
    data_type: dataType,
    problem_type: type,
    options: type === 'multiple choice' ? ['A. left', 'B. right'] : [],
    solution: type === 'multiple choice' ? '<answer>B</answer>' : '<answer>3</answer>',
    path,
    data_source: 'made-in-test',
  });
}

/** Per stored frame of sample `id`: size, encoding, time, and the x centroid of its red pixels (decoded in the page). */
async function storedFrames(page: Page, datasetId: string, problemId: string) {
  return page.evaluate(
    async ([datasetId, problemId]) => {
      const hook = (globalThis as any).__p2rDatasets;
      const reader = await hook.store.getState().reader(datasetId);
      const s = await reader.getById(problemId);
      if (!s) return null;
      const frames = [];
      for (const f of s.frames) {
        const bitmap = await createImageBitmap(new Blob([await f.load()], { type: f.encoding }));
        const c = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = c.getContext('2d')!;
        ctx.drawImage(bitmap, 0, 0);
        const { data } = ctx.getImageData(0, 0, c.width, c.height);
        let sx = 0;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i] > 150 && data[i + 1] < 90 && data[i + 2] < 90) {
            sx += (i / 4) % c.width;
            n++;
          }
        }
        frames.push({ width: f.width, height: f.height, bitmap: [bitmap.width, bitmap.height], encoding: f.encoding, time: f.time, redX: n > 0 ? sx / n : -1, red: n, center: Array.from(ctx.getImageData(c.width >> 1, c.height >> 1, 1, 1).data) });
      }
      return { frames, mediaError: s.mediaError as string | undefined };
    },
    [datasetId, problemId] as const,
  );
}

describe('importing Video-R1 records with real media in Chromium', () => {
  let dir = '';
  let media: { webm: string; png: string; mime: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'p2r-media-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await (await sharedBrowser()).close();
  });

  it('decodes a recorded WebM into uniformly sampled frames and a PNG into one frame, shows them, and keeps a record whose media is missing', async () => {
    const { page, errors, close } = await openApp('?syntheticVideos=1#/datasets');
    await page.locator(`[data-testid="${SYNTHETIC}"][data-state="complete"]`).waitFor({ timeout: 60_000 });
    media = await makeMedia(page);
    const folder = join(dir, 'Video-R1-data');
    mkdirSync(join(folder, 'videos'), { recursive: true });
    mkdirSync(join(folder, 'images'), { recursive: true });
    writeFileSync(join(folder, 'videos', 'x.webm'), Buffer.from(media.webm, 'base64'));
    writeFileSync(join(folder, 'images', 'y.png'), Buffer.from(media.png, 'base64'));
    const lines = [record('v1', 'video', './videos/x.webm'), record('i1', 'image', './images/y.png', 'numerical'), record('gone', 'video', './videos/missing.webm')];
    writeFileSync(join(dir, 'media.jsonl'), lines.join('\n') + '\n');

    await page.getByTestId('import-open').click();
    await page.getByTestId('import-files').setInputFiles(join(dir, 'media.jsonl'));
    await page.getByTestId('import-media').setInputFiles(folder);
    expect(await page.getByTestId('import-media-count').textContent()).toContain('2 media files');
    await page.getByTestId('import-media-keep').check();
    await page.getByTestId('import-start').click();

    const summary = page.locator('[data-testid="import-summary"][data-name="media.jsonl"]:not([data-state="importing"])');
    await summary.waitFor({ timeout: 30_000 });
    expect(await summary.getAttribute('data-state')).toBe('complete');
    expect(await summary.getByTestId('summary-imported').textContent()).toBe('3');
    expect(await summary.getByTestId('summary-skipped').textContent()).toBe('0');
    expect(await summary.textContent()).toContain('1 kept without media');
    expect(await summary.textContent()).toContain('MediaMissing ×1');
    await summary.locator('summary').click();
    const issue = await summary.locator('.issues li').first().textContent();
    expect(issue).toContain('media.jsonl:3'); // file and line
    expect(issue).toContain('id gone');
    expect(issue).toContain('field path');
    expect(issue).toContain('kept-without-media');

    const card = page.locator('[data-testid^="dataset-card-"]:not([data-testid="dataset-card-synthetic-default"])');
    const datasetId = (await card.getAttribute('data-testid'))!.replace('dataset-card-', '');

    // The video: K = 4 frames for a 2-3 s clip (2 fps, at least 4, a multiple of 2), resized to
    // multiples of 28 (120x160 -> 112x168), encoded, spread over the clip, following the square.
    const video = (await storedFrames(page, datasetId, 'v1'))!;
    expect(video.mediaError).toBeUndefined();
    expect(video.frames.length).toBe(4);
    for (const f of video.frames) {
      expect([f.width, f.height]).toEqual([168, 112]);
      expect(f.bitmap).toEqual([168, 112]);
      expect(f.encoding).toMatch(/^image\/(webp|jpeg)$/);
      expect(f.red).toBeGreaterThan(200); // the square is there (30x40 px scaled by 1.05 x 0.93)
    }
    const times = video.frames.map((f) => f.time);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
    expect(times[0]).toBeLessThan(0.1);
    expect(times[3]).toBeGreaterThan(1.5); // the last frame is near the end of a ~2 s clip
    const xs = video.frames.map((f) => f.redX);
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1] + 10); // the frames differ as the square moves right
    expect(xs[3] - xs[0]).toBeGreaterThan(60);

    // The image: one frame, 240x320 -> 168x252 (at most 224x224 pixels, multiples of 28), yellow in the middle.
    const image = (await storedFrames(page, datasetId, 'i1'))!;
    expect(image.frames.length).toBe(1);
    expect([image.frames[0].width, image.frames[0].height, image.frames[0].time]).toEqual([252, 168, 0]);
    const [r, g, b] = image.frames[0].center;
    expect(r).toBeGreaterThan(200);
    expect(g).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);

    const gone = (await storedFrames(page, datasetId, 'gone'))!;
    expect(gone.frames).toEqual([]);
    expect(gone.mediaError).toBe('MediaMissing');

    // The frame strip draws the video's frames (decoded from the stored WebP/JPEG).
    await page.locator('[data-testid="sample-row"][data-id="v1"]').click();
    const strip = page.locator('[data-testid="sample-detail"][data-id="v1"] [data-testid="frame-strip"]');
    await strip.waitFor();
    expect(await strip.locator('canvas').count()).toBe(4);
    await page.waitForFunction(() => {
      const canvases = [...document.querySelectorAll('[data-testid="frame-strip"] canvas')] as HTMLCanvasElement[];
      return canvases.length === 4 && canvases.every((c) => c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 0 && v > 150));
    }, null, { timeout: 10_000 });
    await screenshot(page, 'datasets-media');
    await page.locator('[data-testid="sample-row"][data-id="gone"]').click();
    expect(await page.locator('[data-testid="sample-detail"][data-id="gone"] [data-testid="frame-strip"]').textContent()).toContain('No media (MediaMissing)');
    expect(errors).toEqual([]);
    await close();
  });

  it('skips records whose media is missing or undecodable when asked to, and says which file, line and field', async () => {
    const { page, errors, close } = await openApp('?syntheticVideos=1#/datasets');
    await page.locator(`[data-testid="${SYNTHETIC}"][data-state="complete"]`).waitFor({ timeout: 60_000 });
    const folder = join(dir, 'Video-R1-data');
    writeFileSync(join(folder, 'videos', 'bad.webm'), Buffer.from('not a video at all, just text '.repeat(40)));
    writeFileSync(join(dir, 'skip.jsonl'), [record('gone', 'image', './images/nope.png'), record('i2', 'image', './images/y.png'), record('bad', 'video', './videos/bad.webm')].join('\n'));
    await page.getByTestId('import-open').click();
    await page.getByTestId('import-files').setInputFiles(join(dir, 'skip.jsonl'));
    await page.getByTestId('import-media').setInputFiles(folder);
    await page.getByTestId('import-media-skip').check();
    await page.getByTestId('import-start').click();
    const summary = page.locator('[data-testid="import-summary"][data-name="skip.jsonl"][data-state="complete"]');
    await summary.waitFor({ timeout: 30_000 });
    expect(await summary.getByTestId('summary-imported').textContent()).toBe('1');
    expect(await summary.getByTestId('summary-skipped').textContent()).toBe('2');
    expect(await summary.textContent()).toContain('MediaMissing ×1');
    expect(await summary.textContent()).toContain('MediaUndecodable ×1');
    await summary.locator('summary').click();
    const issues = await summary.locator('.issues li').allTextContents();
    expect(issues[0]).toMatch(/skip\.jsonl:1 id gone field path \[MediaMissing, skipped\]/);
    expect(issues[1]).toMatch(/skip\.jsonl:3 id bad field path \[MediaUndecodable, skipped\] .*bad\.webm/);
    expect(await page.getByTestId('row-count').textContent()).toBe('1 of 1 samples');
    expect(errors).toEqual([]);
    await close();
  });
});
