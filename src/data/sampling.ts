// Frame sampling maths of Video-R1 / qwen-vl-utils (method.md §2.7): how many frames to take from a
// video, which ones (uniform, linspace(0, total−1, n).round()), and the resize to a multiple of 28.

export interface FrameSampling {
  /** Frames per second to sample at (Video-R1: 2). */
  fps: number;
  /** At least this many frames (qwen-vl-utils FPS_MIN_FRAMES: 4). */
  minFrames: number;
  /** At most this many frames (Video-R1 FPS_MAX_FRAMES: 16). */
  maxFrames: number;
  /** The frame count is a multiple of this (FRAME_FACTOR: 2). */
  factor: number;
}

export const VIDEO_R1_SAMPLING: FrameSampling = { fps: 2, minFrames: 4, maxFrames: 16, factor: 2 };

const ceilBy = (x: number, f: number) => Math.ceil(x / f) * f;
const floorBy = (x: number, f: number) => Math.floor(x / f) * f;
const roundBy = (x: number, f: number) => Math.round(x / f) * f;

/** Round half to even, as numpy and torch round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** qwen-vl-utils smart_nframes: how many frames of a video of `total` frames at `videoFps` to sample. */
export function frameCount(total: number, videoFps: number, s: FrameSampling = VIDEO_R1_SAMPLING): number {
  const minFrames = ceilBy(s.minFrames, s.factor);
  const maxFrames = floorBy(Math.min(s.maxFrames, total), s.factor);
  let n = (total / videoFps) * s.fps;
  n = Math.min(Math.min(Math.max(n, minFrames), maxFrames), total);
  n = floorBy(n, s.factor);
  // A clip shorter than `factor` frames still yields its frames.
  return Math.max(1, Math.min(n, total));
}

/** Indices of n frames spread uniformly over [0, total − 1]: linspace(0, total − 1, n).round(). */
export function uniformIndices(total: number, n: number): number[] {
  if (n <= 1) return [0];
  return Array.from({ length: n }, (_, i) => roundHalfEven((i * (total - 1)) / (n - 1)));
}

/**
 * Seek times (seconds) for a video known only by its duration (HTMLVideoElement exposes no frame
 * count): frames are counted at a nominal rate, sampled as above, and each is sought at its middle.
 */
export function sampleTimes(duration: number, s: FrameSampling = VIDEO_R1_SAMPLING, nominalFps = 30): number[] {
  const total = Math.max(1, Math.floor(duration * nominalFps));
  const indices = uniformIndices(total, frameCount(total, nominalFps, s));
  return indices.map((i) => Math.min((i + 0.5) / nominalFps, Math.max(0, duration - 1e-3)));
}

/** qwen-vl-utils smart_resize: (height, width) as multiples of `factor` with min ≤ h·w ≤ max pixels, aspect kept. */
export function smartResize(height: number, width: number, factor = 28, minPixels = 4 * 28 * 28, maxPixels = 128 * 28 * 28): [number, number] {
  let h = Math.max(factor, roundBy(height, factor));
  let w = Math.max(factor, roundBy(width, factor));
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, floorBy(height / beta, factor));
    w = Math.max(factor, floorBy(width / beta, factor));
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = ceilBy(height * beta, factor);
    w = ceilBy(width * beta, factor);
  }
  return [h, w];
}
