// The training worker's side of SFT on a stored dataset: it opens the dataset store (IndexedDB works
// in a worker), streams the dataset's shards and decodes image frames with createImageBitmap and an
// OffscreenCanvas at the model's frame size. The conversion itself is src/train/stored_sft.ts.

import { openDataDb } from '../data/db';
import { DatasetReader } from '../data/reader';
import type { FrameInput } from '../model/batch';
import { makeConfig, type PresetName } from '../model/config';
import { PRESET_SYNTHETIC } from './rl_data';
import { resizeRgba, storedSftSamples, type FrameDecoder, type StoredSftSummary } from './stored_sft';
import type { SftSample } from './samples';

/** Decodes image frames (WebP, JPEG, PNG) straight to size × size RGBA; raw RGBA is resized on the CPU. */
export const canvasFrameDecoder: FrameDecoder = async (frames, size) => {
  const out: FrameInput[] = [];
  let canvas: OffscreenCanvas | null = null;
  for (const f of frames) {
    if (f.encoding === 'rgba8') {
      out.push(resizeRgba({ width: f.width, height: f.height, rgba: f.bytes }, size));
      continue;
    }
    const bitmap = await createImageBitmap(new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.encoding }), { resizeWidth: size, resizeHeight: size, resizeQuality: 'medium' });
    try {
      canvas ??= new OffscreenCanvas(size, size);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new Error('no 2D context on an OffscreenCanvas in this worker');
      ctx.clearRect(0, 0, size, size);
      ctx.drawImage(bitmap, 0, 0, size, size);
      out.push({ width: size, height: size, rgba: new Uint8Array(ctx.getImageData(0, 0, size, size).data.buffer.slice(0)) });
    } finally {
      bitmap.close();
    }
  }
  return out;
};

/** The SFT samples of stored dataset `datasetId` for `preset`, with the summary the page shows. */
export async function loadStoredSft(datasetId: string, preset: PresetName, onProgress?: (s: StoredSftSummary) => void): Promise<{ samples: SftSample[]; summary: StoredSftSummary }> {
  const db = await openDataDb();
  try {
    const reader = await DatasetReader.open(db, datasetId);
    const m = reader.manifest;
    const loaded = await storedSftSamples(reader.stream({ prefetch: 2, prefetchFrames: true }), {
      datasetId,
      name: m.name,
      total: m.counts.samples,
      style: PRESET_SYNTHETIC[preset].style,
      model: makeConfig(preset).model,
      preset,
      decode: canvasFrameDecoder,
      onProgress,
    });
    // An unfinished import or CoT run: its committed shards are what there is.
    if (m.progress.state !== 'complete') loaded.summary.notes.unshift(`The dataset is ${m.progress.state} (not complete): this run trains on the ${m.counts.samples} samples stored so far.`);
    return loaded;
  } finally {
    db.close();
  }
}
