// Frame sampling maths (Video-R1 / qwen-vl-utils) and media path resolution.
import { describe, expect, it } from 'vitest';
import { frameCount, roundHalfEven, sampleTimes, smartResize, uniformIndices } from '../../src/data/sampling';
import { normalizePath, resolveMediaPath } from '../../src/data/media';

describe('frame sampling', () => {
  it('takes 2 frames per second, at least 4 and at most 16, in multiples of 2', () => {
    expect(frameCount(300, 30)).toBe(16); // 10 s → 20 frames, capped at 16
    expect(frameCount(150, 30)).toBe(10); // 5 s → 10 frames
    expect(frameCount(33, 30)).toBe(4); // 1.1 s → 2.2, raised to the minimum 4
    expect(frameCount(105, 30)).toBe(6); // 3.5 s → 7, floored to a multiple of 2
    expect(frameCount(3, 30)).toBe(2); // fewer frames than the minimum: all, floored to the factor
  });

  it('spreads indices uniformly from the first to the last frame, rounding half to even', () => {
    expect(uniformIndices(300, 16)[0]).toBe(0);
    expect(uniformIndices(300, 16)[15]).toBe(299);
    expect(uniformIndices(6, 3)).toEqual([0, 2, 5]); // linspace(0, 5, 3) = [0, 2.5, 5] → round → [0, 2, 5]
    expect(roundHalfEven(3.5)).toBe(4);
    expect(roundHalfEven(-2.5)).toBe(-2);
  });

  it('seeks within the video for every sampled time', () => {
    const t = sampleTimes(4.0);
    expect(t.length).toBe(8);
    expect(t[0]).toBeGreaterThanOrEqual(0);
    expect(t[7]).toBeLessThan(4.0);
    expect([...t].sort((a, b) => a - b)).toEqual(t);
  });

  it('resizes to multiples of 28 within the pixel budget, keeping the aspect ratio', () => {
    const [h, w] = smartResize(720, 1280, 28, 3136, 128 * 28 * 28);
    expect(h % 28).toBe(0);
    expect(w % 28).toBe(0);
    expect(h * w).toBeLessThanOrEqual(128 * 28 * 28);
    expect(w / h).toBeCloseTo(1280 / 720, 0);
    expect(smartResize(10, 10, 28, 3136, 100000)).toEqual([56, 56]);
  });
});

describe('media paths', () => {
  it('resolves a Video-R1 relative path whichever folder level was picked', () => {
    const path = './LLaVA-Video-178K/30_60_s/ytb_1.mp4';
    expect(normalizePath(path)).toBe('LLaVA-Video-178K/30_60_s/ytb_1.mp4');
    expect(resolveMediaPath(path, ['Video-R1-data/LLaVA-Video-178K/30_60_s/ytb_1.mp4'])).toBe('Video-R1-data/LLaVA-Video-178K/30_60_s/ytb_1.mp4');
    expect(resolveMediaPath(path, ['30_60_s/ytb_1.mp4'])).toBe('30_60_s/ytb_1.mp4');
  });

  it('prefers the longest matching path and refuses to guess between equal ones', () => {
    expect(resolveMediaPath('./a/b/x.jpg', ['d/c/b/x.jpg', 'd/a/b/x.jpg'])).toBe('d/a/b/x.jpg');
    expect(resolveMediaPath('./x.jpg', ['p/x.jpg', 'q/x.jpg'])).toBeNull();
    expect(resolveMediaPath('./x.jpg', [])).toBeNull();
  });
});
