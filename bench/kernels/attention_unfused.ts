// Owner of bench/kernels/attention_unfused.wgsl, the benchmark baseline for the flash-style kernels:
// same call shape as Attention.forward / Attention.backward, so a runner can swap one for the other.

import unfusedSource from './attention_unfused.wgsl?raw';
import { storageBuffer, uniformBuffer } from '../../src/gpu/buffers';
import { grid1d, groups, type Dispatch } from '../../src/gpu/dispatch';
import type { AttentionBackwardArgs, AttentionForwardArgs, AttentionSizes } from '../../src/gpu/kernels/attention';
import { computePipeline } from '../../src/gpu/pipeline';

const WG = 256;

const ENTRY_POINTS = ['scores', 'softmax', 'pv', 'dprobs', 'dscores', 'dq', 'dkv'] as const;
type EntryPoint = (typeof ENTRY_POINTS)[number];

/** Binding slots of the shared layout in the .wgsl file. */
const SLOT = { params: 0, qkv: 1, lengths: 2, probs: 3, out: 4, lse: 5, dout: 6, probsGrad: 7, dqkv: 8 } as const;
type Slot = Exclude<keyof typeof SLOT, 'params'>;

/** Bindings (besides params) each entry point reads or writes: auto layouts hold only those. */
const USES: Record<EntryPoint, Slot[]> = {
  scores: ['qkv', 'probs'],
  softmax: ['lengths', 'probs', 'lse'],
  pv: ['qkv', 'probs', 'out'],
  dprobs: ['qkv', 'dout', 'probsGrad'],
  dscores: ['probs', 'probsGrad'],
  dq: ['qkv', 'probsGrad', 'dqkv'],
  dkv: ['qkv', 'probs', 'probsGrad', 'dout', 'dqkv'],
};

/** 128 MiB: WebGPU's default maxStorageBufferBindingSize. */
const MAX_BINDING_BYTES = 128 * 1024 * 1024;

export class AttentionUnfused {
  /**
   * The (B, H, T, T) probabilities written by a forward, keyed by its qkv buffer: the backward bound
   * for the same qkv reads them (as an eager framework keeps the attention weights for backward).
   */
  private readonly probs = new WeakMap<GPUBuffer, GPUBuffer>();

  private constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: Record<EntryPoint, GPUComputePipeline>,
  ) {}

  static async create(device: GPUDevice): Promise<AttentionUnfused> {
    const built = await Promise.all(
      ENTRY_POINTS.map((entryPoint) =>
        computePipeline(device, {
          label: `AttentionUnfused.${entryPoint}`,
          sources: [{ file: 'bench/kernels/attention_unfused.wgsl', code: unfusedSource }],
          entryPoint,
          constants: { WG },
        }),
      ),
    );
    return new AttentionUnfused(device, Object.fromEntries(ENTRY_POINTS.map((e, i) => [e, built[i]])) as Record<EntryPoint, GPUComputePipeline>);
  }

  /** Three dispatches: scores, softmax (also lse), P·V. Allocates the (B, H, T, T) scratch once per call. */
  forward(args: AttentionForwardArgs): Dispatch[] {
    const label = args.label ?? 'AttentionUnfused.forward';
    const { B, T, H } = args;
    const probs = storageBuffer(this.device, `${label}.probs`, this.squareElements(label, args));
    this.probs.set(args.qkv, probs);
    const buffers = { qkv: args.qkv, lengths: args.lengths, probs, out: args.out, lse: args.lse };
    return [
      this.bind('scores', label, args, B * H * T * T, buffers),
      this.bind('softmax', label, args, B * H * T, buffers),
      this.bind('pv', label, args, B * T * H * args.D, buffers),
    ];
  }

  /**
   * Four dispatches: dP, dS (in place), dQ, dK/dV. Reads the probabilities of the forward bound for
   * the same qkv buffer (bind that forward first); `lse` and `out` are not needed and are ignored.
   */
  backward(args: AttentionBackwardArgs): Dispatch[] {
    const label = args.label ?? 'AttentionUnfused.backward';
    const { B, T, H } = args;
    const probs = this.probs.get(args.qkv);
    if (!probs) throw new Error(`${label}: no forward bound for qkv '${args.qkv.label}'; call forward with the same qkv first`);
    const probsGrad = storageBuffer(this.device, `${label}.probsGrad`, this.squareElements(label, args));
    const buffers = { qkv: args.qkv, lengths: args.lengths, probs, dout: args.dout, probsGrad, dqkv: args.dqkv };
    const C = H * args.D;
    return [
      this.bind('dprobs', label, args, B * H * T * T, buffers),
      this.bind('dscores', label, args, B * H * T, buffers),
      this.bind('dq', label, args, B * T * C, buffers),
      this.bind('dkv', label, args, B * T * C, buffers),
    ];
  }

  private squareElements(label: string, { B, T, H }: AttentionSizes): number {
    const n = B * H * T * T;
    if (n * 4 > MAX_BINDING_BYTES) {
      throw new RangeError(`${label}: the (B, H, T, T) matrix needs ${n * 4} bytes, over the 128 MiB binding limit; use a smaller B`);
    }
    return n;
  }

  private bind(
    entry: EntryPoint,
    label: string,
    sizes: AttentionSizes,
    threads: number,
    buffers: Partial<Record<Slot, GPUBuffer>>,
  ): Dispatch {
    const { B, T, H, D } = sizes;
    const pipeline = this.pipelines[entry];
    const workgroups = grid1d(groups(threads, WG));
    if (workgroups[1] > 65535) throw new RangeError(`${label}.${entry}: ${threads} threads exceed the grid`);
    const params = uniformBuffer(this.device, `${label}.${entry}.params`, [
      { u32: B },
      { u32: T },
      { u32: H },
      { u32: D },
      { u32: H * D },
      { f32: 1 / Math.sqrt(D) },
      { u32: threads },
      { u32: workgroups[0] * WG },
    ]);
    const entries: GPUBindGroupEntry[] = [{ binding: SLOT.params, resource: { buffer: params } }];
    for (const slot of USES[entry]) {
      const buffer = buffers[slot];
      if (!buffer) throw new Error(`${label}.${entry}: missing buffer '${slot}'`);
      entries.push({ binding: SLOT[slot], resource: { buffer } });
    }
    const bindGroup = this.device.createBindGroup({ label: `${label}.${entry}`, layout: pipeline.getBindGroupLayout(0), entries });
    return { label: `${label}.${entry}`, pipeline, workgroups, bindGroup };
  }
}
