// A frozen ONNX vision model as the frame encoder: frames (F, 3, H, W) in [0,1] → features (F·P, C)
// through onnxruntime-web, with the WebGPU execution provider in the browser (sharing our GPUDevice)
// or the wasm (CPU) provider in Node and as a fallback. Frozen: no gradient ever flows into it; the
// decoder treats the features as constant inputs and learns only its own projection C → width.
//
// Which models fit (a user's own included): one float32 image input of shape (N, 3, H, W), where N,
// H and W may be symbolic (bound at encode time) and the 3 must be 3 or symbolic; and a float32
// output of rank 2, (N·P, C), or rank 3, (N, P, C), with a fixed C. Models with several outputs
// (e.g. a Hugging Face ViT: last_hidden_state (N, 1+P, C) and pooler_output (N, C)) pick one with
// `output`. See scripts/make-onnx-encoder.ts for loading one in the app.
//
// onnxruntime is imported lazily (it is a large chunk plus a ~26 MB .wasm), and which build depends
// on where we run: in Node its Node build (wasm provider only: its WebGPU provider fails on Dawn);
// in browsers and workers 'onnxruntime-web/webgpu', the build that honours a passed GPUDevice (the
// default build ignores it and can silently compute wrong results with foreign buffers:
// onnxruntime issue #26107).

import type * as Ort from 'onnxruntime-web';

export type OnnxBackend = 'wasm' | 'webgpu';

export type OnnxEncoderErrorCode = 'OnnxModelInvalid' | 'OnnxModelUnsuitable' | 'OnnxBackendUnavailable' | 'OnnxFramesMismatch';

export const ONNX_ENCODER_HINTS: Record<OnnxEncoderErrorCode, string> = {
  OnnxModelInvalid: 'The bytes are not an ONNX model onnxruntime can load: check the file (an .onnx, not .onnx.data or a PyTorch .pt) and that its opset is 7–21.',
  OnnxModelUnsuitable:
    'A frame encoder needs one float32 input (N, 3, H, W) and a float32 output (N·P, C) or (N, P, C) with a fixed C: re-export it (torch.onnx.export with dynamic_axes only on N, H, W) or pick another output with `output`.',
  OnnxBackendUnavailable: "onnxruntime-web's WebGPU provider runs only in a browser with WebGPU: use backend 'wasm' in Node.",
  OnnxFramesMismatch: 'Pass frames as one Float32Array (F, 3, H, W), channel-planar RGB in [0,1], at the size the model was exported for.',
};

/** A named error with a stable code and a one-line hint, like GpuError. */
export class OnnxEncoderError extends Error {
  constructor(
    readonly code: OnnxEncoderErrorCode,
    message: string,
    readonly hint: string = ONNX_ENCODER_HINTS[code],
  ) {
    super(`${message} (hint: ${hint})`);
    this.name = code;
  }
}

/** A dimension of the model's signature: a number, or a symbolic name bound at run time. */
export type OnnxDim = number | string;

/** What the encoder read from the model's input and output metadata. */
export interface EncoderSignature {
  input: string;
  output: string;
  /** (N, 3, H, W) as declared */
  inputShape: [OnnxDim, OnnxDim, OnnxDim, OnnxDim];
  /** (N·P, C) or (N, P, C) as declared; the last is always a number */
  outputShape: OnnxDim[];
  /** C: width of one feature row */
  width: number;
}

/** The metadata onnxruntime gives per input/output (InferenceSession.ValueMetadata), as plain data. */
export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

const isFixed = (d: OnnxDim): d is number => typeof d === 'number' && d > 0;
const showShape = (shape: ReadonlyArray<OnnxDim>) => `(${shape.join(', ')})`;

/**
 * Checks that a model's inputs and outputs can serve as a frame encoder (pure: tests run it on
 * hand-written metadata). `output` picks an output by name; by default the first one.
 */
export function checkEncoderSignature(inputs: readonly ValueInfo[], outputs: readonly ValueInfo[], output?: string): EncoderSignature {
  const unsuitable = (what: string) => new OnnxEncoderError('OnnxModelUnsuitable', what);
  if (inputs.length !== 1)
    throw unsuitable(`the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ') || 'none'}); a frame encoder takes exactly one, the frames`);
  const inp = inputs[0];
  if (!inp.isTensor || inp.type !== 'float32') throw unsuitable(`input '${inp.name}' is ${inp.isTensor ? `a ${inp.type} tensor` : 'not a tensor'}, not float32`);
  const inShape = inp.shape ?? [];
  if (inShape.length !== 4)
    throw unsuitable(`input '${inp.name}' has rank ${inShape.length} ${showShape(inShape)}; frames are rank 4 (N, 3, H, W)${inShape.length === 0 ? ' (the model declares no shape)' : ''}`);
  const channels = inShape[1];
  if (isFixed(channels) && channels !== 3)
    throw unsuitable(`input '${inp.name}' ${showShape(inShape)} has ${channels} channels at dim 1; frames are RGB, channel-first (N, 3, H, W)${inShape[3] === 3 ? ' — this looks channel-last (N, H, W, 3): add a Transpose to (N, 3, H, W) in front' : ''}`);

  const out = output === undefined ? outputs[0] : outputs.find((o) => o.name === output);
  if (!out)
    throw unsuitable(output === undefined ? 'the model has no outputs' : `the model has no output '${output}' (its outputs: ${outputs.map((o) => o.name).join(', ')})`);
  if (!out.isTensor || out.type !== 'float32') throw unsuitable(`output '${out.name}' is ${out.isTensor ? `a ${out.type} tensor` : 'not a tensor'}, not float32`);
  const outShape = out.shape ?? [];
  if (outShape.length !== 2 && outShape.length !== 3)
    throw unsuitable(`output '${out.name}' has rank ${outShape.length} ${showShape(outShape)}; features are (N·P, C) or (N, P, C)${outputs.length > 1 ? `; other outputs: ${outputs.filter((o) => o !== out).map((o) => o.name).join(', ')}` : ''}`);
  const width = outShape[outShape.length - 1];
  if (!isFixed(width))
    throw unsuitable(`output '${out.name}' ${showShape(outShape)} has a dynamic feature width '${width}', which cannot be resolved before running; the decoder's projection needs a fixed C`);
  return {
    input: inp.name,
    output: out.name,
    inputShape: [inShape[0], inShape[1], inShape[2], inShape[3]],
    outputShape: [...outShape],
    width,
  };
}

export interface OnnxEncoderOptions {
  backend: OnnxBackend;
  /** With 'webgpu': run on this device (ours), so encodeToGpu's buffer can be bound by our kernels. */
  device?: GPUDevice;
  /** Which output holds the features; default the model's first. */
  output?: string;
}

export interface EncodedFrames {
  /** (F·P, C) row-major; row f·P + i is patch/token i of frame f */
  features: Float32Array;
  /** F·P */
  rows: number;
  /** C */
  width: number;
  /** P */
  tokensPerFrame: number;
}

export interface EncodedFramesOnGpu extends Omit<EncodedFrames, 'features'> {
  /** (F·P, C) float32, on the load device; owned by onnxruntime until release() */
  buffer: GPUBuffer;
  /** Gives the buffer back to onnxruntime; do not use it afterwards. */
  release(): void;
}

type OrtModule = typeof Ort;

const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof window === 'undefined' && typeof self === 'undefined';

let ortPromise: Promise<OrtModule> | undefined;

/** onnxruntime-web, loaded once per realm, with its wasm file located for this environment. */
export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= (async () => {
    if (inNode) {
      // Through a variable so that Vite does not bundle the Node build into the app. It finds its
      // .wasm beside itself in node_modules/onnxruntime-web/dist.
      const spec = 'onnxruntime-web';
      const ort = (await import(/* @vite-ignore */ spec)) as OrtModule;
      ort.env.wasm.numThreads = 1;
      return ort;
    }
    const [ort, wasm] = await Promise.all([import('onnxruntime-web/webgpu'), import('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url')]);
    // The WebGPU build's glue code is in its bundle; only the .wasm is fetched, from the URL Vite
    // gives it (dist/assets/ in the built app). One thread: pages are not cross-origin isolated.
    ort.env.wasm.wasmPaths = { wasm: new URL(wasm.default, self.location.href).href };
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    return ort;
  })();
  return ortPromise;
}

export class OnnxFrameEncoder {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    readonly signature: EncoderSignature,
    readonly backend: OnnxBackend,
  ) {}

  /** Loads model bytes (an .onnx file) and checks that its signature fits a frame encoder. */
  static async load(bytes: Uint8Array, options: OnnxEncoderOptions): Promise<OnnxFrameEncoder> {
    const { backend, device } = options;
    if (backend === 'webgpu' && inNode) throw new OnnxEncoderError('OnnxBackendUnavailable', 'OnnxFrameEncoder.load: the webgpu backend was asked for in Node');
    if (backend === 'webgpu' && typeof navigator !== 'undefined' && !('gpu' in navigator) && !device)
      throw new OnnxEncoderError('OnnxBackendUnavailable', 'OnnxFrameEncoder.load: this browser has no navigator.gpu');
    if (backend === 'wasm' && device) throw new OnnxEncoderError('OnnxBackendUnavailable', "OnnxFrameEncoder.load: a GPUDevice was passed with backend 'wasm'", "pass backend 'webgpu' to run on the device");
    const ort = await loadOrt();
    const sessionOptions: Ort.InferenceSession.SessionOptions =
      backend === 'webgpu'
        ? { executionProviders: [device ? { name: 'webgpu', device } : 'webgpu'], preferredOutputLocation: 'gpu-buffer', graphOptimizationLevel: 'all' }
        : { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (e) {
      throw new OnnxEncoderError('OnnxModelInvalid', `OnnxFrameEncoder.load: onnxruntime (${backend}) could not load the ${bytes.byteLength}-byte model: ${(e as Error).message}`);
    }
    try {
      const signature = checkEncoderSignature(session.inputMetadata as readonly ValueInfo[], session.outputMetadata as readonly ValueInfo[], options.output);
      return new OnnxFrameEncoder(ort, session, signature, backend);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  /** C */
  get width(): number {
    return this.signature.width;
  }

  /** features (F·P, C) of frames (F, 3, H, W), read back to the CPU. */
  async encode(frames: Float32Array, F: number, H: number, W: number): Promise<EncodedFrames> {
    const { tensor, dims } = await this.run(frames, F, H, W);
    try {
      // With the webgpu backend the output is a GPU buffer: getData() downloads it.
      const data = (await tensor.getData()) as Float32Array;
      return { features: new Float32Array(data), ...dims };
    } finally {
      tensor.dispose();
    }
  }

  /** features (F·P, C) left on the GPU (webgpu backend only): bindable by our kernels on the load device. */
  async encodeToGpu(frames: Float32Array, F: number, H: number, W: number): Promise<EncodedFramesOnGpu> {
    if (this.backend !== 'webgpu') throw new OnnxEncoderError('OnnxBackendUnavailable', "OnnxFrameEncoder.encodeToGpu: the encoder was loaded with backend 'wasm'", "load it with backend 'webgpu' (and our device) to keep features on the GPU");
    const { tensor, dims } = await this.run(frames, F, H, W);
    return { buffer: tensor.gpuBuffer as GPUBuffer, ...dims, release: () => tensor.dispose() };
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private async run(frames: Float32Array, F: number, H: number, W: number): Promise<{ tensor: Ort.Tensor; dims: Omit<EncodedFrames, 'features'> }> {
    const sig = this.signature;
    const mismatch = (what: string) => new OnnxEncoderError('OnnxFramesMismatch', `OnnxFrameEncoder.encode: ${what}`);
    if (![F, H, W].every((n) => Number.isInteger(n) && n > 0)) throw mismatch(`F, H, W must be positive integers, got ${F}, ${H}, ${W}`);
    if (frames.length !== F * 3 * H * W) throw mismatch(`frames has ${frames.length} values; (F, 3, H, W) = (${F}, 3, ${H}, ${W}) needs ${F * 3 * H * W}`);
    const want = [F, 3, H, W];
    sig.inputShape.forEach((d, i) => {
      if (isFixed(d) && d !== want[i])
        throw mismatch(`frames (${want.join(', ')}) do not fit input '${sig.input}' ${showShape(sig.inputShape)} at dim ${i} (${['N', 'channels', 'H', 'W'][i]}: ${want[i]} vs ${d})`);
    });
    const feeds = { [sig.input]: new this.ort.Tensor('float32', frames, want) };
    let results: Ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, [sig.output]);
    } catch (e) {
      throw mismatch(`onnxruntime failed on frames (${want.join(', ')}): ${(e as Error).message}`);
    }
    const tensor = results[sig.output];
    const d = tensor.dims;
    const C = d[d.length - 1];
    const rows = d.length === 2 ? d[0] : d[0] * d[1];
    const badRows = d.length === 3 ? d[0] !== F : rows % F !== 0;
    if (C !== sig.width || badRows) {
      tensor.dispose();
      throw new OnnxEncoderError('OnnxModelUnsuitable', `OnnxFrameEncoder.encode: output '${sig.output}' came out (${d.join(', ')}) for ${F} frames; expected (${F}·P, ${sig.width}) or (${F}, P, ${sig.width})`);
    }
    return { tensor, dims: { rows, width: C, tokensPerFrame: rows / F } };
  }
}

/**
 * Frames as the encoder takes them, (F, 3, H, W) float32 in [0,1], from RGBA bytes (H, W, 4) per
 * frame (what src/data decodes); alpha is dropped. All frames must be H × W.
 */
export function rgbaToFrames(rgba: readonly Uint8Array[], H: number, W: number): Float32Array {
  const out = new Float32Array(rgba.length * 3 * H * W);
  rgba.forEach((bytes, f) => {
    if (bytes.length !== H * W * 4) throw new OnnxEncoderError('OnnxFramesMismatch', `rgbaToFrames: frame ${f} has ${bytes.length} bytes, ${H}×${W} RGBA needs ${H * W * 4}`);
    for (let ch = 0; ch < 3; ch++) {
      const plane = (f * 3 + ch) * H * W;
      for (let i = 0; i < H * W; i++) out[plane + i] = bytes[i * 4 + ch] / 255;
    }
  });
  return out;
}
