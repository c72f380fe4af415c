// Half-precision tiled matmul: C(M,N) = op(A) · op(B), or C += op(A) · op(B) when ACCUMULATE, with A
// and B stored as `hfloat` and C as f32. Same variants, batching and Params block as matmul.wgsl:
//   op(A) = A stored (M,K), or Aᵀ with A stored (K,M) when TRANS_A
//   op(B) = B stored (K,N), or Bᵀ with B stored (N,K) when TRANS_B
// Workgroup z is the batch index: batch z reads A, B and C at offset + z * batch_stride.
//
// `hfloat` is not declared here: the owner (src/gpu/kernels/matmul_f16.ts) prepends it,
//   `enable f16; alias hfloat = f16;`  on a device with 'shader-f16' (half the bytes to load and stage,
//                                      packed half arithmetic where the GPU has it),
//   `alias hfloat = f32;`              everywhere else, so the indexing and tiling below are tested
//                                      against the float64 reference on every adapter (SwiftShader has
//                                      no shader-f16), and the f16 build differs only in the type.
// Nothing here mixes hfloat with f32 implicitly (tests compile it with an integer hfloat to prove it):
// every conversion is written out, so the f32 build cannot hide an f16 type error.
//
// Layout as in matmul.wgsl: WG_X × WG_Y threads, each owning a TM × TN = 4 × 4 block of C; each step
// stages a (tile_m × TILE_K) slice of op(A) and a (TILE_K × tile_n) slice of op(B) in workgroup
// memory, k-major, as vec4s. Products are summed in hfloat over one staged slice, then added to an f32
// accumulator: with f16 the rounding error grows with TILE_K (16 terms), not with K. Out-of-range
// elements stage as 0 (ragged M, N, K are exact); stores are bounds-checked.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;
override WG_X: u32 = 8;      // threads along N
override WG_Y: u32 = 8;      // threads along M
override TILE_K: u32 = 16;   // depth of one staged slice (K need not be a multiple of it)

const TM: u32 = 4;           // outputs per thread along M
const TN: u32 = 4;           // outputs per thread along N

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
@group(0) @binding(1) var<storage, read> a: array<hfloat>;     // per batch: (M,K) row-major, or (K,M) when TRANS_A
@group(0) @binding(2) var<storage, read> b: array<hfloat>;     // per batch: (K,N) row-major, or (N,K) when TRANS_B
@group(0) @binding(3) var<storage, read_write> c: array<f32>;  // per batch: (M,N) row-major, f32

// tile_a[kk][row] holds op(A)[m0 + row, k0 + kk] as vec4s of 4 rows; tile_b[kk][col] holds
// op(B)[k0 + kk, n0 + col] as vec4s of 4 columns.
var<workgroup> tile_a: array<vec4<hfloat>, TILE_K * WG_Y>;  // (TILE_K, WG_Y*4)
var<workgroup> tile_b: array<vec4<hfloat>, TILE_K * WG_X>;  // (TILE_K, WG_X*4)

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let M = params.m;
  let N = params.n;
  let K = params.k;
  let tile_m = WG_Y * TM;
  let tile_n = WG_X * TN;
  let threads = WG_X * WG_Y;
  let tid = lid.y * WG_X + lid.x;
  let m0 = wid.y * tile_m;
  let n0 = wid.x * tile_n;
  let base_a = params.offset_a + wid.z * params.batch_stride_a;
  let base_b = params.offset_b + wid.z * params.batch_stride_b;
  let base_c = params.offset_c + wid.z * params.batch_stride_c;

  var acc: array<vec4f, TM>;  // acc[i][j] = C[m0 + lid.y*4 + i, n0 + lid.x*4 + j]

  for (var k0 = 0u; k0 < K; k0 += TILE_K) {
    // Consecutive threads walk the dimension contiguous in memory (k for A, m for Aᵀ).
    for (var i = tid; i < tile_m * TILE_K; i += threads) {
      var row: u32;
      var kk: u32;
      if (TRANS_A) { kk = i / tile_m; row = i % tile_m; } else { row = i / TILE_K; kk = i % TILE_K; }
      let gm = m0 + row;
      let gk = k0 + kk;
      var v = hfloat(0);
      if (gm < M && gk < K) {
        if (TRANS_A) { v = a[base_a + gk * M + gm]; } else { v = a[base_a + gm * K + gk]; }
      }
      tile_a[kk * WG_Y + row / TM][row % TM] = v;
    }
    // Contiguous along n for B, along k for Bᵀ.
    for (var i = tid; i < TILE_K * tile_n; i += threads) {
      var col: u32;
      var kk: u32;
      if (TRANS_B) { col = i / TILE_K; kk = i % TILE_K; } else { kk = i / tile_n; col = i % tile_n; }
      let gn = n0 + col;
      let gk = k0 + kk;
      var v = hfloat(0);
      if (gn < N && gk < K) {
        if (TRANS_B) { v = b[base_b + gn * K + gk]; } else { v = b[base_b + gk * N + gn]; }
      }
      tile_b[kk * WG_X + col / TN][col % TN] = v;
    }
    workgroupBarrier();

    // One slice in hfloat (zero padding past K adds nothing), then into the f32 accumulator.
    var part = array<vec4<hfloat>, TM>();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tile_a[kk * WG_Y + lid.y];  // op(A) rows lid.y*4 .. +3 at this k
      let bv = tile_b[kk * WG_X + lid.x];  // op(B) columns lid.x*4 .. +3 at this k
      part[0] += av[0] * bv;
      part[1] += av[1] * bv;
      part[2] += av[2] * bv;
      part[3] += av[3] * bv;
    }
    acc[0] += vec4f(part[0]);
    acc[1] += vec4f(part[1]);
    acc[2] += vec4f(part[2]);
    acc[3] += vec4f(part[3]);
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let gm = m0 + lid.y * TM + i;
    if (gm >= M) { break; }
    for (var j = 0u; j < TN; j++) {
      let gn = n0 + lid.x * TN + j;
      if (gn >= N) { break; }
      let idx = base_c + gm * N + gn;
      if (ACCUMULATE) { c[idx] = c[idx] + acc[i][j]; } else { c[idx] = acc[i][j]; }
    }
  }
}
