// Causal multi-head attention, backward, flash-style: recomputes P = exp(S − lse) tile by tile from
// the saved lse instead of storing the T×T probabilities. Two passes, no atomics, each output
// element written by exactly one thread (deterministic):
//   dq  (run first):  one thread per query row i; walks key tiles j ≤ i:
//                       Δ_i = Σ_d dO_i ∘ O_i          (written to `delta` for the dkv pass)
//                       dP_ij = dO_i · v_j,  dS_ij = P_ij (dP_ij − Δ_i),  dq_i = scale Σ_j dS_ij k_j
//   dkv (run second): one thread per key row j; walks query tiles i ≥ j:
//                       dv_j = Σ_i P_ij dO_i,  dk_j = scale Σ_i dS_ij q_i
// with S_ij = scale q_i · k_j and scale = 1/sqrt(D). Padding rows (t >= len_b) get zero gradients.
// Tiles staged in workgroup memory are BC rows of two (BC, D) matrices: 8 KiB when BC·D = 1024.
// Per staged tile a thread first computes P/dS for the causally visible rows only (loop bounds, not
// masks: a SIMD group of neighbouring rows stops at its last visible one) into a small register
// array, then accumulates with d outermost so each accumulator element is loaded and stored once
// per tile instead of once per (i, j) pair. The summation order per output element is unchanged.

override BR: u32 = 64; // rows owned per workgroup (queries in dq, keys in dkv) = threads per workgroup
override BC: u32 = 16; // rows per staged tile (keys in dq, queries in dkv)
override D: u32 = 64;  // head dim: a multiple of 4, ≤ 64

const MAX_D4 = 16u;
const MAX_BC = 64u; // bound of the per-tile P/dS register arrays: BC ≤ 64

struct Params {
  B: u32,     // sequences
  T: u32,     // sequence length (padded)
  H: u32,     // heads
  C: u32,     // model width = H * D
  scale: f32, // 1 / sqrt(D)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4f>;        // (B*T, 3C) = (B, T, 3, H, D), as vec4 along D
@group(0) @binding(2) var<storage, read> out: array<vec4f>;        // (B*T, C) = (B, T, H, D) forward output (dq only)
@group(0) @binding(3) var<storage, read> dout: array<vec4f>;       // (B*T, C) dLoss/dout
@group(0) @binding(4) var<storage, read> lse: array<f32>;          // (B, H, T) saved by the forward pass
@group(0) @binding(5) var<storage, read> lengths: array<u32>;      // (B) valid length of each sequence
@group(0) @binding(6) var<storage, read_write> delta: array<f32>;  // (B, H, T) Δ = rowsum(dO ∘ O): written by dq, read by dkv
@group(0) @binding(7) var<storage, read_write> dqkv: array<vec4f>; // (B*T, 3C) same layout as qkv; dq writes the q third, dkv the k and v thirds

var<workgroup> tile_a: array<vec4f, BC * D / 4>; // (BC, D): keys in dq, scaled queries in dkv
var<workgroup> tile_b: array<vec4f, BC * D / 4>; // (BC, D): values in dq, dO rows in dkv
var<workgroup> tile_lse: array<f32, BC>;         // (BC) lse of the staged queries (dkv)
var<workgroup> tile_delta: array<f32, BC>;       // (BC) Δ of the staged queries (dkv)

// Dot products of a register row (D floats) with row `row` of a staged tile.
fn dot_a(a: ptr<function, array<vec4f, MAX_D4>>, row: u32) -> f32 {
  var acc = vec4f(0.0);
  for (var d4 = 0u; d4 < D / 4u; d4++) {
    acc += (*a)[d4] * tile_a[row * (D / 4u) + d4];
  }
  return acc.x + acc.y + acc.z + acc.w;
}

fn dot_b(a: ptr<function, array<vec4f, MAX_D4>>, row: u32) -> f32 {
  var acc = vec4f(0.0);
  for (var d4 = 0u; d4 < D / 4u; d4++) {
    acc += (*a)[d4] * tile_b[row * (D / 4u) + d4];
  }
  return acc.x + acc.y + acc.z + acc.w;
}

@compute @workgroup_size(BR)
fn dq(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let T = params.T;
  let b = wg.y / params.H;
  let h = wg.y % params.H;
  let D4 = D / 4u;
  let C4 = params.C / 4u;
  let row4 = 3u * C4;
  let len = min(lengths[b], T);
  let i = wg.x * BR + lid; // this thread's query row
  let live = i < len;

  var q: array<vec4f, MAX_D4>;    // scale · q_i
  var d_o: array<vec4f, MAX_D4>;  // dO_i
  var acc: array<vec4f, MAX_D4>;  // Σ_j dS_ij k_j (times scale at the end)
  var row_delta = 0.0;
  var row_lse = 0.0;
  if (live) {
    let q_base = (b * T + i) * row4 + h * D4;
    let o_base = (b * T + i) * C4 + h * D4;
    var dsum = vec4f(0.0);
    for (var d4 = 0u; d4 < D4; d4++) {
      q[d4] = qkv[q_base + d4] * params.scale;
      d_o[d4] = dout[o_base + d4];
      dsum += d_o[d4] * out[o_base + d4];
    }
    row_delta = dsum.x + dsum.y + dsum.z + dsum.w;
    row_lse = lse[wg.y * T + i];
  }
  if (i < T) {
    delta[wg.y * T + i] = row_delta;
  }

  let q0 = wg.x * BR;
  let k_end = select(0u, min(q0 + BR, len), q0 < len); // uniform: keys any row of the block sees
  for (var k0 = 0u; k0 < k_end; k0 += BC) {
    for (var e = lid; e < BC * D4; e += BR) {
      let j = k0 + e / D4;
      var kv = vec4f(0.0);
      var vv = vec4f(0.0);
      if (j < len) {
        let base = (b * T + j) * row4 + h * D4 + e % D4;
        kv = qkv[base + C4];
        vv = qkv[base + 2u * C4];
      }
      tile_a[e] = kv;
      tile_b[e] = vv;
    }
    workgroupBarrier();

    if (live && k0 <= i) {
      let jj_end = min(BC, i - k0 + 1u); // causal: keys k0 + jj <= i only
      var ds: array<f32, MAX_BC>;
      for (var jj = 0u; jj < jj_end; jj++) {
        let p = exp(dot_a(&q, jj) - row_lse);
        ds[jj] = p * (dot_b(&d_o, jj) - row_delta);
      }
      for (var d4 = 0u; d4 < D4; d4++) {
        var a = acc[d4];
        for (var jj = 0u; jj < jj_end; jj++) {
          a += ds[jj] * tile_a[jj * D4 + d4];
        }
        acc[d4] = a;
      }
    }
    workgroupBarrier();
  }

  if (i < T) {
    let q_base = (b * T + i) * row4 + h * D4;
    for (var d4 = 0u; d4 < D4; d4++) {
      dqkv[q_base + d4] = acc[d4] * params.scale; // zero for padding rows (acc never touched)
    }
  }
}

@compute @workgroup_size(BR)
fn dkv(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let T = params.T;
  let b = wg.y / params.H;
  let h = wg.y % params.H;
  let D4 = D / 4u;
  let C4 = params.C / 4u;
  let row4 = 3u * C4;
  let len = min(lengths[b], T);
  let k_first = wg.x * BR;
  let j = k_first + lid; // this thread's key row
  let live = j < len;

  var k: array<vec4f, MAX_D4>;
  var v: array<vec4f, MAX_D4>;
  var dk: array<vec4f, MAX_D4>; // Σ_i dS_ij (scale · q_i)
  var dv: array<vec4f, MAX_D4>; // Σ_i P_ij dO_i
  if (live) {
    let base = (b * T + j) * row4 + h * D4;
    for (var d4 = 0u; d4 < D4; d4++) {
      k[d4] = qkv[base + C4 + d4];
      v[d4] = qkv[base + 2u * C4 + d4];
    }
  }

  // Queries that see any key of this block: k_first ≤ i < len, from the tile holding k_first.
  let i_begin = (k_first / BC) * BC;
  let i_end = select(0u, len, k_first < len);
  for (var i0 = i_begin; i0 < i_end; i0 += BC) {
    for (var e = lid; e < BC * D4; e += BR) {
      let i = i0 + e / D4;
      var qv = vec4f(0.0);
      var gv = vec4f(0.0);
      if (i < len) {
        qv = qkv[(b * T + i) * row4 + h * D4 + e % D4] * params.scale;
        gv = dout[(b * T + i) * C4 + h * D4 + e % D4];
      }
      tile_a[e] = qv;
      tile_b[e] = gv;
    }
    for (var e = lid; e < BC; e += BR) {
      let i = i0 + e;
      var row_lse = 0.0;
      var row_delta = 0.0;
      if (i < len) {
        row_lse = lse[wg.y * T + i];
        row_delta = delta[wg.y * T + i];
      }
      tile_lse[e] = row_lse;
      tile_delta[e] = row_delta;
    }
    workgroupBarrier();

    if (live && j < i0 + BC) {
      let ii_begin = select(0u, j - i0, j > i0); // causal: queries i >= j only
      let ii_end = min(BC, len - i0);
      var p: array<f32, MAX_BC>;
      var ds: array<f32, MAX_BC>;
      for (var ii = ii_begin; ii < ii_end; ii++) {
        p[ii] = exp(dot_a(&k, ii) - tile_lse[ii]);
        ds[ii] = p[ii] * (dot_b(&v, ii) - tile_delta[ii]);
      }
      for (var d4 = 0u; d4 < D4; d4++) {
        var a = dv[d4];
        var c = dk[d4];
        for (var ii = ii_begin; ii < ii_end; ii++) {
          a += p[ii] * tile_b[ii * D4 + d4];
          c += ds[ii] * tile_a[ii * D4 + d4];
        }
        dv[d4] = a;
        dk[d4] = c;
      }
    }
    workgroupBarrier();
  }

  if (j < T) {
    let base = (b * T + j) * row4 + h * D4;
    for (var d4 = 0u; d4 < D4; d4++) {
      dqkv[base + C4 + d4] = dk[d4];
      dqkv[base + 2u * C4 + d4] = dv[d4];
    }
  }
}
