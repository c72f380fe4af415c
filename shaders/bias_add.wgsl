// Bias add, the forward half of a linear layer's bias: y(R,C) = x(R,C) + bias(C), broadcast over rows.
//   main:           y = x + bias
//   main_in_place:  y += bias (WebGPU forbids binding one buffer as both x and y, hence a second entry
//                   point that reads and writes y; it uses bindings 0, 1 and 3 only)

override WG: u32 = 256;

struct Params {
  rows: u32,        // R
  cols: u32,        // C
  grid_width: u32,  // threads per grid row (= workgroups in x * WG), for grids wider than 65535 groups
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> bias: array<f32>;      // (C)
@group(0) @binding(2) var<storage, read> x: array<f32>;         // (R,C) row-major
@group(0) @binding(3) var<storage, read_write> y: array<f32>;   // (R,C) row-major

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * params.grid_width;
  if (i >= params.rows * params.cols) { return; }
  y[i] = x[i] + bias[i % params.cols];
}

@compute @workgroup_size(WG)
fn main_in_place(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * params.grid_width;
  if (i >= params.rows * params.cols) { return; }
  y[i] = y[i] + bias[i % params.cols];
}
