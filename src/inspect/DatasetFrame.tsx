// One stored frame drawn into a canvas: raw RGBA with putImageData, WebP/JPEG/PNG through
// createImageBitmap. Used by the dataset browser's frame strip.

import { useEffect, useRef } from 'react';
import type { Frame } from '../data/types';

export function DatasetFrame({ frame, height = 96 }: { frame: Frame; height?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    let cancelled = false;
    const ctx = canvas.getContext('2d')!;
    if (frame.encoding === 'rgba8') {
      ctx.putImageData(new ImageData(new Uint8ClampedArray(frame.bytes), frame.width, frame.height), 0, 0);
    } else {
      void createImageBitmap(new Blob([frame.bytes as Uint8Array<ArrayBuffer>], { type: frame.encoding }))
        .then((bitmap) => {
          if (!cancelled) ctx.drawImage(bitmap, 0, 0);
          bitmap.close();
        })
        .catch(() => {
          ctx.fillStyle = '#c92a2a';
          ctx.fillRect(0, 0, frame.width, frame.height);
        });
    }
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
