// Owner of shaders/matmul_f16.wgsl: the tiled matmul with A and B stored in half precision (WGSL f16,
// the optional 'shader-f16' feature) and C in f32, for GPUs that have the feature. The same WGSL is
// compiled with its storage type `hfloat` set here: f16 where the device has 'shader-f16', f32
// otherwise, so the kernel's indexing is tested on every adapter and the f16 build differs only in
// the type (see the shader's header). Interface as Matmul's (variants, accumulate, batch, strides,
// offsets), except that A and B hold `storage` elements: upload them with `upload`.

import matmulF16Source from '../../../shaders/matmul_f16.wgsl?raw';
import { encodeF16 } from '../../util/f16';
import { USAGE } from '../buffers';
import { bindGroup, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';
import { DEFAULT_TILES, MATMUL_VARIANTS, matmulParams, type MatmulArgs, type MatmulTiles, type MatmulVariant } from './matmul';

/**
 * The element type of A and B. 'f16' needs a device created with 'shader-f16'; 'f32' is the same
 * kernel at full precision; 'i32' exists only to prove the WGSL never mixes hfloat with f32 implicitly
 * (an integer type makes any such mix a compile error, and integer inputs give exact results).
 */
export type HalfStorage = 'f16' | 'f32' | 'i32';

const THREAD_BLOCK = 4; // TM, TN in matmul_f16.wgsl

/** The lines the owner puts before shaders/matmul_f16.wgsl for a storage type. */
export function matmulF16Prelude(storage: HalfStorage): string {
  return storage === 'f16' ? 'enable f16;\nalias hfloat = f16;\n' : `alias hfloat = ${storage};\n`;
}

/** Bytes per element of A and B. */
export function halfStorageBytes(storage: HalfStorage): number {
  return storage === 'f16' ? 2 : 4;
}

/** A storage buffer holding `data` as `storage` elements (f16: rounded to nearest even). */
export function uploadStorage(device: GPUDevice, storage: HalfStorage, label: string, data: ArrayLike<number>): GPUBuffer {
  const bytes = storage === 'f16' ? encodeF16(data) : storage === 'i32' ? Int32Array.from(data) : Float32Array.from(data);
  // Bindings are sized in 4-byte words: an odd count of halves gets one padding half.
  const size = Math.max(4, Math.ceil(bytes.byteLength / 4) * 4);
  const buffer = device.createBuffer({ label, size, usage: USAGE.STORAGE | USAGE.COPY_DST | USAGE.COPY_SRC, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  buffer.unmap();
  return buffer;
}

/** The storage type a device should use: f16 when it was created with 'shader-f16', f32 otherwise. */
export function halfStorageFor(device: GPUDevice): 'f16' | 'f32' {
  return device.features.has('shader-f16') ? 'f16' : 'f32';
}

function pipelineKey(variant: MatmulVariant, accumulate: boolean): string {
  return `${variant}${accumulate ? '+=' : '='}`;
}

export class MatmulF16 {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: Map<string, GPUComputePipeline>,
    readonly tiles: MatmulTiles,
    readonly storage: HalfStorage,
  ) {}

  /** Bytes per element of A and B. */
  get elementBytes(): number {
    return halfStorageBytes(this.storage);
  }

  /**
   * Builds the eight pipelines (four transpose variants, with and without accumulate) for `storage`
   * (default: halfStorageFor(device)). Asking for 'f16' on a device without 'shader-f16' throws.
   */
  static async create(device: GPUDevice, storage: HalfStorage = halfStorageFor(device), tiles: MatmulTiles = DEFAULT_TILES): Promise<MatmulF16> {
    if (storage === 'f16' && !device.features.has('shader-f16')) {
      throw new RangeError(`MatmulF16: f16 storage needs a device created with 'shader-f16'; this one has [${[...device.features].sort().join(', ')}]: use storage 'f32'`);
    }
    if (tiles.wgX * tiles.wgY > 256) throw new RangeError(`MatmulF16: ${tiles.wgX}×${tiles.wgY} threads exceed the default 256 per workgroup`);
    if (tiles.tileK < 1) throw new RangeError(`MatmulF16: TILE_K must be at least 1 (got ${tiles.tileK})`);
    const sharedBytes = tiles.tileK * (tiles.wgX + tiles.wgY) * THREAD_BLOCK * halfStorageBytes(storage);
    if (sharedBytes > 16384) throw new RangeError(`MatmulF16: tiles need ${sharedBytes} bytes of workgroup memory, over the default 16 KiB`);
    const sources = [
      // The prelude's name carries the type: computePipeline caches by label and file names.
      { file: `matmul_f16 prelude (hfloat = ${storage})`, code: matmulF16Prelude(storage) },
      { file: 'shaders/matmul_f16.wgsl', code: matmulF16Source },
    ];
    const pipelines = new Map<string, GPUComputePipeline>();
    await Promise.all(
      MATMUL_VARIANTS.flatMap((variant) =>
        [false, true].map(async (accumulate) => {
          const label = `MatmulF16<${storage}>.${variant}${accumulate ? '.accumulate' : ''}`;
          const constants: Record<string, number> = {
            TRANS_A: variant[0] === 'T' ? 1 : 0,
            TRANS_B: variant[1] === 'T' ? 1 : 0,
            ACCUMULATE: accumulate ? 1 : 0,
            WG_X: tiles.wgX,
            WG_Y: tiles.wgY,
            TILE_K: tiles.tileK,
          };
          pipelines.set(pipelineKey(variant, accumulate), await computePipeline(device, { label, sources, constants }));
        }),
      ),
    );
    return new MatmulF16(device, pipelines, tiles, storage);
  }

  /** A storage buffer holding `data` in this kernel's storage type (f16 rounds to nearest even). */
  upload(label: string, data: ArrayLike<number>): GPUBuffer {
    return uploadStorage(this.device, this.storage, label, data);
  }

  /** A reusable dispatch of C = op(A)·op(B) (or C += ...): A and B in storage elements, C in f32. */
  bind(args: MatmulArgs): Dispatch {
    const { a, b, c, m, n, variant = 'NN', accumulate = false, batch = 1 } = args;
    const label = args.label ?? `MatmulF16<${this.storage}>.${variant}${accumulate ? '.accumulate' : ''}`;
    const params = matmulParams(this.device, label, args, this.elementBytes);
    const pipeline = this.pipelines.get(pipelineKey(variant, accumulate));
    if (!pipeline) throw new RangeError(`${label}: unknown variant '${variant}' (expected ${MATMUL_VARIANTS.join(', ')})`);
    const workgroups: [number, number, number] = [groups(n, this.tiles.wgX * THREAD_BLOCK), groups(m, this.tiles.wgY * THREAD_BLOCK), batch];
    if (workgroups[0] > 65535 || workgroups[1] > 65535) throw new RangeError(`${label}: ${m}×${n} needs more than 65535 workgroups along one axis`);
    return { label, pipeline, workgroups, bindGroup: bindGroup(this.device, label, pipeline, [params, a, b, c]) };
  }
}
