// Softmax cross-entropy forward over a vocabulary, one workgroup per row (token position):
//   m = max_v logits,  s = Σ_v e^(l_v − m),  u = Σ_v e^(l_v − m) · (l_v − m)
//   lse = m + log s                      (log Σ e^l, kept for the backward pass)
//   logp = l[label] − lse,  loss = −logp (both 0 when the row is ignored)
//   entropy = −Σ p log p = log s − u / s (for every row, ignored or not; the RL logs it)
// Subtracting the row max first keeps every exponent <= 0: logits of ±80 (or more) stay finite.
// A label outside [0, V) (−1 by convention) marks an ignored row (prompt, padding).
// Each thread reduces v = lid, lid + WG, ... in order, then a tree: a fixed order, bit-identical
// runs. WG must be a power of two.

override WG: u32 = 256;

struct Params {
  n: u32,        // N: rows
  V: u32,        // vocabulary size
  groups_x: u32, // workgroups in x of the dispatch grid; row = wid.x + wid.y · groups_x
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;          // (N, V) row-major
@group(0) @binding(2) var<storage, read> labels: array<i32>;          // (N) label id, −1: ignore the row
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;      // (N) −log p[label], 0 if ignored
@group(0) @binding(4) var<storage, read_write> logp: array<f32>;      // (N) log p[label], 0 if ignored
@group(0) @binding(5) var<storage, read_write> entropy: array<f32>;   // (N) −Σ p log p, in nats
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;       // (N) log Σ_v e^logits, for backward

var<workgroup> max_part: array<f32, WG>;
var<workgroup> sum_part: array<vec2f, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u) {
  let row = wid.x + wid.y * params.groups_x;
  if (row >= params.n) { return; } // uniform over the workgroup
  let lid = lid3.x;
  let V = params.V;
  let base = row * V;

  // Row max. Threads with no element (V < WG) start from the first logit, a neutral value.
  var m = logits[base];
  for (var v = lid; v < V; v = v + WG) { m = max(m, logits[base + v]); }
  max_part[lid] = m;
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) { max_part[lid] = max(max_part[lid], max_part[lid + s]); }
  }
  workgroupBarrier();
  m = max_part[0];

  // (s, u) = Σ (e^(l − m), e^(l − m) · (l − m))
  var acc = vec2f(0.0);
  for (var v = lid; v < V; v = v + WG) {
    let d = logits[base + v] - m;
    let e = exp(d);
    acc = acc + vec2f(e, e * d);
  }
  sum_part[lid] = acc;
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) { sum_part[lid] = sum_part[lid] + sum_part[lid + s]; }
  }
  workgroupBarrier();

  if (lid == 0u) {
    let total = sum_part[0];
    let log_s = log(total.x);
    let row_lse = m + log_s;
    let label = labels[row];
    var lp = 0.0;
    var row_loss = 0.0; // set apart from lp so an ignored row gets +0, not −0
    if (label >= 0 && u32(label) < V) {
      lp = logits[base + u32(label)] - row_lse;
      row_loss = -lp;
    }
    lse[row] = row_lse;
    logp[row] = lp;
    loss[row] = row_loss;
    entropy[row] = log_s - total.y / total.x;
  }
}
