// The Checkpoints panel's files: names of an exported pair, and the checks an imported pair passes
// before anything is stored (pairing, run id, parseCheckpoint with the file at fault named). Also
// the store access the panel's actions need (CheckpointDeps), injected so tests use fakes.

import { CheckpointError, parseCheckpoint } from '../train/checkpoint';

/** The files of one stored checkpoint, undecoded (CheckpointStore.loadSerialized). */
export interface SerializedFiles {
  safetensors: Uint8Array;
  config: string;
  step: number;
}

/** What an import reads from a picked file (a DOM File fits). */
export interface ImportFile {
  name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/** The Checkpoints panel's store access and download; optional so tests of other parts need no fakes. */
export interface CheckpointDeps {
  loadSerialized(runId: string): Promise<SerializedFiles>;
  /** Saves an already serialized (and checked) checkpoint as the latest of `runId`. */
  saveSerialized(runId: string, files: { safetensors: Uint8Array; config: string }): Promise<void>;
  /** Hands a file to the browser as a download. */
  download(name: string, data: Uint8Array | string, type: string): void;
}

export type CheckpointOp = { kind: 'export' | 'delete'; runId: string } | { kind: 'import' };

/** A run id as a file name part: anything but letters, digits, '.', '_' and '-' becomes '_'. */
export function fileSafe(runId: string): string {
  const s = runId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s.slice(0, 120) || 'run';
}

/** The exported pair's file names: `<run>-step<N>.safetensors` and `<run>-step<N>.json`. */
export function checkpointFileNames(runId: string, step: number): { safetensors: string; json: string } {
  const base = `${fileSafe(runId)}-step${step}`;
  return { safetensors: `${base}.safetensors`, json: `${base}.json` };
}

/** Picks the .safetensors and the .json out of the chosen files: exactly one of each. */
export function pairImportFiles<F extends { name: string }>(files: readonly F[]): { safetensors: F; json: F } | { error: string } {
  const st = files.filter((f) => /\.safetensors$/i.test(f.name));
  const js = files.filter((f) => /\.json$/i.test(f.name));
  const other = files.filter((f) => !st.includes(f) && !js.includes(f));
  if (other.length) return { error: `'${other[0].name}' is neither a .safetensors nor a .json file: choose the two files of one exported checkpoint` };
  if (st.length !== 1 || js.length !== 1)
    return { error: `choose exactly one .safetensors and one .json file (got ${st.length} .safetensors and ${js.length} .json)` };
  return { safetensors: st[0], json: js[0] };
}

/**
 * The run id an import is stored under: the exported file name without `-step<N>` and the
 * extension, made unique among the stored runs with `-imported`, `-imported-2`, ...
 */
export function importRunId(fileName: string, taken: ReadonlySet<string> | readonly string[]): string {
  const has = (id: string) => (Array.isArray(taken) ? (taken as readonly string[]).includes(id) : (taken as ReadonlySet<string>).has(id));
  const base = fileSafe(fileName.replace(/\.(safetensors|json)$/i, '').replace(/-step\d+$/, '')) || 'imported';
  if (!has(base)) return base;
  for (let i = 1; ; i++) {
    const id = `${base}-imported${i === 1 ? '' : `-${i}`}`;
    if (!has(id)) return id;
  }
}

/**
 * Reads and checks a picked pair (config, size, SHA-256, layout) with parseCheckpoint. The error names
 * the file at fault: the .json for a bad config, the .safetensors for a wrong size, hash or contents,
 * both when the two do not belong together.
 */
export async function checkImportPair(pair: { safetensors: ImportFile; json: ImportFile }): Promise<{ safetensors: Uint8Array; config: string; step: number; metadata: Record<string, string> } | { error: string }> {
  let bytes: Uint8Array;
  let config: string;
  try {
    bytes = new Uint8Array(await pair.safetensors.arrayBuffer());
  } catch (e) {
    return { error: `could not read '${pair.safetensors.name}': ${(e as Error).message}` };
  }
  try {
    config = await pair.json.text();
  } catch (e) {
    return { error: `could not read '${pair.json.name}': ${(e as Error).message}` };
  }
  try {
    const ckpt = await parseCheckpoint(bytes, config);
    return { safetensors: bytes, config, step: ckpt.step, metadata: ckpt.metadata };
  } catch (e) {
    if (!(e instanceof CheckpointError)) return { error: `'${pair.safetensors.name}' / '${pair.json.name}': ${(e as Error).message}` };
    const which =
      e.code === 'BadConfig'
        ? `'${pair.json.name}'`
        : e.code === 'LayoutMismatch'
          ? `'${pair.safetensors.name}' does not match '${pair.json.name}'`
          : `'${pair.safetensors.name}'`;
    return { error: `${which}: ${e.message}` };
  }
}
