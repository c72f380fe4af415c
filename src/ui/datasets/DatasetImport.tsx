// The import dialog: pick Video-R1 JSON / JSON Lines files or the VideoP2R .json.gz parts, optionally
// the media folder, choose what to do with records whose media fails, then follow the progress,
// cancel, and read the summary of what was imported and skipped.

import { useState } from 'react';
import { useDatasets } from '../common/hooks';
import { datasetsStore } from '../../store/datasets';
import type { ImportProgress } from '../../data/types';
import { ImportIssues } from './ImportIssues';

export function DatasetImport({ onClose }: { onClose: () => void }) {
  const [files, setFiles] = useState<File[]>([]);
  const [media, setMedia] = useState<File[]>([]);
  const [name, setName] = useState('');
  const [onMediaError, setOnMediaError] = useState<'skip' | 'keep'>('skip');
  const [maxFrames, setMaxFrames] = useState(8);
  const [shardSamples, setShardSamples] = useState(256);
  // Busy while an import runs or the picked files are being hashed (a second click would race it).
  const busy = useDatasets((s) => s.job !== null || s.checking);

  const start = () => {
    void datasetsStore.getState().importFiles({ files, name, mediaFiles: media, onMediaError, maxFrames, shardSamples });
    onClose();
  };

  return (
    <div className="dataset-import" role="dialog" aria-label="Import a dataset" data-testid="import-dialog">
      <h2>Import a dataset</h2>
      <label>
        Records: Video-R1 <code>.json</code> / <code>.jsonl</code>, or VideoP2R <code>.json.gz</code> parts
        <input data-testid="import-files" type="file" multiple accept=".json,.jsonl,.gz,application/json" onChange={(e) => setFiles([...(e.target.files ?? [])])} />
      </label>
      <label>
        Media folder (optional; record paths resolve against it)
        <input data-testid="import-media" type="file" multiple {...{ webkitdirectory: '' }} onChange={(e) => setMedia([...(e.target.files ?? [])])} />
      </label>
      {media.length > 0 && (
        <p className="note" data-testid="import-media-count">
          {media.length} media files picked.
        </p>
      )}
      <label>
        Name <input value={name} placeholder={files.map((f) => f.name).join(' + ')} onChange={(e) => setName(e.target.value)} />
      </label>
      <fieldset>
        <legend>A record whose media is missing or undecodable</legend>
        <label>
          <input data-testid="import-media-skip" type="radio" checked={onMediaError === 'skip'} onChange={() => setOnMediaError('skip')} /> skip it
        </label>
        <label>
          <input data-testid="import-media-keep" type="radio" checked={onMediaError === 'keep'} onChange={() => setOnMediaError('keep')} /> keep it without media
        </label>
      </fieldset>
      <label>
        Frames per video (sampled uniformly, 2 fps, as Video-R1) <input type="number" min={1} max={32} value={maxFrames} onChange={(e) => setMaxFrames(Math.max(1, Number(e.target.value) || 1))} />
      </label>
      <label>
        Samples per shard <input data-testid="import-shard-samples" type="number" min={1} max={4096} value={shardSamples} onChange={(e) => setShardSamples(Math.max(1, Number(e.target.value) || 1))} />
      </label>
      <div className="actions">
        <button data-testid="import-start" disabled={files.length === 0 || busy} onClick={start}>
          Import
        </button>
        <button className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      {busy && <p className="note">An import is running; start this one when it ends.</p>}
    </div>
  );
}

/** Progress of the running job, with its cancel button. */
export function DatasetProgress() {
  const job = useDatasets((s) => s.job);
  const name = useDatasets((s) => s.datasets.find((d) => d.id === s.job?.datasetId)?.name);
  if (!job) return null;
  const p = job.progress;
  const fraction = p.total ? p.cursor / p.total : null;
  return (
    <div className="dataset-progress" data-testid="import-progress" data-cursor={p.cursor}>
      <span>
        {job.kind === 'synthetic' ? 'Generating' : 'Importing'} {name}: {p.imported} samples
        {p.skipped > 0 ? `, ${p.skipped} skipped` : ''}
        {fraction !== null ? ` (${Math.round(100 * fraction)}%)` : ''}
      </span>
      <progress value={fraction ?? undefined} max={1} />
      <button className="secondary" data-testid="import-cancel" onClick={() => datasetsStore.getState().cancel()}>
        Cancel
      </button>
    </div>
  );
}

/** What an import did: counts, reasons, and its issues (file, line, id, field) by kind, with the report export. */
export function DatasetSummary({ progress, name, datasetId, onClose }: { progress: ImportProgress; name: string; datasetId?: string; onClose?: () => void }) {
  const reasons = Object.entries(progress.byReason);
  return (
    <div className="dataset-summary" data-testid="import-summary" data-state={progress.state} data-name={name}>
      <strong>
        {name}: {progress.state === 'complete' ? 'done' : progress.state}
      </strong>{' '}
      —{' '}
      <span data-testid="summary-imported">{progress.imported}</span> imported, <span data-testid="summary-skipped">{progress.skipped}</span> skipped
      {progress.keptWithoutMedia > 0 && <>, {progress.keptWithoutMedia} kept without media</>}.
      {reasons.length > 0 && <span> Reasons: {reasons.map(([code, n]) => `${code} ×${n}`).join(', ')}.</span>}
      {progress.error && (
        <p className="error">
          {progress.error.code}: {progress.error.message}
        </p>
      )}
      <ImportIssues progress={progress} datasetId={datasetId} name={name} />
      {onClose && (
        <button className="secondary" onClick={onClose}>
          Dismiss
        </button>
      )}
    </div>
  );
}
