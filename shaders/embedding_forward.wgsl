// Token + position embedding forward (GPT-2's wte + wpe), one thread per output element:
//   x[b·T + t, c] = wte[tokens[b·T + t], c] + wpe[t, c]
// A token id >= V contributes a zero token embedding (and gets no gradient in the backward pass);
// read as u32, this includes an i32 buffer's negative ids (−1 padding has the bits of 0xffffffff).

override WG: u32 = 256;

struct Params {
  rows: u32, // B·T positions
  T: u32,    // sequence length (<= maxT, the rows of wpe)
  C: u32,    // channels
  V: u32,    // vocabulary size (rows of wte)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;     // (B, T) token ids, row-major
@group(0) @binding(2) var<storage, read> wte: array<f32>;        // (V, C) token embeddings
@group(0) @binding(3) var<storage, read> wpe: array<f32>;        // (maxT, C) position embeddings
@group(0) @binding(4) var<storage, read_write> x: array<f32>;    // (B·T, C) row-major

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG; // grids wider than 65535 workgroups continue in y
  let C = params.C;
  if (i >= params.rows * C) { return; }
  let row = i / C;
  let c = i % C;
  let t = row % params.T;
  let tok = tokens[row];
  var v = wpe[t * C + c];
  if (tok < params.V) { v = v + wte[tok * C + c]; }
  x[i] = v;
}
