// Media for imports, in the browser: the picked media folder (relative paths resolve against it),
// video frames by an HTMLVideoElement seek loop, images as one frame, and frames encoded to WebP
// (JPEG where WebP encoding is missing) with OffscreenCanvas. Path resolution is pure; the rest
// needs a DOM.

import type { DataRecord, Frame } from './types';
import type { MediaLoader } from './importers';
import { dataError } from './errors';
import { VIDEO_R1_SAMPLING, sampleTimes, smartResize, type FrameSampling } from './sampling';

/** Finds the file a record's relative path names among the picked folder's files. */
export class MediaFolder {
  private byPath = new Map<string, File>();
  private byName = new Map<string, string[]>();

  /** `files` as picked with <input webkitdirectory>: each has webkitRelativePath "folder/sub/x.mp4". */
  constructor(files: Iterable<File>) {
    for (const f of files) {
      const rel = normalizePath((f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name);
      this.byPath.set(rel, f);
      const base = rel.split('/').pop()!;
      this.byName.set(base, [...(this.byName.get(base) ?? []), rel]);
    }
  }

  get size(): number {
    return this.byPath.size;
  }

  /** The file for `path` ("./LLaVA-Video-178K/a/b.mp4"), or null. */
  resolve(path: string): File | null {
    const rel = resolveMediaPath(path, this.byName.get(normalizePath(path).split('/').pop()!) ?? []);
    return rel ? this.byPath.get(rel)! : null;
  }
}

export function normalizePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

/**
 * Picks, among candidate relative paths (all with the same file name), the one whose trailing path
 * components match `path` the longest: the picked folder may be Video-R1-data itself, its parent, or
 * a subset folder. Ties (two different files matching equally) resolve to none rather than a guess.
 */
export function resolveMediaPath(path: string, candidates: string[]): string | null {
  const want = normalizePath(path).split('/');
  let best: string | null = null;
  let bestScore = 0;
  let tie = false;
  for (const c of candidates) {
    const have = c.split('/');
    let k = 0;
    while (k < want.length && k < have.length && want[want.length - 1 - k] === have[have.length - 1 - k]) k++;
    if (k > bestScore) [best, bestScore, tie] = [c, k, false];
    else if (k === bestScore && k > 0) tie = true;
  }
  return tie ? null : best;
}

export interface MediaOptions {
  sampling: FrameSampling;
  /** Largest frame area in pixels after the resize (frames are multiples of 28 on each side). */
  maxPixels: number;
  /** 'image/webp' (falls back to JPEG where the browser cannot encode WebP) or 'image/jpeg'. */
  encoding: 'image/webp' | 'image/jpeg';
  quality: number;
}

export const DEFAULT_MEDIA: MediaOptions = { sampling: { ...VIDEO_R1_SAMPLING, maxFrames: 8 }, maxPixels: 224 * 224, encoding: 'image/webp', quality: 0.85 };

async function encodeCanvas(canvas: OffscreenCanvas, encoding: MediaOptions['encoding'], quality: number): Promise<{ encoding: Frame['encoding']; bytes: Uint8Array }> {
  let blob = await canvas.convertToBlob({ type: encoding, quality });
  // Browsers that cannot encode the type return PNG: use JPEG instead, smaller for photos.
  if (blob.type !== encoding) blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
  return { encoding: blob.type as Frame['encoding'], bytes: new Uint8Array(await blob.arrayBuffer()) };
}

/** Encodes raw RGBA frames (the synthetic renderer's) to WebP/JPEG. */
export async function encodeRgbaFrames(frames: Frame[], encoding: MediaOptions['encoding'] = 'image/webp', quality = 0.9): Promise<Frame[]> {
  if (frames.length === 0) return frames;
  const canvas = new OffscreenCanvas(frames[0].width, frames[0].height);
  const ctx = canvas.getContext('2d')!;
  const out: Frame[] = [];
  for (const f of frames) {
    if (f.encoding !== 'rgba8') {
      out.push(f);
      continue;
    }
    if (canvas.width !== f.width || canvas.height !== f.height) [canvas.width, canvas.height] = [f.width, f.height];
    ctx.putImageData(new ImageData(new Uint8ClampedArray(f.bytes.buffer as ArrayBuffer, f.bytes.byteOffset, f.bytes.byteLength), f.width, f.height), 0, 0);
    out.push({ ...f, ...(await encodeCanvas(canvas, encoding, quality)) });
  }
  return out;
}

function once(target: EventTarget, ok: string, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(() => reject(dataError('MediaUndecodable', `${what}: timed out after ${timeoutMs} ms`))), timeoutMs);
    const onOk = () => done(resolve);
    const onError = () => done(() => reject(dataError('MediaUndecodable', `${what}: the browser cannot decode it`)));
    const done = (f: () => void) => {
      clearTimeout(timer);
      target.removeEventListener(ok, onOk);
      target.removeEventListener('error', onError);
      f();
    };
    target.addEventListener(ok, onOk);
    target.addEventListener('error', onError);
  });
}

/**
 * The video's duration. WebM files written by MediaRecorder (and some streamed MP4s) carry none:
 * the element reports Infinity until it has seen the end, so seek far past it once; the browser then
 * clamps the position to the last frame and the duration becomes known.
 */
async function knownDuration(video: HTMLVideoElement, name: string): Promise<number> {
  if (Number.isFinite(video.duration) && video.duration > 0) return video.duration;
  const seeked = once(video, 'seeked', 10_000, `${name} (looking for its end)`);
  video.currentTime = 1e7;
  await seeked;
  const duration = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : video.currentTime;
  if (!(duration > 0)) throw dataError('MediaUndecodable', `${name}: unknown duration (the file has no duration and seeking to its end failed)`);
  return duration;
}

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?(cb: (now: number, meta: { mediaTime: number }) => void): number;
  cancelVideoFrameCallback?(handle: number): void;
};

/**
 * Seeks to `t` and waits until the frame there is the element's current frame. 'seeked' alone is not
 * enough: under load Chromium can fire it before the decoded frame reaches the element, and
 * drawImage then copies the previous frame (or nothing). requestVideoFrameCallback fires when the
 * new frame is ready; it is awaited with a bound, since a seek that lands on the frame already
 * shown presents nothing new.
 */
async function seekFrame(video: FrameCallbackVideo, t: number, name: string): Promise<void> {
  const what = `${name} at ${t.toFixed(2)} s`;
  const seeked = once(video, 'seeked', 10_000, what);
  let handle: number | undefined;
  const presented = video.requestVideoFrameCallback
    ? new Promise<void>((resolve) => {
        handle = video.requestVideoFrameCallback!(() => {
          handle = undefined;
          resolve();
        });
      })
    : null;
  video.currentTime = t;
  await seeked;
  if (presented) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([presented, new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    if (handle !== undefined) video.cancelVideoFrameCallback?.(handle);
  }
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) await once(video, 'loadeddata', 10_000, what);
}

/** Uniformly sampled frames of a video file, resized and encoded (HTMLVideoElement seek loop). */
export async function decodeVideo(file: Blob, name: string, opts: MediaOptions = DEFAULT_MEDIA): Promise<Frame[]> {
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.src = url;
  try {
    await once(video, 'loadeddata', 20_000, name);
    if (video.videoWidth === 0) throw dataError('MediaUndecodable', `${name}: no video track`);
    const duration = await knownDuration(video, name);
    const [h, w] = smartResize(video.videoHeight, video.videoWidth, 28, 28 * 28, opts.maxPixels);
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d')!;
    const frames: Frame[] = [];
    for (const t of sampleTimes(duration, opts.sampling)) {
      await seekFrame(video, t, name);
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(video, 0, 0, w, h);
      frames.push({ width: w, height: h, time: t, ...(await encodeCanvas(canvas, opts.encoding, opts.quality)) });
    }
    return frames;
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

/** An image file as one resized, encoded frame. */
export async function decodeImage(file: Blob, name: string, opts: MediaOptions = DEFAULT_MEDIA): Promise<Frame[]> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (e) {
    throw dataError('MediaUndecodable', `${name}: ${(e as Error)?.message ?? 'the browser cannot decode it'}`);
  }
  const [h, w] = smartResize(bitmap.height, bitmap.width, 28, 28 * 28, opts.maxPixels);
  const canvas = new OffscreenCanvas(w, h);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  return [{ width: w, height: h, time: 0, ...(await encodeCanvas(canvas, opts.encoding, opts.quality)) }];
}

/** The folder's file for a record's path, or MediaMissing (the page and the CLI say the same). */
export function resolveMedia(folder: MediaFolder, record: DataRecord): File {
  const file = folder.resolve(record.path);
  if (!file) throw dataError('MediaMissing', `${record.path} is not in the picked media folder`);
  return file;
}

/** The MediaLoader importers call: resolve against the folder, then decode as video or image. */
export function folderMediaLoader(folder: MediaFolder, opts: MediaOptions = DEFAULT_MEDIA): MediaLoader {
  return async (record: DataRecord) => {
    const file = resolveMedia(folder, record);
    return record.data_type === 'video' ? decodeVideo(file, record.path, opts) : decodeImage(file, record.path, opts);
  };
}

/**
 * A MediaLoader that only checks the media file is there (no frames): the command-line import, which
 * has no video decoder. Missing media are reported as on the page; undecodable ones are not found.
 */
export function mediaPresenceLoader(folder: MediaFolder): MediaLoader {
  return async (record: DataRecord) => {
    resolveMedia(folder, record);
    return [];
  };
}
