// TRL GRPO/RLOO completions (inspector.md §3.2, method.md §5.2): `completions_{step:05d}.parquet` with
// `step, prompt, completion, <one column per reward function>, <log_extra columns>, advantage`, and the
// same table exported from W&B as `{"columns": [...], "data": [[...]]}` (also verl/EasyR1 wide val tables
// `input_i/output_i/score_i`, and OpenRLHF `global_step, text, reward`). Groups by (step, prompt).

import { parquetReadObjects } from 'hyparquet';
import { gunzipSync } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { textOf, type DraftRollout } from '../record';
import { columnsOf, ImportError, isRecord, splitColumns, stepFromFileName, toStep, type ParsedFile } from './common';

const KNOWN = new Set(['step', 'prompt', 'completion', 'advantage', 'image']);

/** TRL rows (from parquet, a W&B table or JSON Lines) → drafts. */
export function trlDrafts(rows: readonly Record<string, unknown>[], fileName: string): DraftRollout[] {
  const fileStep = stepFromFileName(fileName) ?? 0;
  return rows.map((row, i) => {
    const { rewards, extra } = splitColumns(row, KNOWN);
    const adv = row.advantage;
    const prompt = textOf(row.prompt);
    return {
      step: toStep(row.step, fileStep),
      groupKey: prompt,
      prompt,
      completion: textOf(row.completion),
      groundTruth: row.solution !== undefined ? textOf(row.solution) : row.ground_truth !== undefined ? textOf(row.ground_truth) : null,
      rewards,
      advantage: typeof adv === 'number' ? adv : typeof adv === 'bigint' ? Number(adv) : null,
      extra,
      line: i + 1,
      raw: row,
    };
  });
}

/** Parquet codecs beyond hyparquet's built-in snappy: gzip (fflate) and zstd (fzstd). */
const COMPRESSORS = {
  GZIP: (input: Uint8Array) => gunzipSync(input),
  ZSTD: (input: Uint8Array) => zstdDecompress(input),
};

/** Parquet values hyparquet returns that JSON and IndexedDB handle badly: bigint → number. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  return v;
}

export async function importTrlParquet(bytes: Uint8Array, fileName: string): Promise<ParsedFile> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file, compressors: COMPRESSORS })) as Record<string, unknown>[];
  } catch (e) {
    throw new ImportError(`${fileName}: not a readable parquet file (${(e as Error).message})`, 'expected TRL output_dir/completions/completions_*.parquet');
  }
  rows = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
  const warnings: string[] = [];
  if (rows.length && !('prompt' in rows[0] && 'completion' in rows[0])) warnings.push(`${fileName}: no prompt/completion columns; is this a TRL completions file?`);
  return { format: 'trl', drafts: trlDrafts(rows, fileName), warnings, columns: columnsOf(rows) };
}

/** W&B table JSON: `{"columns": [...], "data": [[...], ...]}` (wandb Table._to_table_json). */
export function isWandbTable(doc: unknown): doc is { columns: string[]; data: unknown[][] } {
  return isRecord(doc) && Array.isArray(doc.columns) && Array.isArray(doc.data);
}

export function importWandbTable(doc: { columns: string[]; data: unknown[][] }, fileName: string): ParsedFile {
  const cols = doc.columns.map(String);
  const rows = doc.data.map((d) => Object.fromEntries(cols.map((c, i) => [c, d[i]])));
  const wide = cols.filter((c) => /^input_\d+$/.test(c));
  let drafts: DraftRollout[];
  if (cols.includes('prompt') && cols.includes('completion')) {
    drafts = trlDrafts(rows, fileName);
  } else if (wide.length) {
    // verl / EasyR1 validation table: one row per step, N samples as input_i, output_i, score_i (label_i).
    drafts = [];
    rows.forEach((row, line) => {
      for (const c of wide) {
        const i = c.slice('input_'.length);
        const prompt = textOf(row[c]);
        const score = row[`score_${i}`];
        drafts.push({
          step: toStep(row.step, 0),
          groupKey: prompt,
          prompt,
          completion: textOf(row[`output_${i}`]),
          groundTruth: row[`label_${i}`] !== undefined ? textOf(row[`label_${i}`]) : null,
          rewards: typeof score === 'number' ? { score } : {},
          advantage: null,
          extra: {},
          line: line + 1,
          raw: row,
          split: 'val',
        });
      }
    });
  } else if (cols.includes('text')) {
    // OpenRLHF train/generated_samples: prompt and response decoded together.
    drafts = rows.map((row, line): DraftRollout => ({
      step: toStep(row.global_step ?? row.step, 0),
      groupKey: `step ${String(row.global_step ?? row.step)}`,
      prompt: '',
      completion: textOf(row.text),
      groundTruth: null,
      rewards: typeof row.reward === 'number' ? { reward: row.reward } : {},
      advantage: null,
      extra: {},
      line: line + 1,
      raw: row,
    }));
  } else {
    throw new ImportError(`${fileName}: a W&B table without prompt/completion, input_i/output_i or text columns`, `columns were: ${cols.join(', ')}`);
  }
  return { format: 'wandb-table', drafts, warnings: [], columns: cols };
}
