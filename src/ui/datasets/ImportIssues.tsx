// The issues of an import, findable at Video-R1 scale: a list filtered by kind (issue code) that
// pages through the issue store, so the one MissingField among 250 000 MediaMissing is one click
// away, and the whole report exported as JSON Lines (file, line, id, field, code, message, action)
// to fix the source file. Also the prompt shown when the picked files are already imported.

import { useEffect, useState } from 'react';
import { useDatasets } from '../common/hooks';
import { datasetsStore } from '../../store/datasets';
import type { ImportIssue, ImportProgress } from '../../data/types';

const PAGE = 200;

function IssueRow({ issue: i }: { issue: ImportIssue }) {
  return (
    <li data-code={i.code}>
      <code>
        {i.file}
        {i.line !== undefined ? `:${i.line}` : ''}
      </code>{' '}
      {i.problemId !== undefined && <>id {i.problemId} </>}
      {i.field && (
        <>
          field <code>{i.field}</code>{' '}
        </>
      )}
      [{i.code}, {i.action}] {i.message}
    </li>
  );
}

/** Saves a blob under `name` through a temporary link (the page has no other way to write a file). */
function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The issue list of an import. Without a stored dataset (or one imported before the issue store)
 * it shows the manifest's sample (the first issues of each kind); with one, pages of the store.
 */
export function ImportIssues({ progress, datasetId, name }: { progress: ImportProgress; datasetId?: string; name: string }) {
  const [code, setCode] = useState('');
  const [items, setItems] = useState<ImportIssue[] | null>(null);
  const [exporting, setExporting] = useState<'idle' | 'busy' | 'failed'>('idle');
  const kinds = Object.entries(progress.byReason).sort((a, b) => b[1] - a[1]);
  const total = code ? (progress.byReason[code] ?? 0) : progress.skipped + progress.keptWithoutMedia;
  const sample = progress.issues.filter((i) => !code || i.code === code).sort((a, b) => a.record - b.record);

  useEffect(() => {
    setItems(null);
    if (!datasetId) return;
    let live = true;
    void datasetsStore
      .getState()
      .issues(datasetId, { code: code || undefined, limit: PAGE })
      .then((page) => live && setItems(page))
      .catch(() => live && setItems(null));
    return () => {
      live = false;
    };
  }, [datasetId, code, progress.cursor]);

  // A dataset imported before the issue store has only the sample.
  const shown = items && items.length > 0 ? items : sample;
  const more = async () => {
    if (!datasetId) return;
    const page = await datasetsStore.getState().issues(datasetId, { code: code || undefined, offset: shown.length, limit: PAGE });
    setItems([...shown, ...page]);
  };
  const exportReport = async () => {
    if (!datasetId) return;
    setExporting('busy');
    try {
      download(await datasetsStore.getState().issueReport(datasetId), `${name.replace(/[\\/:*?"<>|]+/g, '_')}.issues.jsonl`);
      setExporting('idle');
    } catch {
      setExporting('failed');
    }
  };

  if (kinds.length === 0) return null;
  return (
    <details className="import-issues" data-testid="import-issues">
      <summary>
        Issues: {progress.skipped + progress.keptWithoutMedia} — list by kind, export the report
      </summary>
      <div className="issue-tools">
        <label>
          Kind{' '}
          <select data-testid="issue-kind" value={code} onChange={(e) => setCode(e.target.value)}>
            <option value="">all kinds ({progress.skipped + progress.keptWithoutMedia})</option>
            {kinds.map(([c, n]) => (
              <option key={c} value={c}>
                {c} ({n})
              </option>
            ))}
          </select>
        </label>
        <span className="note" data-testid="issue-shown">
          {shown.length} of {total} shown
        </span>
        {datasetId && (
          <button className="secondary small" data-testid="issue-export" disabled={exporting === 'busy'} onClick={() => void exportReport()}>
            {exporting === 'busy' ? 'Exporting…' : 'Export report (JSON Lines)'}
          </button>
        )}
        {exporting === 'failed' && <span className="error">The report could not be read from storage.</span>}
      </div>
      <ul className="issues">
        {shown.map((i) => (
          <IssueRow key={i.record} issue={i} />
        ))}
      </ul>
      {datasetId && items !== null && shown.length < total && (
        <button className="secondary small" data-testid="issue-more" onClick={() => void more()}>
          Show {Math.min(PAGE, total - shown.length)} more
        </button>
      )}
    </details>
  );
}

/** While the picked files are hashed, and when they turn out to be imported already: open, replace or copy. */
export function DuplicateImportPrompt() {
  const checking = useDatasets((s) => s.checking);
  const progress = useDatasets((s) => s.checkProgress);
  const duplicate = useDatasets((s) => s.duplicate);
  const [copyName, setCopyName] = useState('');
  if (checking)
    return (
      <p className="note" data-testid="import-checking">
        Checking whether these files were imported before…
        {progress && progress.total > 0 ? ` ${Math.round((100 * progress.done) / progress.total)}%` : ''}
      </p>
    );
  if (!duplicate) return null;
  const store = datasetsStore.getState();
  const { existing } = duplicate;
  return (
    <div className="dataset-duplicate" role="alertdialog" aria-label="Already imported" data-testid="import-duplicate">
      <p>
        These files have the same content as <strong>{existing.name}</strong> ({existing.samples} samples), already imported.
      </p>
      <div className="actions">
        <button data-testid="duplicate-open" onClick={() => void store.resolveDuplicate('open')}>
          Open {existing.name}
        </button>
        <button className="secondary" data-testid="duplicate-replace" onClick={() => void store.resolveDuplicate('replace')}>
          Replace it (the old one is deleted once the new import completes)
        </button>
        <label>
          Import a copy named <input data-testid="duplicate-copy-name" value={copyName} placeholder={`${existing.name} (copy)`} onChange={(e) => setCopyName(e.target.value)} />
        </label>
        <button className="secondary" data-testid="duplicate-copy" onClick={() => void store.resolveDuplicate('copy', copyName)}>
          Import a copy
        </button>
        <button className="secondary" data-testid="duplicate-cancel" onClick={() => void store.resolveDuplicate('cancel')}>
          Cancel
        </button>
      </div>
    </div>
  );
}
