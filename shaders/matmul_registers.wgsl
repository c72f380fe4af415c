// Register-tiled matmul for CPU adapters: C(M,N) = op(A) · op(B), or C += op(A) · op(B) when
// ACCUMULATE. Same operands, variants, batching and Params block as shaders/matmul.wgsl (the
// shared-memory kernel that GPUs get); src/gpu/kernels/matmul.ts picks one by adapter.
//   op(A) = A stored (M,K), or Aᵀ with A stored (K,M) when TRANS_A
//   op(B) = B stored (K,N), or Bᵀ with B stored (N,K) when TRANS_B
// Workgroup z is the batch index, as in matmul.wgsl.
//
// Why a second kernel: a CPU implementation of WebGPU (SwiftShader) runs a workgroup's invocations
// four lanes at a time on one core, so workgroup memory is ordinary memory and every barrier is a
// context switch between lane groups. There the staged tiles of matmul.wgsl cost more than they save.
// Here each thread owns an 8 × 8 block of C in 16 vec4 registers and reads op(A) and op(B) straight
// from storage: 16 loads for 64 fused multiply-adds per k, no workgroup memory, no barrier. Measured
// on SwiftShader (numbers in src/gpu/kernels/matmul.ts) it is 3-5x faster than the shared-memory
// kernel at a tiny transformer's shapes; on a GPU the shared-memory kernel is the right one.
//
// Ragged edges: row and column indices are clamped into range for the loads (the extra outputs are
// computed from valid memory and never stored), so the k loop has no branch; stores are bounds-checked.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;
override WG_X: u32 = 8;  // threads along N
override WG_Y: u32 = 8;  // threads along M

const RM: u32 = 8;  // outputs per thread along M
const RN: u32 = 8;  // outputs per thread along N

struct Params {
  m: u32,
  n: u32,
  k: u32,
  batch_stride_a: u32,  // elements between consecutive batches of A
  batch_stride_b: u32,
  batch_stride_c: u32,
  offset_a: u32,        // elements before batch 0 of A (a sub-range of a larger buffer)
  offset_b: u32,
  offset_c: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;        // per batch: (M,K) row-major, or (K,M) when TRANS_A
@group(0) @binding(2) var<storage, read> b: array<f32>;        // per batch: (K,N) row-major, or (N,K) when TRANS_B
@group(0) @binding(3) var<storage, read_write> c: array<f32>;  // per batch: (M,N) row-major

fn store(row: u32, col: u32, value: f32, base_c: u32) {
  if (row >= params.m || col >= params.n) { return; }
  let idx = base_c + row * params.n + col;
  if (ACCUMULATE) { c[idx] = c[idx] + value; } else { c[idx] = value; }
}

fn store_row(row: u32, n0: u32, lo: vec4f, hi: vec4f, base_c: u32) {
  store(row, n0, lo.x, base_c);
  store(row, n0 + 1u, lo.y, base_c);
  store(row, n0 + 2u, lo.z, base_c);
  store(row, n0 + 3u, lo.w, base_c);
  store(row, n0 + 4u, hi.x, base_c);
  store(row, n0 + 5u, hi.y, base_c);
  store(row, n0 + 6u, hi.z, base_c);
  store(row, n0 + 7u, hi.w, base_c);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let M = params.m;
  let N = params.n;
  let K = params.k;
  let m0 = gid.y * RM;
  let n0 = gid.x * RN;
  if (m0 >= M || n0 >= N) { return; }
  let base_a = params.offset_a + gid.z * params.batch_stride_a;
  let base_b = params.offset_b + gid.z * params.batch_stride_b;
  let base_c = params.offset_c + gid.z * params.batch_stride_c;

  // op(A)[m, k] = a[k * step_a + row_a(m)] and op(B)[k, n] = b[k * step_b + col_b(n)].
  let rows_lo = min(vec4u(m0, m0 + 1u, m0 + 2u, m0 + 3u), vec4u(M - 1u));
  let rows_hi = min(vec4u(m0 + 4u, m0 + 5u, m0 + 6u, m0 + 7u), vec4u(M - 1u));
  let cols_lo = min(vec4u(n0, n0 + 1u, n0 + 2u, n0 + 3u), vec4u(N - 1u));
  let cols_hi = min(vec4u(n0 + 4u, n0 + 5u, n0 + 6u, n0 + 7u), vec4u(N - 1u));
  // NN: A (M,K) row-major walks k by 1; TN: A stored (K,M) walks k by M.
  var step_a = 1u;
  var ra_lo = rows_lo * K + base_a;
  var ra_hi = rows_hi * K + base_a;
  if (TRANS_A) { step_a = M; ra_lo = rows_lo + base_a; ra_hi = rows_hi + base_a; }
  // NN: B (K,N) walks k by N; NT: B stored (N,K) walks k by 1.
  var step_b = N;
  var cb_lo = cols_lo + base_b;
  var cb_hi = cols_hi + base_b;
  if (TRANS_B) { step_b = 1u; cb_lo = cols_lo * K + base_b; cb_hi = cols_hi * K + base_b; }

  var c0l = vec4f(0.0); var c0h = vec4f(0.0);
  var c1l = vec4f(0.0); var c1h = vec4f(0.0);
  var c2l = vec4f(0.0); var c2h = vec4f(0.0);
  var c3l = vec4f(0.0); var c3h = vec4f(0.0);
  var c4l = vec4f(0.0); var c4h = vec4f(0.0);
  var c5l = vec4f(0.0); var c5h = vec4f(0.0);
  var c6l = vec4f(0.0); var c6h = vec4f(0.0);
  var c7l = vec4f(0.0); var c7h = vec4f(0.0);
  for (var k = 0u; k < K; k++) {
    let ka = k * step_a;
    let kb = k * step_b;
    let bl = vec4f(b[kb + cb_lo.x], b[kb + cb_lo.y], b[kb + cb_lo.z], b[kb + cb_lo.w]);
    let bh = vec4f(b[kb + cb_hi.x], b[kb + cb_hi.y], b[kb + cb_hi.z], b[kb + cb_hi.w]);
    let a0 = a[ka + ra_lo.x]; c0l = fma(vec4f(a0), bl, c0l); c0h = fma(vec4f(a0), bh, c0h);
    let a1 = a[ka + ra_lo.y]; c1l = fma(vec4f(a1), bl, c1l); c1h = fma(vec4f(a1), bh, c1h);
    let a2 = a[ka + ra_lo.z]; c2l = fma(vec4f(a2), bl, c2l); c2h = fma(vec4f(a2), bh, c2h);
    let a3 = a[ka + ra_lo.w]; c3l = fma(vec4f(a3), bl, c3l); c3h = fma(vec4f(a3), bh, c3h);
    let a4 = a[ka + ra_hi.x]; c4l = fma(vec4f(a4), bl, c4l); c4h = fma(vec4f(a4), bh, c4h);
    let a5 = a[ka + ra_hi.y]; c5l = fma(vec4f(a5), bl, c5l); c5h = fma(vec4f(a5), bh, c5h);
    let a6 = a[ka + ra_hi.z]; c6l = fma(vec4f(a6), bl, c6l); c6h = fma(vec4f(a6), bh, c6h);
    let a7 = a[ka + ra_hi.w]; c7l = fma(vec4f(a7), bl, c7l); c7h = fma(vec4f(a7), bh, c7h);
  }

  store_row(m0, n0, c0l, c0h, base_c);
  store_row(m0 + 1u, n0, c1l, c1h, base_c);
  store_row(m0 + 2u, n0, c2l, c2h, base_c);
  store_row(m0 + 3u, n0, c3l, c3h, base_c);
  store_row(m0 + 4u, n0, c4l, c4h, base_c);
  store_row(m0 + 5u, n0, c5l, c5h, base_c);
  store_row(m0 + 6u, n0, c6l, c6h, base_c);
  store_row(m0 + 7u, n0, c7l, c7h, base_c);
}
