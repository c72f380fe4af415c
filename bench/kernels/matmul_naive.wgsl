// Benchmark baseline, not used in training: C(M,N) = A(M,K) · B(K,N), one thread per output, every
// operand read straight from storage (no workgroup memory, no register blocking). The tiled kernel in
// shaders/matmul.wgsl is measured against it.

override WG_X: u32 = 16;  // threads along N
override WG_Y: u32 = 16;  // threads along M

struct Params {
  m: u32,
  n: u32,
  k: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;        // (M,K) row-major
@group(0) @binding(2) var<storage, read> b: array<f32>;        // (K,N) row-major
@group(0) @binding(3) var<storage, read_write> c: array<f32>;  // (M,N) row-major

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.y;
  let col = gid.x;
  if (row >= params.m || col >= params.n) { return; }
  var sum = 0.0;
  for (var p = 0u; p < params.k; p++) {
    sum += a[row * params.k + p] * b[p * params.n + col];
  }
  c[row * params.n + col] = sum;
}
