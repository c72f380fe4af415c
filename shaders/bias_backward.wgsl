// Bias backward: dbias(C) = Σ_r dy(r, C), or dbias += that sum when ACCUMULATE (a bias shared by
// several uses). Deterministic: every column is summed by the same threads in the same order on
// every run (no atomics).
// A workgroup owns WG_COLS adjacent columns (adjacent threads read adjacent floats of a row). Within
// it, row lane j (0..WG_ROWS-1) sums rows j, j + WG_ROWS, j + 2·WG_ROWS, ... serially, and the
// WG_ROWS partial sums are then combined by a fixed pairwise tree in workgroup memory.

override WG_COLS: u32 = 32;   // columns per workgroup
override WG_ROWS: u32 = 8;    // row lanes per column; a power of two (the tree halves it)
override ACCUMULATE: bool = false;

struct Params {
  rows: u32,  // R
  cols: u32,  // C
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;           // (R,C) row-major
@group(0) @binding(2) var<storage, read_write> dbias: array<f32>;  // (C)

var<workgroup> partial: array<f32, WG_COLS * WG_ROWS>;  // (WG_ROWS, WG_COLS): one sum per row lane

@compute @workgroup_size(WG_COLS, WG_ROWS, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let col = wid.x * WG_COLS + lid.x;
  var sum = 0.0;
  if (col < params.cols) {
    for (var r = lid.y; r < params.rows; r += WG_ROWS) {
      sum += dy[r * params.cols + col];
    }
  }
  partial[lid.y * WG_COLS + lid.x] = sum;
  workgroupBarrier();

  for (var half = WG_ROWS / 2u; half > 0u; half /= 2u) {
    if (lid.y < half) {
      partial[lid.y * WG_COLS + lid.x] += partial[(lid.y + half) * WG_COLS + lid.x];
    }
    workgroupBarrier();
  }

  if (lid.y == 0u && col < params.cols) {
    if (ACCUMULATE) { dbias[col] = dbias[col] + partial[lid.x]; } else { dbias[col] = partial[lid.x]; }
  }
}
