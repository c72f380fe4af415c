// AdamW (decoupled weight decay), as torch.optim.AdamW's single-tensor step, over a range of one
// flat parameter buffer. Per element j = offset + i, with g = grads[j] * clip.scale:
//   p  = p * (1 - lr * weight_decay)                  (only when range.decay == 1)
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g^2
//   p  = p - step_size * m / (sqrt(v) / bc2_sqrt + eps)
// with step_size = lr / (1 - beta1^t) and bc2_sqrt = sqrt(1 - beta2^t), computed on the CPU in float64
// (AdamW.setStep). When clip.finite == 0 (a NaN/Inf gradient somewhere) nothing is written: params,
// m and v keep their values, so the trainer skips that step without a read-back.

override WG: u32 = 256;

// Shared by every range of one optimiser; rewritten each step with queue.writeBuffer.
struct Hyper {
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  step_size: f32,  // lr / (1 - beta1^t)
  bc2_sqrt: f32,   // sqrt(1 - beta2^t)
}

// One per dispatch: which slice of the flat buffers it updates.
struct Range {
  offset: u32,     // first element
  n: u32,          // number of elements
  decay: u32,      // 1: apply weight decay (matrices), 0: none (biases, layernorm gains, ...)
  row_stride: u32, // threads per grid row (= workgroups in x * WG), for grids wider than 65535 groups
}

@group(0) @binding(0) var<uniform> hyper: Hyper;
@group(0) @binding(1) var<uniform> range: Range;
@group(0) @binding(2) var<storage, read> clip: array<f32>;            // (4): [norm, scale, finite, 0] from grad_norm.wgsl
@group(0) @binding(3) var<storage, read> grads: array<f32>;           // (>= offset + n) flat gradients
@group(0) @binding(4) var<storage, read_write> params: array<f32>;    // (>= offset + n) flat parameters
@group(0) @binding(5) var<storage, read_write> m: array<f32>;         // (>= offset + n) first moments
@group(0) @binding(6) var<storage, read_write> v: array<f32>;         // (>= offset + n) second moments

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * range.row_stride;
  if (i >= range.n || clip[2] < 0.5) { return; }
  let j = range.offset + i;
  let g = grads[j] * clip[1];
  var p = params[j];
  if (range.decay == 1u) { p = p * (1.0 - hyper.lr * hyper.weight_decay); }
  let m1 = hyper.beta1 * m[j] + (1.0 - hyper.beta1) * g;
  let v1 = hyper.beta2 * v[j] + (1.0 - hyper.beta2) * g * g;
  p = p - hyper.step_size * m1 / (sqrt(v1) / hyper.bc2_sqrt + hyper.eps);
  m[j] = m1;
  v[j] = v1;
  params[j] = p;
}
