// The adapter as the app sees it (name, features, limits) and an on-device kernel self-test.

import { useState } from 'react';
import { useGpu } from '../common/hooks';
import { KERNEL_CHECKS, runSelfTest, type SelfTestResult } from '../../gpu/self_test';
import { checkOnnxEncoder } from '../../model/onnx_self_test';

/** The page's rows: the kernels, then the ONNX frame encoder on the same device. */
const DEVICE_CHECKS = [...KERNEL_CHECKS, checkOnnxEncoder];

export function DevicePanel() {
  const summary = useGpu((s) => s.summary);
  const context = useGpu((s) => s.context);
  const error = useGpu((s) => s.error);
  const [results, setResults] = useState<SelfTestResult[] | null>(null);
  const [running, setRunning] = useState(false);

  if (!summary) return <section className="panel">Requesting a WebGPU adapter…</section>;

  async function selfTest() {
    if (!context) return;
    setRunning(true);
    try {
      setResults(await runSelfTest(context.device, DEVICE_CHECKS));
    } finally {
      setRunning(false);
    }
  }

  return (
    <section className="panel" data-testid="device-panel">
      <h1>
        Adapter: <span data-testid="adapter-name">{summary.description}</span>
      </h1>
      {summary.isFallback && (
        <p className="note">This is a CPU (software) adapter: kernels run correctly but slowly; speed figures are not GPU figures.</p>
      )}
      {error && (
        <p className="error" role="alert">
          {error.code}: {error.message}
        </p>
      )}
      <dl className="facts">
        <dt>Vendor</dt>
        <dd>{summary.vendor || '—'}</dd>
        <dt>Architecture</dt>
        <dd>{summary.architecture || '—'}</dd>
        <dt>Features</dt>
        <dd data-testid="adapter-features">{summary.features.join(', ') || 'none'}</dd>
      </dl>
      <h2>Limits</h2>
      <table className="limits">
        <tbody>
          {Object.entries(summary.limits).map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v.toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Kernel self-test</h2>
      <button onClick={selfTest} disabled={running || !context} data-testid="self-test">
        {running ? 'Running…' : 'Run self-test'}
      </button>
      {results && (
        <table className="self-test" data-testid="self-test-results">
          <thead>
            <tr>
              <th>kernel</th>
              <th>result</th>
              <th>max |GPU − CPU|</th>
              <th>elements</th>
              <th>ms</th>
            </tr>
          </thead>
          <tbody>
            {results.map((r) => (
              <tr key={r.kernel} data-ok={r.ok}>
                <td>{r.kernel}</td>
                <td>{r.ok ? 'pass' : `FAIL${r.error ? `: ${r.error}` : ''}`}</td>
                <td>{Number.isFinite(r.maxAbsError) ? r.maxAbsError.toExponential(2) : '—'}</td>
                <td>{r.elements}</td>
                <td>{r.ms.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
