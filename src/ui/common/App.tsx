// The app shell: header with navigation (hash routes, so a link reopens a view), the GPU status,
// and the current view. Views for datasets, training and rollouts plug in as they are built.

import { useEffect, useState } from 'react';
import { useGpu } from './hooks';
import { gpuStore } from '../../store/gpu';
import { DevicePanel } from '../device/DevicePanel';
import { WebGpuMissing } from './WebGpuMissing';
import { DatasetsView } from '../datasets/DatasetsView';
import { RolloutsView } from '../rollouts/RolloutsView';
import { TrainView } from '../train/TrainView';

type Route = 'datasets' | 'train' | 'rollouts' | 'device';
const ROUTES: { id: Route; title: string }[] = [
  { id: 'datasets', title: 'Datasets' },
  { id: 'train', title: 'Train' },
  { id: 'rollouts', title: 'Rollouts' },
  { id: 'device', title: 'Device' },
];

function currentRoute(): Route {
  const id = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return ROUTES.find((r) => r.id === id)?.id ?? 'datasets';
}

export function App() {
  const status = useGpu((s) => s.status);
  const [route, setRoute] = useState<Route>(currentRoute);

  useEffect(() => {
    void gpuStore.getState().acquire();
    const onHash = () => setRoute(currentRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  return (
    <div className="app">
      <header className="app-header">
        <span className="brand">P2R Lab</span>
        <nav>
          {ROUTES.map((r) => (
            <a key={r.id} href={`#/${r.id}`} aria-current={route === r.id ? 'page' : undefined}>
              {r.title}
            </a>
          ))}
        </nav>
        <span className={`gpu-status gpu-${status}`} data-testid="gpu-status">
          {status === 'ready' ? 'WebGPU ready' : status === 'acquiring' || status === 'idle' ? 'Starting WebGPU…' : status === 'lost' ? 'GPU lost' : 'No WebGPU'}
        </span>
      </header>
      <main>
        {route === 'rollouts' ? (
          // Rollouts live in IndexedDB and need no GPU either.
          <RolloutsView />
        ) : route === 'datasets' ? (
          // Datasets live in IndexedDB and need no GPU: browsable even without WebGPU.
          <DatasetsView />
        ) : route === 'train' && status !== 'unavailable' ? (
          // Training runs in its own worker with its own device: the page's device may be lost meanwhile.
          <TrainView />
        ) : status === 'unavailable' || status === 'lost' ? (
          <WebGpuMissing />
        ) : (
          <DevicePanel />
        )}
      </main>
    </div>
  );
}
