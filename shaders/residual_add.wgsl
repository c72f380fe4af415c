// Residual add: the transformer's residual stream in the forward pass, and the sum of gradients
// that reach one tensor along two paths in the backward pass.
//   add:        out[i] = a[i] + b[i]
//   accumulate: target[i] += addend[i]   (in place; WebGPU forbids aliasing a read and a write binding)

override WG: u32 = 256;

struct Params {
  n: u32,          // number of elements
  row_stride: u32, // threads per grid row (= workgroups in x * WG), for grids wider than 65535 groups
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;          // (n)
@group(0) @binding(2) var<storage, read> b: array<f32>;          // (n)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // (n)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * params.row_stride;
  if (i >= params.n) { return; }
  out[i] = a[i] + b[i];
}
