// In-place accumulate: dst[i] += addend[i]. The backward pass uses it where a gradient reaches
// one tensor along two paths (residual branches, tied weights).

override WG: u32 = 256;

struct Params {
  n: u32,          // number of elements
  row_stride: u32, // threads per grid row (= workgroups in x * WG)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> addend: array<f32>;        // (n)
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;  // (n)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * params.row_stride;
  if (i >= params.n) { return; }
  dst[i] = dst[i] + addend[i];
}
