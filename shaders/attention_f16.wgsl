// Causal multi-head attention, forward only, with q, k and v stored as `hfloat` (half precision where
// the device has 'shader-f16'); softmax statistics, the output and lse in f32:
//   out[b, t, h, :] = Σ_{j ≤ t, j < len_b} softmax_j(q_t · k_j · scale) v_j,   scale = 1/sqrt(D)
//   lse[b, h, t]    = log Σ_{j ≤ t} exp(q_t · k_j · scale)
// Rows t >= len_b (padding) get out = 0 and lse = 0. Same layout, work split and online softmax as
// attention_forward.wgsl (one workgroup per (block of BR query rows, b*H + h), one thread per query,
// K/V tiles of BC rows staged in workgroup memory), for `npm run bench -- --gpu-report`'s f16 check.
//
// `hfloat` is not declared here: the owner (src/gpu/kernels/attention_f16.ts) prepends
// `enable f16; alias hfloat = f16;` on a device with 'shader-f16' and `alias hfloat = f32;` elsewhere
// (tests also build it with i32 to prove nothing mixes hfloat and f32 implicitly). Products q·k are
// formed in hfloat four at a time and summed in f32; p·v is formed in f32 from v converted exactly.

override BR: u32 = 64; // query rows per workgroup = threads per workgroup
override BC: u32 = 16; // keys per staged K/V tile (≤ MAX_BC)
override D: u32 = 64;  // head dim: a multiple of 4, ≤ 64

const MAX_D4 = 16u; // 64 / 4: register arrays are sized for the largest head dim
const MAX_BC = 64u;

struct Params {
  B: u32,     // sequences
  T: u32,     // sequence length (padded)
  H: u32,     // heads
  C: u32,     // model width = H * D
  scale: f32, // 1 / sqrt(D)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4<hfloat>>; // (B*T, 3C) row-major = (B, T, 3, H, D), as vec4 along D
@group(0) @binding(2) var<storage, read> lengths: array<u32>;      // (B) valid length of each sequence
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;  // (B*T, C) row-major = (B, T, H, D), f32, as vec4 along D
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;    // (B, H, T) logsumexp of the scaled scores

var<workgroup> k_tile: array<vec4<hfloat>, BC * D / 4>; // (BC, D) keys k0 .. k0+BC-1 of this (b, h)
var<workgroup> v_tile: array<vec4<hfloat>, BC * D / 4>; // (BC, D) values, same rows

@compute @workgroup_size(BR)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let T = params.T;
  let H = params.H;
  let b = wg.y / H;
  let h = wg.y % H;
  let D4 = D / 4u;
  let C4 = params.C / 4u;
  let row4 = 3u * C4; // vec4s per qkv row
  let len = min(lengths[b], T);
  let q0 = wg.x * BR;
  let t = q0 + lid;
  let live = t < len;

  var q: array<vec4<hfloat>, MAX_D4>;
  var acc: array<vec4f, MAX_D4>; // Σ_j exp(s_j − m) v_j
  var m = -3.0e38;               // running max of scores (finite: exp(m − s) underflows to 0 cleanly)
  var l = 0.0;                   // running Σ_j exp(s_j − m)
  if (live) {
    let q_base = (b * T + t) * row4 + h * D4;
    for (var d4 = 0u; d4 < D4; d4++) {
      q[d4] = qkv[q_base + d4];
    }
  }

  // Keys this block can see: j < min(q0 + BR, len). Uniform across the workgroup (barriers below).
  let k_end = select(0u, min(q0 + BR, len), q0 < len);
  for (var k0 = 0u; k0 < k_end; k0 += BC) {
    for (var i = lid; i < BC * D4; i += BR) {
      let j = k0 + i / D4;
      var kv = vec4<hfloat>();
      var vv = vec4<hfloat>();
      if (j < len) {
        let base = (b * T + j) * row4 + h * D4 + i % D4;
        kv = qkv[base + C4];
        vv = qkv[base + 2u * C4];
      }
      k_tile[i] = kv;
      v_tile[i] = vv;
    }
    workgroupBarrier();

    if (live && k0 <= t) {
      // Scores of this tile; keys past t are masked (the diagonal tile only).
      var s: array<f32, MAX_BC>;
      var tile_max = m;
      for (var jj = 0u; jj < BC; jj++) {
        var dot = vec4f(0.0);
        for (var d4 = 0u; d4 < D4; d4++) {
          dot += vec4f(q[d4] * k_tile[jj * D4 + d4]);
        }
        let score = (dot.x + dot.y + dot.z + dot.w) * params.scale;
        s[jj] = select(-3.0e38, score, k0 + jj <= t);
        tile_max = max(tile_max, s[jj]);
      }
      // Rescale what was accumulated under the old max, then add this tile.
      let correction = exp(m - tile_max);
      l *= correction;
      for (var d4 = 0u; d4 < D4; d4++) {
        acc[d4] *= correction;
      }
      for (var jj = 0u; jj < BC; jj++) {
        let p = select(0.0, exp(s[jj] - tile_max), k0 + jj <= t);
        l += p;
        for (var d4 = 0u; d4 < D4; d4++) {
          acc[d4] += p * vec4f(v_tile[jj * D4 + d4]);
        }
      }
      m = tile_max;
    }
    workgroupBarrier();
  }

  if (t < T) {
    let o_base = (b * T + t) * C4 + h * D4;
    let inv_l = select(0.0, 1.0 / l, live);
    for (var d4 = 0u; d4 < D4; d4++) {
      out[o_base + d4] = acc[d4] * inv_l;
    }
    lse[wg.y * T + t] = select(0.0, m + log(l), live);
  }
}
