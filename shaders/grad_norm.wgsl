// Global L2 norm of all gradients (torch.nn.utils.clip_grad_norm_, norm_type 2) over one flat
// gradient buffer, and the clipping factor AdamW multiplies every gradient by. Two passes, both in a
// fixed summation order, so the result is bit-identical from run to run:
//   partial:  workgroup g (of G) sums grads[i]^2 over i = g*WG + lid + k*G*WG (k = 0, 1, ...), per
//             thread in increasing k, then a tree over the workgroup; it also flags any non-finite
//             element by its bit pattern (WGSL may assume finite maths, so no x != x tests).
//   finalize: one workgroup sums the G partials (thread lid takes g = lid, lid + WG, ...; then a tree)
//             and writes clip = [norm, scale, finite, 0]:
//               norm   = sqrt(sum of squares), or NaN when any element was NaN/Inf
//               finite = 1 if no element was NaN/Inf and the norm is finite, else 0
//               scale  = min(1, max_norm / (norm + 1e-6)) if finite (1 when max_norm <= 0: no clipping),
//                        0 if not finite (AdamW also skips the whole step then).
// WG must be a power of two (tree reductions).

override WG: u32 = 256;

struct Params {
  n: u32,          // number of gradient elements
  partials: u32,   // G: number of workgroups of the partial pass (<= the partials buffer length / 2)
  max_norm: f32,   // clip threshold; <= 0 disables clipping (scale 1) but keeps the finite check
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;            // (n) flat gradients of all parameters
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;   // (G, 2): [sum of squares, non-finite count] per workgroup
@group(0) @binding(3) var<storage, read_write> clip: array<f32>;       // (4): [norm, scale, finite (1/0), 0]

var<workgroup> part: array<vec2f, WG>; // (sum of squares, non-finite count) per thread

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// Tree reduction of part[] into slot 0, in a fixed order.
fn reduce(lid: u32) {
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u) {
  let lid = lid3.x;
  let stride = params.partials * WG;
  var acc = 0.0;
  var nonfinite = 0.0;
  for (var i = wid.x * WG + lid; i < params.n; i = i + stride) {
    let g = grads[i];
    if (is_finite(g)) { acc = acc + g * g; } else { nonfinite = nonfinite + 1.0; }
  }
  part[lid] = vec2f(acc, nonfinite);
  reduce(lid);
  if (lid == 0u) {
    partials[2u * wid.x] = part[0].x;
    partials[2u * wid.x + 1u] = part[0].y;
  }
}

@compute @workgroup_size(WG)
fn finalize(@builtin(local_invocation_id) lid3: vec3u) {
  let lid = lid3.x;
  var acc = 0.0;
  var nonfinite = 0.0;
  for (var g = lid; g < params.partials; g = g + WG) {
    acc = acc + partials[2u * g];
    nonfinite = nonfinite + partials[2u * g + 1u];
  }
  part[lid] = vec2f(acc, nonfinite);
  reduce(lid);
  if (lid == 0u) {
    let total = part[0];
    var norm = sqrt(total.x);
    if (total.y > 0.0) {
      // A quiet NaN built at run time (a constant NaN is a WGSL compile error).
      norm = bitcast<f32>(0x7f800000u | (min(u32(total.y), 1u) << 22u));
    }
    let finite = total.y == 0.0 && is_finite(norm);
    var scale = 0.0;
    if (finite) {
      scale = 1.0;
      if (params.max_norm > 0.0) { scale = min(1.0, params.max_norm / (norm + 1e-6)); }
    }
    clip[0] = norm;
    clip[1] = scale;
    clip[2] = select(0.0, 1.0, finite);
    clip[3] = 0.0;
  }
}
