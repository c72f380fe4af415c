// The rollout inspector's root: reads the hash route and shows the runs list, a run's dashboard or
// the group view. Opening a run loads only its metadata and group index; groups load on demand.

import { useEffect, useState } from 'react';
import { useRollouts } from '../common/hooks';
import { rolloutsStore } from '../../store/rollouts';
import { GroupView } from './GroupView';
import { currentHash, parseRoute } from './route';
import { RunDashboard } from './RunDashboard';
import { RunsList } from './RunsList';
import { CompareView } from './CompareView';
import './inspector.css';

function useTheme(): [string, () => void] {
  const [theme, setTheme] = useState(() => localStorage.getItem('p2r-theme') ?? 'auto');
  useEffect(() => {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem('p2r-theme', theme);
  }, [theme]);
  return [theme, () => setTheme((t) => (t === 'auto' ? 'dark' : t === 'dark' ? 'light' : 'auto'))];
}

export function RolloutsView() {
  const [hash, setHash] = useState(currentHash);
  const [theme, cycleTheme] = useTheme();
  useEffect(() => {
    const on = () => setHash(currentHash());
    addEventListener('hashchange', on);
    addEventListener('popstate', on);
    return () => {
      removeEventListener('hashchange', on);
      removeEventListener('popstate', on);
    };
  }, []);
  const route = parseRoute(hash) ?? { runId: null, step: null, groupId: null, sample: null };
  const run = useRollouts((s) => s.run);
  const missing = useRollouts((s) => s.runMissing);
  useEffect(() => {
    if (route.runId) void rolloutsStore.getState().openRun(route.runId);
  }, [route.runId]);

  const themeButton = (
    <button className="secondary theme" onClick={cycleTheme} title="theme: auto / dark / light">
      theme: {theme}
    </button>
  );
  let body;
  if (!route.runId) body = route.compare?.length ? <CompareView runIds={route.compare} /> : <RunsList />;
  else if (missing === route.runId)
    body = (
      <p className="error" data-testid="run-missing">
        Run “{route.runId}” is not in this browser. Rollouts live in IndexedDB on the machine that imported them: import its files here to open this link.{' '}
        <a href="#/rollouts">Runs</a>
      </p>
    );
  else if (!run || run.meta.runId !== route.runId) body = <p className="note">loading run…</p>;
  else if (route.step === null) body = <RunDashboard runId={route.runId} />;
  else body = <GroupView route={{ ...route, runId: route.runId, step: route.step }} />;
  return (
    <div className="inspector">
      {themeButton}
      {body}
    </div>
  );
}
