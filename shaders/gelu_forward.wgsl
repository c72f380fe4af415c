// GELU forward, GPT-2's tanh approximation (the MLP activation), elementwise:
//   y = 0.5 · x · (1 + tanh(k · (x + 0.044715 · x³))),  k = sqrt(2/π)
// Evaluated as y = x · σ(2u) with σ(z) = 1 / (1 + e^(−z)), u = k·(x + 0.044715·x³), which equals
// the tanh form (1 + tanh u = 2σ(2u)) but does not lose the small values of 1 + tanh u for negative x
// to cancellation, and never calls tanh (some backends compute it through exp and give NaN for
// large |u|). 2u is clamped to ±80 so e^(−2u) stays finite in f32 (e^80 ≈ 5.5e34).

override WG: u32 = 256;

struct Params {
  n: u32,          // number of elements
  row_stride: u32, // threads per grid row (= workgroups in x · WG), for grids wider than 65535 groups
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (n) pre-activation, any layout
@group(0) @binding(2) var<storage, read_write> y: array<f32>;   // (n) same layout as x

const GELU_K: f32 = 0.7978845608028654; // sqrt(2/π)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * params.row_stride;
  if (i >= params.n) { return; }
  let v = x[i];
  let two_u = clamp(2.0 * GELU_K * (v + 0.044715 * v * v * v), -80.0, 80.0);
  y[i] = v / (1.0 + exp(-two_u));
}
