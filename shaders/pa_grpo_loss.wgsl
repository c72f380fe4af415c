// PA-GRPO loss (method.md §1.6–1.8, §3): the token-level clipped policy loss with a k3 KL penalty,
// where each token takes the advantage of its own segment (perception or reasoning), its gradient
// w.r.t. the new log-probs, and per-segment diagnostics. Plain GRPO is the same kernel with
// A_perception == A_reasoning. Per unmasked token (b, t), with A = advantages[b, segment - 1]:
//   ρ   = exp(logp − old_logp)
//   pg  = −min(ρ·A, clamp(ρ, 1 − clip_low, 1 + clip_high)·A)
//   x   = clamp(ref_logp − logp, −kl_clamp, kl_clamp);  k3 = exp(x) − x − 1
//   ℓ   = pg + beta·k3
//   ∂ℓ/∂logp = (clipped branch strictly smaller ? 0 : −ρ·A) + beta·(|ref − logp| <= kl_clamp ? 1 − exp(x) : 0)
// loss = Σ_b Σ_t w[b, t]·ℓ[b, t]; the weights are W_b / n_b (token-share) or W_b / (S_b·n_{b,k})
// (equal segment weighting, S_b = present segments), with W_b from the aggregation mode:
//   0 seq-mean-token-mean: 1 / B_v (B_v = rows with an unmasked token), 1 token-mean: n_b / N,
//   2 seq-mean-token-sum-norm (Dr.GRPO): n_b / (B·T).   The CPU reference src/gpu/reference/pa_grpo_loss.ts is the spec.
// Three deterministic passes (no atomics):
//   sequence: one workgroup per rollout b sums its tokens' terms per segment  -> seq_sums (B, 12)
//   finalize: one workgroup: B_v, N, the weights per (rollout, segment), the loss and the stats
//   gradient: one thread per token: dlogp = weight · ∂ℓ/∂logp (0 on padding)
// WG must be a power of two (tree reductions).

override WG: u32 = 128;

struct Params {
  B: u32,                  // rollouts
  T: u32,                  // padded completion length
  aggregation: u32,        // 0 seq-mean-token-mean, 1 token-mean, 2 seq-mean-token-sum-norm
  segment_weighting: u32,  // 0 token-share, 1 equal
  clip_low: f32,           // ε_low
  clip_high: f32,          // ε_high
  beta: f32,               // KL weight β
  kl_clamp: f32,           // c
  row_stride: u32,         // threads per grid row of the gradient pass (= workgroups in x * WG)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logp: array<f32>;            // (B, T) row-major: new log-probs
@group(0) @binding(2) var<storage, read> old_logp: array<f32>;        // (B, T): log-probs of the sampling policy
@group(0) @binding(3) var<storage, read> ref_logp: array<f32>;        // (B, T): log-probs of the frozen reference
@group(0) @binding(4) var<storage, read> segment: array<u32>;         // (B, T): 0 padding, 1 perception, 2 reasoning (else padding)
@group(0) @binding(5) var<storage, read> advantages: array<f32>;      // (B, 2): [A_perception, A_reasoning]
@group(0) @binding(6) var<storage, read_write> seq_sums: array<f32>;  // (B, 2, 6) scratch: per rollout, per segment k
                                                                      //   [count, Σℓ, Σpg, Σk3, Σρ, clipped tokens]
@group(0) @binding(7) var<storage, read_write> coef: array<f32>;      // (B, 2) scratch: weight w of a token of segment k+1
@group(0) @binding(8) var<storage, read_write> loss: array<f32>;      // (4): [loss, Σ w·pg, Σ w·k3 (before β), B_v]
@group(0) @binding(9) var<storage, read_write> stats: array<f32>;     // (3, 4): [perception, reasoning, all] ×
                                                                      //   [token count, clip fraction, mean ρ, mean k3]
@group(0) @binding(10) var<storage, read_write> dlogp: array<f32>;    // (B, T): ∂loss/∂logp

const SLOTS: u32 = 12u;
var<workgroup> red: array<array<f32, SLOTS>, WG>;

struct Token {
  seg: u32,      // 0 masked, 1 perception, 2 reasoning
  loss: f32,     // ℓ
  pg: f32,
  k3: f32,
  ratio: f32,
  clipped: f32,  // 1 when the clipped branch was strictly the min
  dloss: f32,    // ∂ℓ/∂logp
}

fn token(i: u32, b: u32) -> Token {
  var out: Token;  // zero-initialised: a masked token contributes nothing
  let seg = segment[i];
  if (seg != 1u && seg != 2u) { return out; }
  out.seg = seg;
  let lp = logp[i];
  let a = advantages[2u * b + seg - 1u];
  let ratio = exp(lp - old_logp[i]);
  let unclipped_term = ratio * a;
  let clipped_term = clamp(ratio, 1.0 - params.clip_low, 1.0 + params.clip_high) * a;
  let clipped = clipped_term < unclipped_term;
  out.pg = -min(unclipped_term, clipped_term);
  let d = ref_logp[i] - lp;
  let x = clamp(d, -params.kl_clamp, params.kl_clamp);
  out.k3 = exp(x) - x - 1.0;
  out.ratio = ratio;
  out.clipped = select(0.0, 1.0, clipped);
  out.loss = out.pg + params.beta * out.k3;
  let dpg = select(-unclipped_term, 0.0, clipped);
  let dk3 = select(0.0, 1.0 - exp(x), d >= -params.kl_clamp && d <= params.kl_clamp);
  out.dloss = dpg + params.beta * dk3;
  return out;
}

// Tree reduction of the first `slots` entries of red[] into red[0], in a fixed order.
fn reduce(lid: u32, slots: u32) {
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) {
      for (var j = 0u; j < slots; j = j + 1u) { red[lid][j] = red[lid][j] + red[lid + s][j]; }
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn sequence(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u) {
  let lid = lid3.x;
  let b = wid.x;
  var acc: array<f32, SLOTS>;
  for (var t = lid; t < params.T; t = t + WG) {
    let tok = token(b * params.T + t, b);
    if (tok.seg == 0u) { continue; }
    let k = 6u * (tok.seg - 1u);
    acc[k] = acc[k] + 1.0;
    acc[k + 1u] = acc[k + 1u] + tok.loss;
    acc[k + 2u] = acc[k + 2u] + tok.pg;
    acc[k + 3u] = acc[k + 3u] + tok.k3;
    acc[k + 4u] = acc[k + 4u] + tok.ratio;
    acc[k + 5u] = acc[k + 5u] + tok.clipped;
  }
  red[lid] = acc;
  reduce(lid, SLOTS);
  if (lid == 0u) {
    for (var j = 0u; j < SLOTS; j = j + 1u) { seq_sums[SLOTS * b + j] = red[0][j]; }
  }
}

@compute @workgroup_size(WG)
fn finalize(@builtin(local_invocation_id) lid3: vec3u) {
  let lid = lid3.x;
  let B = params.B;

  // Phase 1: N (unmasked tokens) and B_v (rows with at least one).
  var tokens = 0.0;
  var rows = 0.0;
  for (var b = lid; b < B; b = b + WG) {
    let n = seq_sums[SLOTS * b] + seq_sums[SLOTS * b + 6u];
    tokens = tokens + n;
    rows = rows + select(0.0, 1.0, n > 0.0);
  }
  var zero: array<f32, SLOTS>;
  red[lid] = zero;
  red[lid][0] = tokens;
  red[lid][1] = rows;
  reduce(lid, 2u);
  let N = red[0][0];
  let valid = red[0][1];
  workgroupBarrier();

  // Phase 2: weights per (rollout, segment); slot 0 Σ w·pg, 1 Σ w·k3, 2 + 4k + f the stats sums of
  // segment k: f = 0 count, 1 clipped tokens, 2 Σρ, 3 Σk3.
  var acc: array<f32, SLOTS>;
  for (var b = lid; b < B; b = b + WG) {
    let base = SLOTS * b;
    let n0 = seq_sums[base];
    let n1 = seq_sums[base + 6u];
    let n = n0 + n1;
    var W = 0.0;
    if (n > 0.0) {
      if (params.aggregation == 0u) { W = 1.0 / valid; }
      else if (params.aggregation == 1u) { W = n / N; }
      else { W = n / (f32(B) * f32(params.T)); }
    }
    var w0 = 0.0;
    var w1 = 0.0;
    if (n > 0.0) {
      if (params.segment_weighting == 0u) {
        w0 = W / n;
        w1 = W / n;
      } else {
        let present = select(0.0, 1.0, n0 > 0.0) + select(0.0, 1.0, n1 > 0.0);
        if (n0 > 0.0) { w0 = W / (present * n0); }
        if (n1 > 0.0) { w1 = W / (present * n1); }
      }
    }
    coef[2u * b] = w0;
    coef[2u * b + 1u] = w1;
    acc[0] = acc[0] + w0 * seq_sums[base + 2u] + w1 * seq_sums[base + 8u];
    acc[1] = acc[1] + w0 * seq_sums[base + 3u] + w1 * seq_sums[base + 9u];
    for (var k = 0u; k < 2u; k = k + 1u) {
      let s = base + 6u * k;
      let o = 2u + 4u * k;
      acc[o] = acc[o] + seq_sums[s];
      acc[o + 1u] = acc[o + 1u] + seq_sums[s + 5u];
      acc[o + 2u] = acc[o + 2u] + seq_sums[s + 4u];
      acc[o + 3u] = acc[o + 3u] + seq_sums[s + 3u];
    }
  }
  red[lid] = acc;
  reduce(lid, 10u);
  if (lid == 0u) {
    let r = red[0];
    loss[0] = r[0] + params.beta * r[1];
    loss[1] = r[0];
    loss[2] = r[1];
    loss[3] = valid;
    for (var k = 0u; k < 3u; k = k + 1u) {
      // k = 2 is "all": the sum of both segments.
      var count = 0.0; var clipped = 0.0; var ratio = 0.0; var k3 = 0.0;
      for (var j = 0u; j < 2u; j = j + 1u) {
        if (k == 2u || k == j) {
          let o = 2u + 4u * j;
          count = count + r[o]; clipped = clipped + r[o + 1u]; ratio = ratio + r[o + 2u]; k3 = k3 + r[o + 3u];
        }
      }
      let inv = select(0.0, 1.0 / count, count > 0.0);
      stats[4u * k] = count;
      stats[4u * k + 1u] = clipped * inv;
      stats[4u * k + 2u] = ratio * inv;
      stats[4u * k + 3u] = k3 * inv;
    }
  }
}

@compute @workgroup_size(WG)
fn gradient(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * params.row_stride;
  if (i >= params.B * params.T) { return; }
  let b = i / params.T;
  let tok = token(i, b);
  var g = 0.0;
  if (tok.seg != 0u) { g = coef[2u * b + tok.seg - 1u] * tok.dloss; }
  dlogp[i] = g;
}
