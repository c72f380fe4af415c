// LayerNorm backward, three entry points sharing one Params block:
//   dx (one workgroup per row), with xhat = (x − mean) · rstd and g = dy · weight:
//       dx = rstd · (g − mean_c(g) − xhat · mean_c(g · xhat))      written, or added (residual stream)
//   dparams_partial (one thread per (column c, chunk of ROWS rows)): over the chunk's rows in order,
//       partials[chunk, 0, c] = Σ dy · xhat,   partials[chunk, 1, c] = Σ dy
//   dparams_finalize (one thread per column): sums the chunks in order into
//       dweight[c] = Σ_chunks partials[k, 0, c],   dbias[c] = Σ_chunks partials[k, 1, c]   (or adds)
// Every sum has a fixed order and there are no atomics: bit-identical runs. The two-stage column sum
// keeps a real GPU busy (ceil(C/WG) · chunks workgroups) where one thread per column looping over
// all N rows would leave most of it idle. WG must be a power of two (tree reduction in dx).
// dx_rows is dx with one thread per row (no workgroup memory, no barriers), for narrow rows (see
// layernorm_forward.wgsl main_rows); groups_x then counts workgroups of WG rows.

override WG: u32 = 64;

struct Params {
  n: u32,                 // N: rows
  c: u32,                 // C: channels
  groups_x: u32,          // workgroups in x of the dx grid; row = wid.x + wid.y · groups_x
  accumulate_dx: u32,     // 1: dx += ...; 0: dx = ...
  accumulate_params: u32, // 1: dweight += ..., dbias += ...; 0: overwrite
  rows_per_chunk: u32,    // ROWS: rows summed by one dparams_partial thread
  chunks: u32,            // ceil(N / ROWS)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;               // (N, C) dLoss/dy, row-major
@group(0) @binding(2) var<storage, read> x: array<f32>;                // (N, C) forward input
@group(0) @binding(3) var<storage, read> weight: array<f32>;           // (C)
@group(0) @binding(4) var<storage, read> mean: array<f32>;             // (N) from the forward pass
@group(0) @binding(5) var<storage, read> rstd: array<f32>;             // (N) from the forward pass
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;         // (N, C) dLoss/dx
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;   // (chunks, 2, C) scratch
@group(0) @binding(8) var<storage, read_write> dweight: array<f32>;    // (C)
@group(0) @binding(9) var<storage, read_write> dbias: array<f32>;      // (C)

var<workgroup> partial: array<vec2f, WG>;

// Sum of `v` over the workgroup, the same value returned to every thread.
fn workgroup_sum(lid: u32, v: vec2f) -> vec2f {
  partial[lid] = v;
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
  }
  workgroupBarrier();
  return partial[0];
}

@compute @workgroup_size(WG)
fn dx_main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u) {
  let row = wid.x + wid.y * params.groups_x;
  if (row >= params.n) { return; } // uniform over the workgroup
  let lid = lid3.x;
  let C = params.c;
  let base = row * C;
  let m = mean[row];
  let r = rstd[row];

  // (Σ g, Σ g · xhat) over the row
  var acc = vec2f(0.0);
  for (var c = lid; c < C; c = c + WG) {
    let g = dy[base + c] * weight[c];
    acc = acc + vec2f(g, g * (x[base + c] - m) * r);
  }
  let sums = workgroup_sum(lid, acc) / f32(C);

  for (var c = lid; c < C; c = c + WG) {
    let g = dy[base + c] * weight[c];
    let xhat = (x[base + c] - m) * r;
    var v = r * (g - sums.x - xhat * sums.y);
    if (params.accumulate_dx != 0u) { v = dx[base + c] + v; }
    dx[base + c] = v;
  }
}

@compute @workgroup_size(WG)
fn dx_rows(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x + gid.y * params.groups_x * WG;
  if (row >= params.n) { return; }
  let C = params.c;
  let base = row * C;
  let m = mean[row];
  let r = rstd[row];
  var acc = vec2f(0.0);
  for (var c = 0u; c < C; c = c + 1u) {
    let g = dy[base + c] * weight[c];
    acc = acc + vec2f(g, g * (x[base + c] - m) * r);
  }
  let sums = acc / f32(C);
  for (var c = 0u; c < C; c = c + 1u) {
    let g = dy[base + c] * weight[c];
    let xhat = (x[base + c] - m) * r;
    var v = r * (g - sums.x - xhat * sums.y);
    if (params.accumulate_dx != 0u) { v = dx[base + c] + v; }
    dx[base + c] = v;
  }
}

@compute @workgroup_size(WG)
fn dparams_partial(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let chunk = gid.y;
  let C = params.c;
  if (c >= C || chunk >= params.chunks) { return; }
  let first = chunk * params.rows_per_chunk;
  let last = min(params.n, first + params.rows_per_chunk);
  var dw = 0.0;
  var db = 0.0;
  for (var row = first; row < last; row = row + 1u) {
    let g = dy[row * C + c];
    dw = dw + g * (x[row * C + c] - mean[row]) * rstd[row];
    db = db + g;
  }
  partials[(2u * chunk) * C + c] = dw;
  partials[(2u * chunk + 1u) * C + c] = db;
}

@compute @workgroup_size(WG)
fn dparams_finalize(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let C = params.c;
  if (c >= C) { return; }
  var dw = 0.0;
  var db = 0.0;
  for (var k = 0u; k < params.chunks; k = k + 1u) {
    dw = dw + partials[(2u * k) * C + c];
    db = db + partials[(2u * k + 1u) * C + c];
  }
  if (params.accumulate_params != 0u) {
    dw = dweight[c] + dw;
    db = dbias[c] + db;
  }
  dweight[c] = dw;
  dbias[c] = db;
}
