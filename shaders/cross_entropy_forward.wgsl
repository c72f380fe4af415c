// Softmax cross-entropy forward over a vocabulary, TPR threads per row (token position) and RPW rows
// per workgroup (WG = TPR · RPW invocations):
//   m = max_v logits,  s = Σ_v e^(l_v − m),  u = Σ_v e^(l_v − m) · (l_v − m)
//   lse = m + log s                      (log Σ e^l, kept for the backward pass)
//   logp = l[label] − lse,  loss = −logp (both 0 when the row is ignored)
//   entropy = −Σ p log p = log s − u / s (for every row, ignored or not; the RL logs it)
// One pass over the row (online softmax): each thread keeps (m, s, u) relative to its running max m;
// when a larger value x arrives, c = e^(m − x) rescales s' = c·s and u' = c·(u + s·(m − x)). Every
// exponent is <= 0, so logits of ±80 (or more) stay finite. Two partial states merge the same way
// (each rescaled to the larger max).
// A label outside [0, V) (−1 by convention) marks an ignored row (prompt, padding).
// Thread t of a row reduces v = t, t + TPR, ... in order, then a tree over the row's TPR threads: a
// fixed order, bit-identical runs. TPR must be a power of two.

override TPR: u32 = 4;  // threads per row
override RPW: u32 = 16; // rows per workgroup
override WG: u32 = TPR * RPW;

struct Params {
  n: u32,        // N: rows
  V: u32,        // vocabulary size
  groups_x: u32, // workgroups in x of the dispatch grid; first row = (wid.x + wid.y · groups_x) · RPW
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;          // (N, V) row-major
@group(0) @binding(2) var<storage, read> labels: array<i32>;          // (N) label id, −1: ignore the row
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;      // (N) −log p[label], 0 if ignored
@group(0) @binding(4) var<storage, read_write> logp: array<f32>;      // (N) log p[label], 0 if ignored
@group(0) @binding(5) var<storage, read_write> entropy: array<f32>;   // (N) −Σ p log p, in nats
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;       // (N) log Σ_v e^logits, for backward

// (m, s, u) per thread: running max, Σ e^(l − m), Σ e^(l − m) · (l − m).
var<workgroup> part: array<vec3f, WG>;

// Merges b into a: both rescaled to the larger max.
fn merge(a: vec3f, b: vec3f) -> vec3f {
  let m = max(a.x, b.x);
  let da = a.x - m;
  let db = b.x - m;
  let ca = exp(da);
  let cb = exp(db);
  return vec3f(m, ca * a.y + cb * b.y, ca * (a.z + a.y * da) + cb * (b.z + b.y * db));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u) {
  let lid = lid3.x;
  let t = lid % TPR;
  let row = (wid.x + wid.y * params.groups_x) * RPW + lid / TPR;
  let valid = row < params.n; // not uniform over the workgroup: no early return before the barriers
  let V = params.V;
  let base = row * V;

  // A thread with no element keeps s = u = 0 (any finite m is neutral then).
  var st = vec3f(0.0);
  if (valid && t < V) {
    st = vec3f(logits[base + t], 1.0, 0.0);
    for (var v = t + TPR; v < V; v = v + TPR) {
      let x = logits[base + v];
      let d = x - st.x;
      if (d > 0.0) {
        let c = exp(-d);
        st = vec3f(x, c * st.y + 1.0, c * (st.z - st.y * d));
      } else {
        let e = exp(d);
        st = vec3f(st.x, st.y + e, st.z + e * d);
      }
    }
  }
  part[lid] = st;
  for (var s = TPR / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (t < s) { part[lid] = merge(part[lid], part[lid + s]); }
  }
  workgroupBarrier();

  if (t == 0u && valid) {
    let total = part[lid];
    let log_s = log(total.y);
    let row_lse = total.x + log_s;
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
    entropy[row] = log_s - total.z / total.y;
  }
}
