// Causal multi-head attention for ONE query row per sequence (decode step of generation with a KV
// cache), flash-style over key tiles with an online softmax:
//   out[b, p, h, :] = Σ_{j ≤ p} softmax_j(q_p · k_j · scale) v_j,   p = pos[b], scale = 1/sqrt(D)
//   lse[b, h, p]    = log Σ_{j ≤ p} exp(q_p · k_j · scale)
// Only row p = pos[b] of out and of lse is written; a sequence with pos[b] >= T writes nothing.
// q, k, v are read from the same packed qkv layout as shaders/attention_forward.wgsl (the cache).
//
// Work split: one workgroup of WG threads per (b, h). The workgroup walks key tiles of WG rows:
//   scores: thread i computes the score of key k0 + i (q staged once in workgroup memory);
//   max and sum of the tile: fixed-order tree reductions in workgroup memory;
//   P·V: thread i owns the vec4 column d4 = i % D4 of the output and the keys jj ≡ i / D4
//   (mod WG / D4) of the tile, accumulated in registers with the running-max correction.
// The WG / D4 partial accumulators are summed in a fixed order at the end. No atomics: the result
// is bit-identical run to run.

override WG: u32 = 64; // threads per workgroup = keys per tile; a power of two, a multiple of D / 4
override D: u32 = 64;  // head dim: a multiple of 4, ≤ 4·WG

struct Params {
  B: u32,     // sequences
  T: u32,     // sequence length (padded) of the cache
  H: u32,     // heads
  C: u32,     // model width = H * D
  scale: f32, // 1 / sqrt(D)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4f>;       // (B*T, 3C) row-major = (B, T, 3, H, D), as vec4 along D
@group(0) @binding(2) var<storage, read> pos: array<u32>;         // (B) position of the query row of each sequence
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>; // (B*T, C) row-major = (B, T, H, D), as vec4 along D; row pos[b] written
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;   // (B, H, T) logsumexp of the scaled scores; entry pos[b] written

var<workgroup> q_s: array<vec4f, D / 4>;  // (D) scaled query row of this (b, h)
var<workgroup> p_s: array<f32, WG>;       // (WG) probabilities exp(s − m) of the current tile's keys
var<workgroup> red: array<f32, WG>;       // (WG) tree-reduction scratch
var<workgroup> acc_s: array<vec4f, WG>;   // (WG / D4, D4) partial outputs, for the final combine

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let T = params.T;
  let H = params.H;
  let bh = wg.x; // b * H + h
  let b = bh / H;
  let h = bh % H;
  let p = pos[b];
  if (p >= T) {
    return; // uniform across the workgroup
  }
  let D4 = D / 4u;
  let C4 = params.C / 4u;
  let row4 = 3u * C4; // vec4s per qkv row
  let seq = b * T;    // first row of sequence b

  if (lid < D4) {
    q_s[lid] = qkv[(seq + p) * row4 + h * D4 + lid] * params.scale;
  }
  workgroupBarrier();

  let n = p + 1u;       // keys 0 .. p
  let d4 = lid % D4;    // output column (vec4) this thread accumulates
  let lane = lid / D4;  // which keys of a tile it accumulates: jj ≡ lane (mod lanes)
  let lanes = WG / D4;
  var acc = vec4f(0.0); // Σ_{its keys} exp(s_j − m) v_j[d4]
  var m = -3.0e38;      // running max (finite: exp(m − s) underflows to 0 cleanly); same in every thread
  var l = 0.0;          // running Σ_j exp(s_j − m); same in every thread

  for (var k0 = 0u; k0 < n; k0 += WG) {
    let j = k0 + lid;
    let live = j < n;
    var s = -3.0e38;
    if (live) {
      let k_base = (seq + j) * row4 + C4 + h * D4;
      var dot = vec4f(0.0);
      for (var e = 0u; e < D4; e++) {
        dot += q_s[e] * qkv[k_base + e];
      }
      s = dot.x + dot.y + dot.z + dot.w;
    }
    red[lid] = s;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
      if (lid < stride) {
        red[lid] = max(red[lid], red[lid + stride]);
      }
      workgroupBarrier();
    }
    let m_new = max(m, red[0]);
    workgroupBarrier(); // every thread has read red[0] before it is overwritten

    let pj = select(0.0, exp(s - m_new), live);
    p_s[lid] = pj;
    red[lid] = pj;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
      if (lid < stride) {
        red[lid] += red[lid + stride];
      }
      workgroupBarrier();
    }
    // Rescale what was accumulated under the old max, then add this tile.
    let correction = exp(m - m_new);
    l = l * correction + red[0];
    m = m_new;
    acc *= correction;
    let tile_keys = min(WG, n - k0);
    for (var jj = lane; jj < tile_keys; jj += lanes) {
      acc += p_s[jj] * qkv[(seq + k0 + jj) * row4 + 2u * C4 + h * D4 + d4];
    }
    workgroupBarrier(); // p_s and red are rewritten by the next tile
  }

  acc_s[lid] = acc;
  workgroupBarrier();
  if (lid < D4) {
    var total = vec4f(0.0);
    for (var g = 0u; g < lanes; g++) {
      total += acc_s[g * D4 + lid];
    }
    out[(seq + p) * C4 + h * D4 + lid] = total / l;
  }
  if (lid == 0u) {
    lse[bh * T + p] = m + log(l);
  }
}
