// Softmax cross-entropy backward, one workgroup per row, each thread a strided slice of the row:
//   dlogits[r, v] = dlogp[r] · (onehot(label_r)[v] − p[r, v]),   p[r, v] = e^(logits[r, v] − lse[r])
// dlogp is the gradient of the final loss w.r.t. each row's label log-prob (SFT: −1/count for
// counted rows; RL: the PA-GRPO loss gradient). Ignored rows (label outside [0, V)) get 0.
// The forward pass's lse makes this a single pass with no reduction.

override WG: u32 = 256;

struct Params {
  n: u32,        // N: rows
  V: u32,        // vocabulary size
  groups_x: u32, // workgroups in x of the dispatch grid; row = wid.x + wid.y · groups_x
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;          // (N, V) row-major
@group(0) @binding(2) var<storage, read> labels: array<i32>;          // (N) label id, −1: ignored
@group(0) @binding(3) var<storage, read> lse: array<f32>;             // (N) from the forward pass
@group(0) @binding(4) var<storage, read> dlogp: array<f32>;           // (N) dLoss/dlogp[r]
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;   // (N, V) row-major, written

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u) {
  let row = wid.x + wid.y * params.groups_x;
  if (row >= params.n) { return; }
  let V = params.V;
  let base = row * V;
  let label = labels[row];
  let counted = label >= 0 && u32(label) < V;
  let g = select(0.0, dlogp[row], counted);
  let row_lse = lse[row];
  for (var v = lid3.x; v < V; v = v + WG) {
    var d = 0.0;
    if (counted) {
      let onehot = select(0.0, 1.0, v == u32(label));
      d = g * (onehot - exp(logits[base + v] - row_lse));
    }
    dlogits[base + v] = d;
  }
}
