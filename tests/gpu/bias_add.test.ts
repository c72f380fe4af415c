import { describe, expect, it } from 'vitest';
import { BiasAdd, biasRowLanesFor, CPU_ROW_LANES, GPU_ROW_LANES } from '../../src/gpu/kernels/bias_add';
import { biasAdd, biasBackward } from '../../src/gpu/reference/bias_add';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, gpu, read, run, upload } from './harness';

const EDGES = [1, 7, 65, 129];

describe('bias add', () => {
  it('finds a WebGPU adapter (a missing adapter is a failure, never a skip)', async () => {
    const { summary } = await gpu();
    expect(summary.description.length).toBeGreaterThan(0);
  });

  it('adds a bias to every row like the CPU reference for R, C in {1, 7, 65, 129}', async () => {
    const d = await device();
    const kernel = await BiasAdd.create(d);
    const rng = new Rng(1);
    const cases = [];
    for (const rows of EDGES) for (const cols of EDGES) {
      const x = rng.f32(rows * cols);
      const bias = rng.f32(cols);
      const y = empty(d, 'y', rows * cols);
      cases.push({ rows, cols, x, bias, y, dispatch: kernel.add({ x: upload(d, 'x', x), bias: upload(d, 'bias', bias), y, rows, cols }) });
    }
    await run(d, cases.map((c) => c.dispatch));
    for (const { rows, cols, x, bias, y } of cases) {
      expectClose(await read(d, y, rows * cols), biasAdd(x, bias, rows, cols), { atol: 1e-6, rtol: 1e-6 }, `${rows}×${cols}`);
    }
  });

  it('adds a bias in place and leaves elements past R·C untouched', async () => {
    const d = await device();
    const kernel = await BiasAdd.create(d);
    const [rows, cols] = [65, 7];
    const rng = new Rng(2);
    const x0 = rng.f32(rows * cols + 9);
    const bias = rng.f32(cols);
    const x = upload(d, 'x', x0);
    await run(d, [kernel.addInPlace({ x, bias: upload(d, 'bias', bias), rows, cols })]);
    const expected = Float64Array.from(x0);
    expected.set(biasAdd(x0, bias, rows, cols));
    expectClose(await read(d, x, x0.length), expected, { atol: 1e-6, rtol: 1e-6 });
  });

  it('has a backward reference that matches central finite differences of the forward reference', () => {
    // Scalar loss L = Σ w ⊙ biasAdd(x, bias), so dL/dy = w and dL/dbias should be biasBackward(w).
    const [rows, cols] = [7, 5];
    const rng = new Rng(3);
    const x = Float64Array.from(rng.f32(rows * cols));
    const bias = Float64Array.from(rng.f32(cols));
    const w = Float64Array.from(rng.f32(rows * cols));
    const loss = (b: Float64Array) => biasAdd(x, b, rows, cols).reduce((s, y, i) => s + w[i] * y, 0);
    const analytic = biasBackward(w, rows, cols);
    const h = 1e-6;
    const numeric = new Float64Array(cols);
    for (let c = 0; c < cols; c++) {
      const plus = Float64Array.from(bias);
      const minus = Float64Array.from(bias);
      plus[c] += h;
      minus[c] -= h;
      numeric[c] = (loss(plus) - loss(minus)) / (2 * h);
    }
    expectClose(analytic, numeric, { atol: 1e-7, rtol: 1e-7 }, 'dbias');
  });

  it('gives a CPU adapter one row lane per column and a GPU eight', async () => {
    const { summary } = await gpu();
    expect(biasRowLanesFor(await device())).toBe(summary.isFallback ? CPU_ROW_LANES : GPU_ROW_LANES);
  });

  for (const lanes of [GPU_ROW_LANES, CPU_ROW_LANES, 2]) it(`sums dy over rows like the CPU backward for R, C in {1, 7, 65, 129} and 1000×65 (${lanes} row lanes)`, async () => {
    const d = await device();
    const kernel = await BiasAdd.create(d, lanes);
    const rng = new Rng(4);
    const shapes: [number, number][] = [[1000, 65]];
    for (const rows of EDGES) for (const cols of EDGES) shapes.push([rows, cols]);
    const cases = shapes.map(([rows, cols]) => {
      const dy = rng.f32(rows * cols);
      const dbias = empty(d, 'dbias', cols);
      return { rows, cols, dy, dbias, dispatch: kernel.backward({ dy: upload(d, 'dy', dy), dbias, rows, cols }) };
    });
    await run(d, cases.map((c) => c.dispatch));
    for (const { rows, cols, dy, dbias } of cases) {
      const tol = { atol: 1e-5 * Math.sqrt(rows), rtol: 1e-5 };
      expectClose(await read(d, dbias, cols), biasBackward(dy, rows, cols), tol, `${rows}×${cols}`);
    }
  });

  for (const lanes of [GPU_ROW_LANES, CPU_ROW_LANES]) it(`accumulates into dbias, twice in one pass, like dbias + 2·Σ_rows dy (${lanes} row lanes)`, async () => {
    const d = await device();
    const kernel = await BiasAdd.create(d, lanes);
    const [rows, cols] = [129, 33];
    const rng = new Rng(5);
    const dy = rng.f32(rows * cols);
    const dbias0 = rng.f32(cols);
    const dbias = upload(d, 'dbias', dbias0);
    const dispatch = kernel.backward({ dy: upload(d, 'dy', dy), dbias, rows, cols, accumulate: true });
    await run(d, [dispatch, dispatch]);
    const expected = biasBackward(dy, rows, cols, biasBackward(dy, rows, cols, dbias0));
    expectClose(await read(d, dbias, cols), expected, { atol: 1e-4, rtol: 1e-5 }, 'accumulated dbias');
  });

  it('gives bit-identical dbias on repeated runs', async () => {
    const d = await device();
    const kernel = await BiasAdd.create(d);
    const [rows, cols] = [777, 40];
    const dy = upload(d, 'dy', new Rng(6).f32(rows * cols));
    const first = empty(d, 'dbias.first', cols);
    const second = empty(d, 'dbias.second', cols);
    await run(d, [kernel.backward({ dy, dbias: first, rows, cols })]);
    await run(d, [kernel.backward({ dy, dbias: second, rows, cols })]);
    expect(Array.from(await read(d, second, cols))).toEqual(Array.from(await read(d, first, cols)));
  });
});

describe('bias add on slices of flat buffers', () => {
  it('reads bias and writes dbias at 256-byte-aligned offsets of larger buffers, rest untouched', async () => {
    const d = await device();
    const kernel = await BiasAdd.create(d);
    const [rows, cols] = [65, 7];
    const rng = new Rng(9);
    const x0 = rng.f32(rows * cols);
    const bias = rng.f32(cols);
    const dy = rng.f32(rows * cols);
    const prior = rng.f32(cols);
    const SENTINEL = -1.5;
    // bias at element 64 (256 B) of a parameter buffer; dbias at 128 and an accumulated one at 192 of a gradient buffer.
    const params = new Float32Array(128).fill(SENTINEL);
    params.set(bias, 64);
    const grads0 = new Float32Array(256).fill(SENTINEL);
    grads0.set(prior, 192);
    const pbuf = upload(d, 'flat.params', params);
    const gbuf = upload(d, 'flat.grads', grads0);
    const biasSlice = { buffer: pbuf, offset: 64 * 4, size: cols * 4 };
    const x = upload(d, 'x', x0);
    const y = empty(d, 'y', rows * cols);
    const dyBuf = upload(d, 'dy', dy);
    await run(d, [
      kernel.add({ x, bias: biasSlice, y, rows, cols }),
      kernel.addInPlace({ x, bias: biasSlice, rows, cols }),
      kernel.backward({ dy: dyBuf, dbias: { buffer: gbuf, offset: 128 * 4, size: cols * 4 }, rows, cols }),
      kernel.backward({ dy: dyBuf, dbias: { buffer: gbuf, offset: 192 * 4, size: cols * 4 }, rows, cols, accumulate: true }),
    ]);
    const want = biasAdd(x0, bias, rows, cols);
    expectClose(await read(d, y, rows * cols), want, { atol: 1e-6, rtol: 1e-6 }, 'add');
    expectClose(await read(d, x, rows * cols), want, { atol: 1e-6, rtol: 1e-6 }, 'addInPlace');
    const grads = await read(d, gbuf, 256);
    const db = biasBackward(dy, rows, cols);
    expectClose(grads.subarray(128, 128 + cols), db, { atol: 1e-5, rtol: 1e-5 }, 'dbias');
    expectClose(grads.subarray(192, 192 + cols), db.map((v, i) => v + prior[i]), { atol: 1e-5, rtol: 1e-5 }, 'dbias accumulate');
    expect(grads.filter((_, i) => !((i >= 128 && i < 128 + cols) || (i >= 192 && i < 192 + cols))).every((v) => v === SENTINEL)).toBe(true);
    expect(Array.from(await read(d, pbuf, 128))).toEqual(Array.from(params));
  });

  it('checks a slice by its size, not its buffer', async () => {
    const d = await device();
    const kernel = await BiasAdd.create(d);
    const flat = empty(d, 'flat', 256);
    expect(() => kernel.addInPlace({ x: empty(d, 'x', 64), bias: { buffer: flat, offset: 256, size: 16 }, rows: 8, cols: 8 })).toThrow(
      /bias \(flat\[256\.\.272\)\) has 16 bytes, needs 32/,
    );
  });
});
