// The CoT panel of the Datasets page: VideoP2R's three-step pipeline (generate, verify, judge) over a
// stored dataset, written as a new dataset of shards. Endpoint, model and judge settings; API keys in
// memory unless "save" is ticked; progress by outcome with tokens and cost; CoT datasets left
// unfinished (a reload, a stop) resume from their cursor; finished ones export as VideoP2R-CoT JSON.

import { useState } from 'react';
import { useStore } from 'zustand';
import { useDatasets } from '../common/hooks';
import { cotRunInfo, cotStore, type CotFormSettings, type CotState } from '../../store/cot';
import { PROBLEM_TYPES, type DatasetManifest } from '../../data/types';
import type { CotProgress } from '../../data/cot/pipeline';
import './CotPanel.css';

function useCot<T>(selector: (s: CotState) => T): T {
  return useStore(cotStore, selector);
}

function NumberField({ label, value, onChange, min, step, testId }: { label: string; value: number; onChange: (v: number) => void; min?: number; step?: number; testId?: string }) {
  return (
    <label>
      {label}
      <input type="number" data-testid={testId} value={value} min={min} step={step ?? 1} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && onChange(e.target.valueAsNumber)} />
    </label>
  );
}

function TextField({ label, value, onChange, testId, type = 'text', placeholder }: { label: string; value: string; onChange: (v: string) => void; testId: string; type?: string; placeholder?: string }) {
  return (
    <label>
      {label}
      <input type={type} data-testid={testId} value={value} placeholder={placeholder} autoComplete="off" onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

export function CotProgressLine({ progress, total }: { progress: CotProgress; total?: number }) {
  const d = progress.discarded;
  return (
    <div className="cot-progress" data-testid="cot-progress" data-records={progress.records} data-kept={progress.kept} data-errors={progress.errors}>
      <span>
        {progress.records}
        {total ? ` / ${total}` : ''} records: <strong data-testid="cot-kept">{progress.kept}</strong> kept, {d.template + d.answer + d.judge} discarded (template {d.template}, answer {d.answer}, judge {d.judge}), {progress.errors} errors
      </span>
      <span className="note">
        {progress.tokens.toLocaleString()} tokens sent · ≈ {progress.cost.toFixed(4)} cost · {progress.answered} requests answered, {progress.replayed} replayed from the journal
      </span>
      {total ? <progress value={progress.records} max={total} /> : null}
    </div>
  );
}

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function CotDatasets({ datasets, running }: { datasets: DatasetManifest[]; running: boolean }) {
  const [exporting, setExporting] = useState<string | null>(null);
  const cot = datasets.filter((d) => cotRunInfo(d) !== null);
  if (cot.length === 0) return null;
  return (
    <ul className="cot-datasets" data-testid="cot-datasets">
      {cot.map((d) => {
        const p = d.progress;
        const done = p.state === 'complete';
        return (
          <li key={d.id} data-testid={`cot-dataset-${d.id}`} data-state={p.state}>
            <span>
              {d.name}: {d.counts.samples} kept of {p.cursor} processed{p.total ? ` (${p.total} in the source)` : ''} — {p.state}
            </span>
            {!done && (
              <button className="secondary small" data-testid={`cot-resume-${d.id}`} disabled={running} onClick={() => void cotStore.getState().resume(d.id)}>
                Resume
              </button>
            )}
            {done && (
              <button
                className="secondary small"
                data-testid={`cot-export-${d.id}`}
                disabled={exporting !== null}
                onClick={() => {
                  setExporting(d.id);
                  cotStore
                    .getState()
                    .exportJson(d.id)
                    .then((blob) => download(blob, `${d.id}.videop2r-cot.json`))
                    .catch((e: unknown) => cotStore.setState({ error: `Export of ${d.name} failed: ${(e as Error)?.message ?? e}` }))
                    .finally(() => setExporting(null));
                }}
              >
                {exporting === d.id ? 'Exporting…' : 'Export VideoP2R-CoT JSON'}
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export function CotPanel() {
  const [open, setOpen] = useState(false);
  const datasets = useDatasets((s) => s.datasets);
  const settings = useCot((s) => s.settings);
  const keys = useCot((s) => s.keys);
  const saveKeys = useCot((s) => s.saveKeys);
  const sourceId = useCot((s) => s.sourceId);
  const run = useCot((s) => s.run);
  const last = useCot((s) => s.last);
  const error = useCot((s) => s.error);
  const store = cotStore.getState();
  const set = (patch: Partial<CotFormSettings>) => store.setSettings(patch);
  const sources = datasets.filter((d) => d.progress.state === 'complete' && d.counts.samples > 0 && cotRunInfo(d) === null);
  const source = sources.find((d) => d.id === sourceId) ?? null;

  return (
    <section className="cot-panel" data-testid="cot-panel" aria-label="Generate process-aware CoTs">
      <h2>
        <button className="link" aria-expanded={open} data-testid="cot-toggle" onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'} Process-aware CoT (generate → verify → judge)
        </button>
      </h2>
      {run && <CotProgressLine progress={run.progress} total={run.total} />}
      {run && (
        <button className="secondary" data-testid="cot-stop" disabled={run.state === 'stopping'} onClick={() => store.stop()}>
          {run.state === 'stopping' ? 'Stopping…' : 'Stop'}
        </button>
      )}
      {!run && last && (
        <div data-testid="cot-last" data-state={last.state}>
          <strong>Last run: {last.state}.</strong> <CotProgressLine progress={last.progress} />
        </div>
      )}
      {error && (
        <div className="error-banner" role="alert" data-testid="cot-error">
          {error}{' '}
          <button className="secondary small" onClick={() => store.dismissError()}>
            Dismiss
          </button>
        </div>
      )}
      {open && (
        <div className="cot-form">
          <p className="note">
            Each record is sent to a vision-language model behind an OpenAI-compatible endpoint with the paper's template prompt and its frames; a CoT is kept when its template parses, its answer
            scores at least the threshold against the ground truth, and the judge finds its observation sufficient. Kept CoTs become a new dataset whose output is the CoT, for SFT. Every answer is
            journaled in this browser before use, so a stopped or reloaded run resumes without paying twice. The endpoints are called from this page, so they must allow its
            origin (CORS; vLLM: <code>--allowed-origins</code>).
          </p>
          <label>
            Source dataset
            <select data-testid="cot-source" value={sourceId ?? ''} onChange={(e) => store.setSource(e.target.value || null)}>
              <option value="">— pick one —</option>
              {sources.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} ({d.counts.samples} samples)
                </option>
              ))}
            </select>
          </label>
          <fieldset>
            <legend>Generator</legend>
            <TextField label="Endpoint (base URL)" testId="cot-endpoint" value={settings.endpoint} onChange={(v) => set({ endpoint: v })} placeholder="http://localhost:8000/v1" />
            <TextField label="Model" testId="cot-model" value={settings.model} onChange={(v) => set({ model: v })} placeholder="Qwen2.5-VL-72B-Instruct" />
            <TextField label="API key" testId="cot-key" type="password" value={keys.generate} onChange={(v) => store.setKeys({ generate: v })} />
            <NumberField label="Temperature" value={settings.temperature} min={0} step={0.1} onChange={(v) => set({ temperature: v })} />
            <NumberField label="Max tokens" value={settings.maxTokens} min={1} onChange={(v) => set({ maxTokens: Math.max(1, Math.floor(v)) })} />
            <NumberField label="Records in flight" testId="cot-concurrency" value={settings.concurrency} min={1} onChange={(v) => set({ concurrency: Math.max(1, Math.floor(v)) })} />
            <NumberField label="Retries" value={settings.retries} min={0} onChange={(v) => set({ retries: Math.max(0, Math.floor(v)) })} />
            <NumberField label="Timeout (ms)" value={settings.timeoutMs} min={1} onChange={(v) => set({ timeoutMs: Math.max(1, v) })} />
            <label className="inline">
              <input type="checkbox" checked={settings.typeHint} onChange={(e) => set({ typeHint: e.target.checked })} /> append Video-R1's answer-type hint
            </label>
          </fieldset>
          <fieldset>
            <legend>Sufficiency judge (text only)</legend>
            <TextField label="Judge URL" testId="cot-judge-url" value={settings.judgeUrl} onChange={(v) => set({ judgeUrl: v })} />
            <TextField label="Judge model" testId="cot-judge-model" value={settings.judgeModel} onChange={(v) => set({ judgeModel: v })} placeholder="claude-3-7-sonnet" />
            <TextField label="Judge API key (blank: the generator's)" testId="cot-judge-key" type="password" value={keys.judge} onChange={(v) => store.setKeys({ judge: v })} />
          </fieldset>
          <label className="inline">
            <input type="checkbox" data-testid="cot-save-keys" checked={saveKeys} onChange={(e) => store.setSaveKeys(e.target.checked)} /> save the API keys in this browser (otherwise they are
            forgotten on reload)
          </label>
          <fieldset>
            <legend>Verification: answer score needed to keep a CoT</legend>
            {PROBLEM_TYPES.map((t) => (
              <NumberField key={t} label={t} value={settings.thresholds[t]} min={0} step={0.05} onChange={(v) => set({ thresholds: { ...settings.thresholds, [t]: v } })} />
            ))}
          </fieldset>
          <fieldset>
            <legend>Cost estimate</legend>
            <NumberField label="Generator price per 1k tokens" value={settings.pricePer1k} min={0} step={0.001} onChange={(v) => set({ pricePer1k: v })} />
            <NumberField label="Judge price per 1k tokens" value={settings.judgePricePer1k} min={0} step={0.001} onChange={(v) => set({ judgePricePer1k: v })} />
          </fieldset>
          <div className="actions">
            <button data-testid="cot-start" disabled={!source || run !== null} onClick={() => void store.start()}>
              Generate CoTs{source ? ` for ${source.counts.samples} records` : ''}
            </button>
          </div>
        </div>
      )}
      <CotDatasets datasets={datasets} running={run !== null} />
    </section>
  );
}
