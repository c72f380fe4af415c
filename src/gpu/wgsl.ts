// WGSL sources are plain text imported with Vite's `?raw` (in the app, the worker and Vitest alike).
// A kernel may prepend shared files (shaders/common.wgsl); composeWgsl keeps a line map so a compile
// error is reported against the file the author edits, not the concatenation.

export interface WgslSource {
  /** Path relative to the repository, for error messages: 'shaders/matmul.wgsl'. */
  file: string;
  code: string;
}

export interface ComposedWgsl {
  code: string;
  /** Maps a 1-based line of `code` to the file and 1-based line it came from. */
  locate(line: number): { file: string; line: number };
}

export function composeWgsl(parts: WgslSource[]): ComposedWgsl {
  const starts: { file: string; first: number; count: number }[] = [];
  let line = 1;
  const chunks: string[] = [];
  for (const part of parts) {
    const text = part.code.endsWith('\n') ? part.code : part.code + '\n';
    const count = text.split('\n').length - 1;
    starts.push({ file: part.file, first: line, count });
    chunks.push(text);
    line += count;
  }
  return {
    code: chunks.join(''),
    locate(l: number) {
      for (const s of starts) if (l >= s.first && l < s.first + s.count) return { file: s.file, line: l - s.first + 1 };
      const last = starts[starts.length - 1];
      return { file: last?.file ?? '<wgsl>', line: l };
    },
  };
}
