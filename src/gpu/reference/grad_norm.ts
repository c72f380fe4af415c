// CPU reference (float64) for shaders/grad_norm.wgsl: torch.nn.utils.clip_grad_norm_ (L2) as the
// clip record AdamW consumes.

export interface ClipRecord {
  /** L2 norm of all gradients; NaN when any element is NaN or infinite. */
  norm: number;
  /** min(1, maxNorm / (norm + 1e-6)) (1 when maxNorm <= 0); 0 when not finite. */
  scale: number;
  /** 1 when every gradient and the norm are finite, else 0. */
  finite: number;
}

export function gradNorm(grads: ArrayLike<number>, maxNorm: number): ClipRecord {
  let sum = 0;
  let bad = false;
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (Number.isFinite(g)) sum += g * g;
    else bad = true;
  }
  const norm = bad ? NaN : Math.sqrt(sum);
  if (!Number.isFinite(norm)) return { norm, scale: 0, finite: 0 };
  const scale = maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  return { norm, scale, finite: 1 };
}
