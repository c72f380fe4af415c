// One stored frame drawn into a canvas: raw RGBA with putImageData, WebP/JPEG/PNG through
// createImageBitmap. Used by the dataset browser's frame strip. Frames from the reader are lazy:
// the bytes are loaded here, when the frame is shown.

import { useEffect, useRef } from 'react';
import type { Frame, StoredFrame } from '../../data/types';
import { loadFrameBytes } from '../../data/shard';

export function DatasetFrame({ frame, height = 96 }: { frame: Frame | StoredFrame; height?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    let cancelled = false;
    const ctx = canvas.getContext('2d')!;
    const failed = () => {
      if (cancelled) return;
      ctx.fillStyle = '#c92a2a';
      ctx.fillRect(0, 0, frame.width, frame.height);
    };
    void loadFrameBytes(frame)
      .then(async (bytes) => {
        if (cancelled) return;
        if (frame.encoding === 'rgba8') {
          ctx.putImageData(new ImageData(new Uint8ClampedArray(bytes), frame.width, frame.height), 0, 0);
          return;
        }
        const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: frame.encoding }));
        if (!cancelled) ctx.drawImage(bitmap, 0, 0);
        bitmap.close();
      })
      .catch(failed);
    return () => {
      cancelled = true;
    };
  }, [frame]);
  return (
    <figure className="frame">
      <canvas ref={ref} width={frame.width} height={frame.height} style={{ height, width: (height * frame.width) / frame.height }} data-encoding={frame.encoding} />
      <figcaption>{frame.time.toFixed(1)} s</figcaption>
    </figure>
  );
}
