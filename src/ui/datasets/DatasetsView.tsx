// The dataset browser: stored datasets with their counts, progress and resume; storage usage and
// persistence; the import dialog; and the selected dataset's samples. Opens on the built-in
// synthetic dataset, generating it on first load.

import { useEffect, useState } from 'react';
import { useDatasets } from '../common/hooks';
import { datasetsStore, exposeForTests } from '../../store/datasets';
import { trainingStore } from '../../store/training_browser';
import type { DatasetManifest } from '../../data/types';
import { DatasetImport, DatasetProgress, DatasetSummary } from './DatasetImport';
import { DuplicateImportPrompt } from './ImportIssues';
import { DatasetSamples } from './DatasetSamples';
import { CotPanel } from './CotPanel';
import './DatasetsView.css';

exposeForTests();

function bytes(n: number | null): string {
  if (n === null) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function DatasetsView() {
  const status = useDatasets((s) => s.status);
  const datasets = useDatasets((s) => s.datasets);
  const selectedId = useDatasets((s) => s.selectedId);
  const error = useDatasets((s) => s.error);
  const summary = useDatasets((s) => s.lastSummary);
  const [importing, setImporting] = useState(false);
  const selected = datasets.find((d) => d.id === selectedId) ?? null;

  useEffect(() => {
    void datasetsStore.getState().init();
  }, []);

  return (
    <section className="datasets-view" data-testid="datasets-view" data-status={status}>
      <aside className="datasets-side">
        <h1>Datasets</h1>
        <ul className="dataset-cards">
          {datasets.map((d) => (
            <DatasetCard key={d.id} manifest={d} selected={d.id === selectedId} />
          ))}
        </ul>
        <button data-testid="import-open" onClick={() => setImporting(true)}>
          Import…
        </button>
        <StorageUsage />
      </aside>
      <div className="datasets-main">
        {error && (
          <div className="error-banner" role="alert" data-testid="datasets-error" data-code={error.code}>
            <strong>{error.code}</strong>: {error.message}
            {error.hint && <div className="hint">{error.hint}</div>}
            <button className="secondary" onClick={() => datasetsStore.getState().dismissError()}>
              Dismiss
            </button>
          </div>
        )}
        <DuplicateImportPrompt />
        <DatasetProgress />
        {summary && <DatasetSummary progress={summary.progress} name={summary.name} datasetId={summary.datasetId} onClose={() => datasetsStore.setState({ lastSummary: null })} />}
        {importing && <DatasetImport onClose={() => setImporting(false)} />}
        <CotPanel />
        {status === 'loading' && <p className="note">Opening the dataset store…</p>}
        {selected && selected.counts.samples > 0 && <DatasetSamples manifest={selected} />}
        {selected && selected.counts.samples === 0 && <p className="note">{selected.name}: no samples yet.</p>}
      </div>
    </section>
  );
}

function DatasetCard({ manifest: m, selected }: { manifest: DatasetManifest; selected: boolean }) {
  const running = useDatasets((s) => s.job?.datasetId === m.id);
  const store = datasetsStore.getState();
  const p = m.progress;
  const incomplete = p.state !== 'complete' && !running;
  return (
    <li className={`dataset-card${selected ? ' selected' : ''}`} data-testid={`dataset-card-${m.id}`} data-state={running ? 'importing' : p.state} data-count={m.counts.samples}>
      <button className="link" onClick={() => void store.select(m.id)}>
        {m.name}
      </button>
      <div className="note">
        <span data-testid="dataset-count">{m.counts.samples}</span> samples · {m.shards.length} shards · {bytes(m.counts.bytes)} · {m.kind}
      </div>
      {incomplete && (
        <div className="resume">
          <span className="note">
            {p.state} at record {p.cursor}
            {p.error ? ` (${p.error.code})` : ''}.
          </span>
          {m.source.options.cot ? (
            <span className="note">Resume it in the CoT panel.</span>
          ) : m.kind === 'synthetic' ? (
            <button className="secondary" onClick={() => void store.resumeSynthetic(m.id)}>
              Resume
            </button>
          ) : (
            <label className="file-button">
              Resume: pick {m.source.files.map((f) => f.name).join(', ')}
              <input data-testid={`resume-files-${m.id}`} type="file" multiple onChange={(e) => void store.resumeImport(m.id, { files: [...(e.target.files ?? [])] })} />
            </label>
          )}
        </div>
      )}
      {m.kind !== 'synthetic' && p.skipped + p.keptWithoutMedia > 0 && !running && (
        <button className="secondary small" data-testid={`dataset-issues-${m.id}`} onClick={() => datasetsStore.setState({ lastSummary: { datasetId: m.id, name: m.name, progress: p } })}>
          Issues ({p.skipped + p.keptWithoutMedia})
        </button>
      )}
      {(m.source.options.cot || m.kind === 'videop2r') && m.counts.samples > 0 && <TrainSftButton manifest={m} />}
      <button className="secondary small" onClick={() => confirm(`Delete ${m.name}?`) && void store.remove(m.id)} disabled={running}>
        Delete
      </button>
    </li>
  );
}

/** Opens the Train page with SFT on this dataset chosen (its samples' output CoTs are the targets). */
function TrainSftButton({ manifest: m }: { manifest: DatasetManifest }) {
  const onClick = () => {
    if (!trainingStore.getState().useDataset(m.id)) {
      alert('A training run is active: stop it on the Train page before choosing another dataset.');
      return;
    }
    location.hash = '#/train';
  };
  return (
    <button className="secondary small" data-testid={`dataset-train-sft-${m.id}`} title="SFT on this dataset: each sample's output CoT is the target" onClick={onClick}>
      Train SFT on this
    </button>
  );
}

function StorageUsage() {
  const storage = useDatasets((s) => s.storage);
  const granted = useDatasets((s) => s.persistGranted);
  const fraction = storage.usage !== null && storage.quota ? storage.usage / storage.quota : null;
  return (
    <div className="storage" data-testid="storage-usage">
      <div>
        Storage: {bytes(storage.usage)} of {bytes(storage.quota)}
      </div>
      {fraction !== null && <progress value={fraction} max={1} />}
      <div className="note" data-testid="persist-status">
        {storage.persisted ? 'Persistent: the browser will not evict these datasets.' : granted === false ? 'Persistent storage was not granted: the browser may evict data under pressure.' : 'Best-effort storage: the browser may evict data under pressure.'}
      </div>
      {!storage.persisted && (
        <button className="secondary small" data-testid="persist-button" onClick={() => void datasetsStore.getState().requestPersist()}>
          Request persistent storage
        </button>
      )}
    </div>
  );
}
