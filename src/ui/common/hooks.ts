// React bindings for the vanilla stores: components subscribe to the smallest slice they need.

import { useStore } from 'zustand';
import { gpuStore, type GpuState } from '../../store/gpu';

export function useGpu<T>(selector: (s: GpuState) => T): T {
  return useStore(gpuStore, selector);
}

import { datasetsStore, type DatasetsState } from '../../store/datasets';

export function useDatasets<T>(selector: (s: DatasetsState) => T): T {
  return useStore(datasetsStore, selector);
}

// Rollout inspector slice.
import { rolloutsStore, type RolloutsState } from '../../store/rollouts';

export function useRollouts<T>(selector: (s: RolloutsState) => T): T {
  return useStore(rolloutsStore, selector);
}

// Training slice.
import type { TrainingState } from '../../store/training';
import { trainingStore } from '../../store/training_browser';

export function useTraining<T>(selector: (s: TrainingState) => T): T {
  return useStore(trainingStore, selector);
}
