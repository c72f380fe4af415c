// Token + position embedding backward, as deterministic scatter-adds without atomics:
//   wte_grad, one thread per (v, c):  dwte[v, c] (+)= Σ_{p : tokens[p] = v} dx[p, c]   p = 0, 1, ... in order
//   wpe_grad, one thread per (t, c):  dwpe[t, c] (+)= Σ_b dx[b·T + t, c]               b = 0, 1, ... in order
//                                     (rows t >= T of dwpe get 0: written as 0, or left as they are)
// Cost of wte_grad: every one of the V·C threads scans all B·T token ids, so O(V·C·B·T) loop
// steps for O(B·T·C) useful adds: fine for byte-level vocabularies of a few hundred (V = 256,
// B·T = 2048, C = 128: 67M steps, the token reads are the same address across a workgroup).
// wte_grad_bucketed is that cheaper form: the positions come bucketed by token (a stable counting
// sort on the CPU where the batch is built: src/gpu/kernels/embedding.ts, bucketTokens), and thread
// (v, c) walks only its token's positions, still in position order, so the sum is bit-identical to
// wte_grad's in O(B·T·C) loop steps. At the tiny preset (V ≈ 300, B·T = 704, C = 64) wte_grad was
// 13% of a training step on SwiftShader.
// Token ids >= V (including i32 −1 read as u32) receive no gradient.

override WG: u32 = 256;

struct Params {
  rows: u32,       // B·T positions
  T: u32,          // sequence length
  C: u32,          // channels
  V: u32,          // vocabulary size
  max_t: u32,      // rows of wpe / dwpe
  accumulate: u32, // 1: add to dwte / dwpe (tied LM head, gradient accumulation); 0: overwrite
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;       // (B, T) token ids, row-major
@group(0) @binding(2) var<storage, read> dx: array<f32>;           // (B·T, C) dLoss/dx, row-major
@group(0) @binding(3) var<storage, read_write> dwte: array<f32>;   // (V, C)
@group(0) @binding(4) var<storage, read_write> dwpe: array<f32>;   // (maxT, C)
// [starts | positions]: starts (V + 1), positions of token v at positions[starts[v] .. starts[v + 1]),
// ascending; positions (B·T, or fewer: ids >= V are left out).
@group(0) @binding(5) var<storage, read> buckets: array<u32>;

@compute @workgroup_size(WG)
fn wte_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;
  let C = params.C;
  if (j >= params.V * C) { return; }
  let v = j / C;
  let c = j % C;
  var acc = 0.0;
  for (var p = 0u; p < params.rows; p = p + 1u) {
    if (tokens[p] == v) { acc = acc + dx[p * C + c]; }
  }
  if (params.accumulate != 0u) { acc = dwte[j] + acc; }
  dwte[j] = acc;
}

@compute @workgroup_size(WG)
fn wte_grad_bucketed(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;
  let C = params.C;
  if (j >= params.V * C) { return; }
  let v = j / C;
  let c = j % C;
  let positions = params.V + 1u;
  var acc = 0.0;
  for (var i = buckets[v]; i < buckets[v + 1u]; i = i + 1u) {
    acc = acc + dx[buckets[positions + i] * C + c];
  }
  if (params.accumulate != 0u) { acc = dwte[j] + acc; }
  dwte[j] = acc;
}

@compute @workgroup_size(WG)
fn wpe_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;
  let C = params.C;
  if (j >= params.max_t * C) { return; }
  let t = j / C;
  let c = j % C;
  var acc = 0.0;
  if (t < params.T) {
    for (var row = t; row < params.rows; row = row + params.T) { acc = acc + dx[row * C + c]; }
  }
  if (params.accumulate != 0u) { acc = dwpe[j] + acc; }
  dwpe[j] = acc;
}
