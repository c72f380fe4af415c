// React bindings for the vanilla stores: components subscribe to the smallest slice they need.

import { useStore } from 'zustand';
import { gpuStore, type GpuState } from './gpu';

export function useGpu<T>(selector: (s: GpuState) => T): T {
  return useStore(gpuStore, selector);
}
