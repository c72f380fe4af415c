// GPU slice of the app store: acquiring the device and what the UI shows about it. The store core
// (zustand/vanilla) has no React import; src/ui/common/hooks.ts is the thin React layer.

import { createStore } from 'zustand/vanilla';
import { acquireDevice, type AdapterSummary, type GpuContext } from '../gpu/device';
import { GpuError, gpuError } from '../gpu/errors';

export type GpuStatus = 'idle' | 'acquiring' | 'ready' | 'unavailable' | 'lost';

export interface GpuState {
  status: GpuStatus;
  summary: AdapterSummary | null;
  error: { code: string; message: string; hint: string } | null;
  context: GpuContext | null;
  acquire: (gpu?: GPU) => Promise<GpuContext | null>;
}

function describe(e: unknown): GpuState['error'] {
  const err = e instanceof GpuError ? e : gpuError('DeviceRequestFailed', (e as Error)?.message ?? String(e));
  return { code: err.code, message: err.message, hint: err.hint };
}

export const gpuStore = createStore<GpuState>()((set, get) => ({
  status: 'idle',
  summary: null,
  error: null,
  context: null,
  async acquire(gpu?: GPU) {
    if (get().context) return get().context;
    set({ status: 'acquiring', error: null });
    try {
      const context = await acquireDevice({
        gpu,
        onError: (err) => {
          if (err.code === 'DeviceLost') set({ status: 'lost', context: null, error: describe(err) });
          else set({ error: describe(err) });
        },
      });
      set({ status: 'ready', context, summary: context.summary });
      return context;
    } catch (e) {
      set({ status: 'unavailable', error: describe(e) });
      return null;
    }
  },
}));
