// GELU backward (GPT-2 tanh approximation), elementwise: dx = dy · gelu'(x), written or added.
//   u  = k · (x + 0.044715 · x³),  k = sqrt(2/π)
//   gelu'(x) = 0.5 · (1 + tanh u) + 0.5 · x · (1 − tanh² u) · k · (1 + 3 · 0.044715 · x²)
// Evaluated through s = σ(2u) = 1 / (1 + e^(−2u)) as in the forward pass, using 0.5·(1 + tanh u) = s
// and 0.5·(1 − tanh² u) = 2·s·(1 − s), with 1 − s = e^(−2u)·s computed without cancellation:
//   gelu'(x) = s + 2·x·s·(1 − s) · k · (1 + 3 · 0.044715 · x²)
// 2u is clamped to ±80 so e^(−2u) stays finite in f32.

override WG: u32 = 256;

struct Params {
  n: u32,          // number of elements
  row_stride: u32, // threads per grid row (= workgroups in x · WG)
  accumulate: u32, // 1: dx += dy · gelu'(x) (dx already holds a gradient); 0: dx = dy · gelu'(x)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (n) forward input (pre-activation)
@group(0) @binding(2) var<storage, read> dy: array<f32>;         // (n) dLoss/dy, same layout
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;   // (n) dLoss/dx, same layout

const GELU_K: f32 = 0.7978845608028654; // sqrt(2/π)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * params.row_stride;
  if (i >= params.n) { return; }
  let v = x[i];
  let e = exp(-clamp(2.0 * GELU_K * (v + 0.044715 * v * v * v), -80.0, 80.0));
  let s = 1.0 / (1.0 + e);
  let grad = s + 2.0 * v * s * (e * s) * GELU_K * (1.0 + 3.0 * 0.044715 * v * v);
  var g = dy[i] * grad;
  if (params.accumulate != 0u) { g = dx[i] + g; }
  dx[i] = g;
}
