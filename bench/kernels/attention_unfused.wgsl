// Benchmark baseline, not used in training: causal multi-head attention done the unfused way, with
// the (B, H, T, T) score/probability matrix materialised, one thread per output element and every
// operand read straight from storage. shaders/attention_{forward,backward}.wgsl are measured against it.
// Same layouts as the fused kernels; scale = 1/sqrt(D); rows t >= len_b are padding (zero outputs).
//   forward:  scores  S = Q Kᵀ · scale                      (B, H, T, T), all T×T entries
//             softmax P = softmax(S) over j ≤ i, j < len    (in place over S; also writes lse)
//             pv      O = P V
//   backward: dprobs  dP = dO Vᵀ                             (B, H, T, T)
//             dscores dS = P ∘ (dP − rowsum(dP ∘ P))         (in place over dP)
//             dq      dQ = dS K · scale
//             dkv     dK = dSᵀ Q · scale,  dV = Pᵀ dO
// Each entry point covers `params.n` threads on a 1-D grid folded over x and y (row_stride).

override WG: u32 = 256;

struct Params {
  B: u32,
  T: u32,
  H: u32,
  D: u32,          // head dim
  C: u32,          // model width = H * D
  scale: f32,      // 1 / sqrt(D)
  n: u32,          // threads that do work in this dispatch
  row_stride: u32, // threads per grid row (= workgroups in x * WG)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;          // (B*T, 3C) = (B, T, 3, H, D)
@group(0) @binding(2) var<storage, read> lengths: array<u32>;      // (B) valid length of each sequence
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;  // (B, H, T, T) scores, then probabilities
@group(0) @binding(4) var<storage, read_write> out: array<f32>;    // (B*T, C) = (B, T, H, D)
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;    // (B, H, T) logsumexp of scaled scores
@group(0) @binding(6) var<storage, read> dout: array<f32>;         // (B*T, C) dLoss/dout
@group(0) @binding(7) var<storage, read_write> probs_grad: array<f32>; // (B, H, T, T) dP, then dS
@group(0) @binding(8) var<storage, read_write> dqkv: array<f32>;   // (B*T, 3C) same layout as qkv

// Column offsets of q, k, v for head h inside one qkv row.
fn q_at(b: u32, t: u32, h: u32) -> u32 { return (b * params.T + t) * 3u * params.C + h * params.D; }
fn k_at(b: u32, t: u32, h: u32) -> u32 { return q_at(b, t, h) + params.C; }
fn v_at(b: u32, t: u32, h: u32) -> u32 { return q_at(b, t, h) + 2u * params.C; }
fn o_at(b: u32, t: u32, h: u32) -> u32 { return (b * params.T + t) * params.C + h * params.D; }

fn thread_index(gid: vec3u) -> u32 { return gid.x + gid.y * params.row_stride; }

// One thread per (b, h, i, j).
@compute @workgroup_size(WG)
fn scores(@builtin(global_invocation_id) gid: vec3u) {
  let idx = thread_index(gid);
  if (idx >= params.n) { return; }
  let T = params.T;
  let j = idx % T;
  let i = (idx / T) % T;
  let bh = idx / (T * T);
  let b = bh / params.H;
  let h = bh % params.H;
  var s = 0.0;
  for (var d = 0u; d < params.D; d++) {
    s += qkv[q_at(b, i, h) + d] * qkv[k_at(b, j, h) + d];
  }
  probs[idx] = s * params.scale;
}

// One thread per row (b, h, i).
@compute @workgroup_size(WG)
fn softmax(@builtin(global_invocation_id) gid: vec3u) {
  let idx = thread_index(gid);
  if (idx >= params.n) { return; }
  let T = params.T;
  let i = idx % T;
  let b = idx / (T * params.H);
  let len = min(lengths[b], T);
  let row = idx * T;
  if (i >= len) {
    for (var j = 0u; j < T; j++) { probs[row + j] = 0.0; }
    lse[idx] = 0.0;
    return;
  }
  var m = probs[row];
  for (var j = 1u; j <= i; j++) { m = max(m, probs[row + j]); }
  var sum = 0.0;
  for (var j = 0u; j <= i; j++) { sum += exp(probs[row + j] - m); }
  for (var j = 0u; j < T; j++) {
    probs[row + j] = select(0.0, exp(probs[row + j] - m) / sum, j <= i);
  }
  lse[idx] = m + log(sum);
}

// One thread per (b, i, h, d).
@compute @workgroup_size(WG)
fn pv(@builtin(global_invocation_id) gid: vec3u) {
  let idx = thread_index(gid);
  if (idx >= params.n) { return; }
  let T = params.T;
  let d = idx % params.D;
  let h = (idx / params.D) % params.H;
  let i = (idx / params.C) % T;
  let b = idx / (params.C * T);
  let row = ((b * params.H + h) * T + i) * T;
  var acc = 0.0;
  for (var j = 0u; j < T; j++) {
    acc += probs[row + j] * qkv[v_at(b, j, h) + d];
  }
  out[idx] = acc;
}

// One thread per (b, h, i, j).
@compute @workgroup_size(WG)
fn dprobs(@builtin(global_invocation_id) gid: vec3u) {
  let idx = thread_index(gid);
  if (idx >= params.n) { return; }
  let T = params.T;
  let j = idx % T;
  let i = (idx / T) % T;
  let bh = idx / (T * T);
  let b = bh / params.H;
  let h = bh % params.H;
  var s = 0.0;
  for (var d = 0u; d < params.D; d++) {
    s += dout[o_at(b, i, h) + d] * qkv[v_at(b, j, h) + d];
  }
  probs_grad[idx] = s;
}

// One thread per row (b, h, i); rewrites the row of dP as dS.
@compute @workgroup_size(WG)
fn dscores(@builtin(global_invocation_id) gid: vec3u) {
  let idx = thread_index(gid);
  if (idx >= params.n) { return; }
  let T = params.T;
  let row = idx * T;
  var r = 0.0;
  for (var j = 0u; j < T; j++) { r += probs_grad[row + j] * probs[row + j]; }
  for (var j = 0u; j < T; j++) { probs_grad[row + j] = probs[row + j] * (probs_grad[row + j] - r); }
}

// One thread per (b, i, h, d): the q third of dqkv.
@compute @workgroup_size(WG)
fn dq(@builtin(global_invocation_id) gid: vec3u) {
  let idx = thread_index(gid);
  if (idx >= params.n) { return; }
  let T = params.T;
  let d = idx % params.D;
  let h = (idx / params.D) % params.H;
  let i = (idx / params.C) % T;
  let b = idx / (params.C * T);
  let row = ((b * params.H + h) * T + i) * T;
  var acc = 0.0;
  for (var j = 0u; j < T; j++) {
    acc += probs_grad[row + j] * qkv[k_at(b, j, h) + d];
  }
  dqkv[q_at(b, i, h) + d] = acc * params.scale;
}

// One thread per (b, j, h, d): the k and v thirds of dqkv (column j of dS and P).
@compute @workgroup_size(WG)
fn dkv(@builtin(global_invocation_id) gid: vec3u) {
  let idx = thread_index(gid);
  if (idx >= params.n) { return; }
  let T = params.T;
  let d = idx % params.D;
  let h = (idx / params.D) % params.H;
  let j = (idx / params.C) % T;
  let b = idx / (params.C * T);
  let col = (b * params.H + h) * T * T + j;
  var dk = 0.0;
  var dv = 0.0;
  for (var i = 0u; i < T; i++) {
    dk += probs_grad[col + i * T] * qkv[q_at(b, i, h) + d];
    dv += probs[col + i * T] * dout[o_at(b, i, h) + d];
  }
  dqkv[k_at(b, j, h) + d] = dk * params.scale;
  dqkv[v_at(b, j, h) + d] = dv;
}
