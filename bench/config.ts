// The benchmark configuration: one flat object of commented defaults (the full run), a `quick`
// preset that overrides only what differs, and the command-line flags of `npm run bench`. Pure: the
// same object is passed to the Node section and, as JSON, into the browser page.

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
}

export interface BenchConfig {
  /** Preset the run started from ('full' or 'quick'). */
  preset: 'full' | 'quick';
  /** Timed repeats per case; the reported figure is the median. */
  repeats: number;
  /** Repeats for attention at T ≥ longT: each repeat takes seconds on SwiftShader. */
  longRepeats: number;
  longT: number;
  /** Untimed runs of each side before timing. */
  warmup: number;
  /** Seed of the random inputs (normal, scale 1). */
  seed: number;
  /** Causal attention shapes: every T × every D, at batch B and H heads. */
  attention: { B: number; H: number; T: number[]; D: number[] };
  /** Matmul shapes C(M,N) = A(M,K)·B(K,N). */
  matmul: MatmulShape[];
  /** Sections to run (see bench/sections.ts); empty means all but the opt-in ones. */
  only: string[];
  /** --gpu-report: run the gpu-report section (bench/gpu_report.ts), alone unless --only names others. */
  gpuReport?: boolean;
  /** --peak-gflops N: the adapter's f32 peak, GFLOP/s, for the gpu-report's fraction of peak. */
  peakGflops?: number;
}

/**
 * The full run: about 10-15 minutes on a 2-core machine without a GPU (SwiftShader). The T = 1024
 * cases dominate: fewer repeats there.
 */
export const FULL: BenchConfig = {
  preset: 'full',
  repeats: 5,
  longRepeats: 3,
  longT: 1024,
  warmup: 1,
  seed: 1234,
  attention: { B: 1, H: 4, T: [64, 256, 1024], D: [32, 64] },
  matmul: [
    { m: 256, n: 256, k: 256 },
    { m: 512, n: 512, k: 512 },
    // A transformer's MLP at B·T = 512 tokens, C = 256: up-projection (C → 4C), then down (4C → C).
    { m: 512, n: 1024, k: 256 },
    { m: 512, n: 256, k: 1024 },
  ],
  only: [],
};

/** A smoke run of the whole harness in about a minute. */
export const QUICK: BenchConfig = {
  ...FULL,
  preset: 'quick',
  repeats: 3,
  longRepeats: 2,
  warmup: 1,
  attention: { B: 1, H: 4, T: [64, 128], D: [32] },
  matmul: [
    { m: 128, n: 128, k: 128 },
    { m: 128, n: 256, k: 64 },
  ],
};

export const USAGE_TEXT = `npm run bench -- [flags]
  --quick               small shapes and few repeats (a smoke run of the harness)
  --only NAME[,NAME]    run only these sections (node, browser, ...)
  --repeats N           timed repeats per case (default ${FULL.repeats}; quick ${QUICK.repeats})
  --long-repeats N      repeats for attention at T >= ${FULL.longT} (default ${FULL.longRepeats})
  --warmup N            untimed runs per side first (default ${FULL.warmup})
  --seq T[,T]           attention sequence lengths (default ${FULL.attention.T.join(',')})
  --head-dims D[,D]     attention head dims (default ${FULL.attention.D.join(',')})
  --heads H             attention heads (default ${FULL.attention.H})
  --batch B             attention batch (default ${FULL.attention.B})
  --matmul MxNxK[,...]  matmul shapes (default ${FULL.matmul.map((s) => `${s.m}x${s.n}x${s.k}`).join(',')})
  --seed N              seed of the random inputs
  --gpu-report          matmul GFLOP/s (1024³, 2048³) as a fraction of f32 peak, SFT tokens/s (tiny, demo),
                        f16 vs f32 where the adapter has shader-f16 (bench/gpu_report.ts); a few minutes
  --peak-gflops N       the adapter's f32 peak in GFLOP/s for --gpu-report (WebGPU does not report it)
  --help`;

function positiveInts(flag: string, value: string | undefined): number[] {
  if (value === undefined) throw new Error(`${flag} needs a value`);
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${flag}: '${value}' is not a list of integers`);
  return list;
}

function positiveInt(flag: string, value: string | undefined): number {
  const list = positiveInts(flag, value);
  if (list.length !== 1) throw new Error(`${flag}: one integer expected, got '${value}'`);
  return list[0];
}

/** Parses the flags (after `npm run bench --`) into a config; throws with a readable message. */
export function parseBenchArgs(argv: readonly string[]): BenchConfig & { help: boolean } {
  const quick = argv.includes('--quick');
  const config: BenchConfig = structuredClone(quick ? QUICK : FULL);
  let help = false;
  let repeatsGiven = false;
  let longRepeatsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // Accept both '--flag value' and '--flag=value'.
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      case '--only':
        config.only = (value() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (config.only.length === 0) throw new Error('--only needs a section name (node, browser, ...)');
        break;
      case '--repeats':
        config.repeats = positiveInt(flag, value());
        repeatsGiven = true;
        break;
      case '--long-repeats':
        config.longRepeats = positiveInt(flag, value());
        longRepeatsGiven = true;
        break;
      case '--warmup':
        config.warmup = positiveInt(flag, value());
        break;
      case '--seq':
        config.attention.T = positiveInts(flag, value());
        break;
      case '--head-dims':
        config.attention.D = positiveInts(flag, value());
        break;
      case '--heads':
        config.attention.H = positiveInt(flag, value());
        break;
      case '--batch':
        config.attention.B = positiveInt(flag, value());
        break;
      case '--seed':
        config.seed = positiveInt(flag, value());
        break;
      case '--gpu-report':
        config.gpuReport = true;
        break;
      case '--peak-gflops': {
        const raw = value();
        const peak = Number(raw);
        if (raw === undefined || raw.trim() === '' || !Number.isFinite(peak) || peak <= 0) throw new Error(`--peak-gflops: '${raw ?? ''}' is not a positive number of GFLOP/s`);
        config.peakGflops = peak;
        break;
      }
      case '--matmul': {
        const raw = value() ?? '';
        config.matmul = raw.split(',').map((s) => {
          const dims = s.trim().split('x').map(Number);
          if (dims.length !== 3 || dims.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--matmul: '${s}' is not MxNxK`);
          return { m: dims[0], n: dims[1], k: dims[2] };
        });
        break;
      }
      default:
        throw new Error(`unknown flag '${arg}'\n${USAGE_TEXT}`);
    }
  }
  if (config.repeats < 1) throw new Error('--repeats must be at least 1');
  // An explicit --repeats also caps the long-sequence repeats unless they were given too.
  if (repeatsGiven && !longRepeatsGiven) config.longRepeats = Math.min(config.longRepeats, config.repeats);
  if (config.longRepeats < 1) throw new Error('--long-repeats must be at least 1');
  if (config.gpuReport && !config.only.includes('gpu-report')) config.only.push('gpu-report');
  if (config.peakGflops !== undefined && !config.only.includes('gpu-report')) throw new Error('--peak-gflops is only used by --gpu-report');
  return { ...config, help };
}

/** Repeats for an attention case of sequence length T. */
export function attentionRepeats(config: BenchConfig, T: number): number {
  return T >= config.longT ? config.longRepeats : config.repeats;
}

export function matmulLabel({ m, n, k }: MatmulShape): string {
  return `${m}x${n}x${k}`;
}

export function attentionLabel({ B, T, H, D }: { B: number; T: number; H: number; D: number }): string {
  return `B=${B} T=${T} H=${H} D=${D}`;
}
