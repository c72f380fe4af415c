// LayerNorm forward over the last dimension (GPT-2's ln_1, ln_2, ln_f), one workgroup per row:
//   mean = Σ_c x / C,  var = Σ_c (x − mean)² / C  (biased, as torch.nn.LayerNorm),
//   rstd = 1 / sqrt(var + eps),  y = (x − mean) · rstd · weight + bias
// mean and rstd are saved for the backward pass. The variance is a second pass over the row (not
// E[x²] − mean²), so rows with a large mean keep their precision. Each thread sums channels
// lid, lid + WG, ... in order, then a tree over the workgroup: a fixed order, bit-identical runs.
// WG must be a power of two (tree reduction).
//
// main_rows is the same computation with one THREAD per row (row = global id), each summing its row
// serially: no workgroup memory, no barriers. For narrow rows (C ≤ 128, the tiny preset's 64) a
// workgroup per row leaves most threads idle and pays a barrier per tree level; on SwiftShader that
// made LayerNorm the slowest kernel of a training step. The owner picks the entry point by C.

override WG: u32 = 64;

struct Params {
  n: u32,        // N: rows (B·T)
  c: u32,        // C: channels
  eps: f32,      // added to the variance (GPT-2: 1e-5)
  groups_x: u32, // workgroups in x of the dispatch grid; row = wid.x + wid.y · groups_x
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;            // (N, C) row-major
@group(0) @binding(2) var<storage, read> weight: array<f32>;       // (C) gain
@group(0) @binding(3) var<storage, read> bias: array<f32>;         // (C)
@group(0) @binding(4) var<storage, read_write> y: array<f32>;      // (N, C) row-major
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;   // (N) row means, for backward
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;   // (N) 1 / sqrt(var + eps), for backward

var<workgroup> partial: array<f32, WG>;

// Sum of `v` over the workgroup, the same value returned to every thread.
fn workgroup_sum(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
  }
  workgroupBarrier();
  let total = partial[0];
  workgroupBarrier(); // every thread has read slot 0 before the next sum overwrites it
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u) {
  let row = wid.x + wid.y * params.groups_x;
  if (row >= params.n) { return; } // uniform over the workgroup: no barrier is skipped by only some
  let lid = lid3.x;
  let C = params.c;
  let base = row * C;

  var s = 0.0;
  for (var c = lid; c < C; c = c + WG) { s = s + x[base + c]; }
  let m = workgroup_sum(lid, s) / f32(C);

  var q = 0.0;
  for (var c = lid; c < C; c = c + WG) {
    let d = x[base + c] - m;
    q = q + d * d;
  }
  let r = inverseSqrt(workgroup_sum(lid, q) / f32(C) + params.eps);

  for (var c = lid; c < C; c = c + WG) {
    y[base + c] = (x[base + c] - m) * r * weight[c] + bias[c];
  }
  if (lid == 0u) {
    mean[row] = m;
    rstd[row] = r;
  }
}

@compute @workgroup_size(WG)
fn main_rows(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x + gid.y * params.groups_x * WG;
  if (row >= params.n) { return; }
  let C = params.c;
  let base = row * C;
  var s = 0.0;
  for (var c = 0u; c < C; c = c + 1u) { s = s + x[base + c]; }
  let m = s / f32(C);
  var q = 0.0;
  for (var c = 0u; c < C; c = c + 1u) {
    let d = x[base + c] - m;
    q = q + d * d;
  }
  let r = inverseSqrt(q / f32(C) + params.eps);
  for (var c = 0u; c < C; c = c + 1u) {
    y[base + c] = (x[base + c] - m) * r * weight[c] + bias[c];
  }
  mean[row] = m;
  rstd[row] = r;
}
