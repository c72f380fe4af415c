// The selected dataset's samples: filters (problem type, source), a virtualised list that renders
// only the visible rows (200k samples scroll as smoothly as 20), and the detail of one sample with
// its frame strip and every field.

import { useEffect, useMemo, useRef, useState } from 'react';
import { useDatasets } from '../common/hooks';
import { datasetsStore, PROBLEM_TYPES, type SampleIndex } from '../../store/datasets';
import { locate } from '../../data/manifest';
import type { DatasetManifest, StoredSample } from '../../data/types';
import { DatasetFrame } from './DatasetFrame';

const ROW_HEIGHT = 28; // px, fixed so the visible range is arithmetic
const VIEW_HEIGHT = 448; // px
const OVERSCAN = 6; // rows rendered above and below the visible ones

function filtered(index: SampleIndex, type: number, source: number): Int32Array {
  const n = index.ids.length;
  if (type < 0 && source < 0) return Int32Array.from({ length: n }, (_, i) => i);
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) if ((type < 0 || index.types[i] === type) && (source < 0 || index.sources[i] === source)) out[k++] = i;
  return out.subarray(0, k);
}

export function DatasetSamples({ manifest }: { manifest: DatasetManifest }) {
  const index = useDatasets((s) => (s.index?.datasetId === manifest.id ? s.index : null));
  const [type, setType] = useState(-1);
  const [source, setSource] = useState(-1);
  const [scrollTop, setScrollTop] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const [shards, setShards] = useState<Map<number, StoredSample[]>>(new Map());
  const listRef = useRef<HTMLDivElement>(null);

  const rows = useMemo(() => (index ? filtered(index, type, source) : new Int32Array(0)), [index, type, source]);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + VIEW_HEIGHT) / ROW_HEIGHT) + OVERSCAN);

  // Reset when the dataset or filters change.
  useEffect(() => {
    setScrollTop(0);
    if (listRef.current) listRef.current.scrollTop = 0;
  }, [manifest.id, type, source]);
  useEffect(() => setShards(new Map()), [manifest.id]);

  // Load the shards the visible rows live in (the reader caches decoded shards).
  const needed = useMemo(() => {
    const set = new Set<number>();
    for (let r = first; r < last; r++) {
      const at = locate(manifest, rows[r]);
      if (at) set.add(at.shard);
    }
    return [...set];
  }, [first, last, rows, manifest]);
  useEffect(() => {
    let live = true;
    const missing = needed.filter((s) => !shards.has(s));
    if (missing.length === 0) return;
    void datasetsStore
      .getState()
      .reader(manifest.id)
      .then((reader) => Promise.all(missing.map(async (s) => [s, await reader.shard(s)] as const)))
      .then((loaded) => {
        if (!live) return;
        setShards((prev) => {
          const next = new Map(prev);
          for (const [s, samples] of loaded) next.set(s, samples);
          // Keep memory bounded: only the shards near the view.
          for (const k of next.keys()) if (!needed.includes(k) && next.size > 16) next.delete(k);
          return next;
        });
      })
      .catch((e) => datasetsStore.setState({ error: { code: e?.code ?? 'Error', message: String(e?.message ?? e), hint: e?.hint ?? '' } }));
    return () => {
      live = false;
    };
  }, [needed, shards, manifest.id]);

  const sampleAt = (ordinal: number): StoredSample | undefined => {
    const at = locate(manifest, ordinal);
    return at ? shards.get(at.shard)?.[at.offset] : undefined;
  };

  if (!index) return <p className="note">Loading the sample index…</p>;
  const typeCounts = manifest.counts.byProblemType;
  return (
    <div className="dataset-samples">
      <div className="filters">
        <label>
          Problem type{' '}
          <select data-testid="filter-type" value={type} onChange={(e) => setType(Number(e.target.value))}>
            <option value={-1}>all</option>
            {PROBLEM_TYPES.map((t, i) => (
              <option key={t} value={i} disabled={!typeCounts[t]}>
                {t} ({typeCounts[t] ?? 0})
              </option>
            ))}
          </select>
        </label>
        <label>
          Source{' '}
          <select data-testid="filter-source" value={source} onChange={(e) => setSource(Number(e.target.value))}>
            <option value={-1}>all</option>
            {index.sourceNames.map((s, i) => (
              <option key={s} value={i}>
                {s || '(none)'} ({manifest.counts.bySource[s] ?? 0})
              </option>
            ))}
          </select>
        </label>
        <span className="note" data-testid="row-count">
          {rows.length} of {index.ids.length} samples
        </span>
      </div>
      <div className="samples-split">
        <div className="sample-list" ref={listRef} style={{ height: VIEW_HEIGHT }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid="sample-list">
          <div style={{ height: rows.length * ROW_HEIGHT, position: 'relative' }}>
            {Array.from({ length: Math.max(0, last - first) }, (_, k) => {
              const r = first + k;
              const ordinal = rows[r];
              const sample = sampleAt(ordinal);
              return (
                <div
                  key={ordinal}
                  className={`sample-row${selected === ordinal ? ' selected' : ''}`}
                  style={{ top: r * ROW_HEIGHT, height: ROW_HEIGHT }}
                  data-testid="sample-row"
                  data-id={index.ids[ordinal]}
                  onClick={() => setSelected(ordinal)}
                >
                  <span className="ordinal">{ordinal}</span>
                  <span className="type">{PROBLEM_TYPES[index.types[ordinal]]}</span>
                  <span className="problem">{sample ? sample.record.problem : index.ids[ordinal]}</span>
                  {index.hasFrames[ordinal] ? <span className="has-frames" title="has frames">▣</span> : null}
                </div>
              );
            })}
          </div>
        </div>
        <SampleDetail manifest={manifest} ordinal={selected ?? (rows.length > 0 ? rows[0] : null)} />
      </div>
    </div>
  );
}

function SampleDetail({ manifest, ordinal }: { manifest: DatasetManifest; ordinal: number | null }) {
  const [sample, setSample] = useState<StoredSample | null>(null);
  useEffect(() => {
    let live = true;
    setSample(null);
    if (ordinal === null) return;
    void datasetsStore
      .getState()
      .reader(manifest.id)
      .then((r) => r.get(ordinal))
      .then((s) => live && setSample(s))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [manifest.id, manifest.shards.length, ordinal]);
  if (ordinal === null) return <div className="sample-detail note">No samples.</div>;
  if (!sample) return <div className="sample-detail note">Loading sample {ordinal}…</div>;
  const { record } = sample;
  const fields: [string, unknown][] = Object.entries(record).filter(([k]) => !['facts', 'output', 'options'].includes(k));
  return (
    <div className="sample-detail" data-testid="sample-detail" data-id={String(record.problem_id)}>
      <div className="frame-strip" data-testid="frame-strip">
        {sample.frames.length === 0 ? <span className="note">{sample.mediaError ? `No media (${sample.mediaError})` : 'No frames stored'}</span> : sample.frames.map((f, i) => <DatasetFrame key={i} frame={f} />)}
      </div>
      <h3>{record.problem}</h3>
      {record.options.length > 0 && (
        <ol className="options">
          {record.options.map((o) => (
            <li key={o}>{o}</li>
          ))}
        </ol>
      )}
      <dl className="facts">
        {fields.map(([k, v]) => (
          <FieldRow key={k} name={k} value={v} />
        ))}
      </dl>
      {record.facts && record.facts.length > 0 && (
        <>
          <h4>Scene facts the question needs</h4>
          <ul className="scene-facts">
            {record.facts.map((f) => (
              <li key={f.id}>
                <code>{f.id}</code> {f.text} <span className="note">[{f.mentions.map((g) => g.join(' | ')).join('] + [')}]</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {record.output && (
        <>
          <h4>Gold output</h4>
          <pre className="output">{record.output}</pre>
        </>
      )}
    </div>
  );
}

function FieldRow({ name, value }: { name: string; value: unknown }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return (
    <>
      <dt>{name}</dt>
      <dd>{text}</dd>
    </>
  );
}
