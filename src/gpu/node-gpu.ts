// Node seam: the GPU entry point from Dawn's Node bindings (`webgpu` package). Browsers never import
// this file. Without a GPU, Dawn runs on SwiftShader, which Debian's chromium package ships.

import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let cached: GPU | undefined;

export async function nodeGpu(): Promise<GPU> {
  if (cached) return cached;
  // The Vulkan loader reads this when Dawn creates its instance, so it must be set first.
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // SwiftShader's WSI probing complains on every device when this is unset; it is never used for compute.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, GPUShaderStage, ...
  cached = create(['backend=vulkan']);
  return cached;
}
