// Splits a JSON list or a JSON Lines text, arriving in chunks, into one text per record with the
// line it starts on, so a 150 MB file is never parsed as one value and a bad record is reported by
// line and skipped without losing the others.

export interface RawText {
  text: string;
  /** 1-based line where the record starts. */
  line: number;
}

/**
 * Feed chunks with push(); each call returns the records completed so far. The format is decided by
 * the first non-blank character: '[' is a JSON list, anything else JSON Lines (one record per line).
 */
export class JsonRecordSplitter {
  private mode: 'unknown' | 'list' | 'lines' | 'done' = 'unknown';
  private line = 1;
  // List mode: nesting depth relative to the top-level list, string state, the current element.
  private depth = 0;
  private inString = false;
  private escaped = false;
  private current = '';
  private currentLine = 0;
  // Lines mode: the unfinished last line.
  private partial = '';
  private partialLine = 1;
  /** Text after the closing ']' of a list that is not blank (reported once by end()). */
  trailing = false;

  get format(): 'list' | 'lines' | 'unknown' {
    return this.mode === 'done' ? 'list' : this.mode;
  }

  push(chunk: string): RawText[] {
    const out: RawText[] = [];
    let i = 0;
    if (this.mode === 'unknown') {
      while (i < chunk.length && /\s/.test(chunk[i])) {
        if (chunk[i] === '\n') this.line++;
        i++;
      }
      if (i === chunk.length) return out;
      if (chunk[i] === '[') {
        this.mode = 'list';
        i++;
      } else {
        this.mode = 'lines';
        this.partialLine = this.line;
      }
    }
    if (this.mode === 'lines') return this.pushLines(chunk.slice(i), out);
    if (this.mode === 'done') {
      if (/\S/.test(chunk.slice(i))) this.trailing = true;
      return out;
    }
    let start = i; // start of the slice of `chunk` that belongs to the current element
    for (; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === '\n') this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        if (this.depth === 0) {
          // The closing bracket of the top-level list.
          this.emit(chunk.slice(start, i), out);
          this.mode = 'done';
          if (/\S/.test(chunk.slice(i + 1))) this.trailing = true;
          return out;
        }
        this.depth--;
      } else if (c === ',' && this.depth === 0) {
        this.emit(chunk.slice(start, i), out);
        start = i + 1;
        continue;
      }
      if (this.currentLine === 0 && !/\s/.test(c)) this.currentLine = this.line;
    }
    this.current += chunk.slice(start);
    return out;
  }

  private emit(tail: string, out: RawText[]): void {
    const text = (this.current + tail).trim();
    if (text) out.push({ text, line: this.currentLine || this.line });
    this.current = '';
    this.currentLine = 0;
  }

  private pushLines(chunk: string, out: RawText[]): RawText[] {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop()!;
    for (const p of parts) {
      if (p.trim()) out.push({ text: p.trim(), line: this.partialLine });
      this.partialLine++;
    }
    return out;
  }

  /** Call once the input is over: the last record of a JSON Lines file, or an unterminated list element. */
  end(): RawText[] {
    const out: RawText[] = [];
    if (this.mode === 'lines' && this.partial.trim()) out.push({ text: this.partial.trim(), line: this.partialLine });
    if (this.mode === 'list' && this.current.trim()) out.push({ text: this.current.trim(), line: this.currentLine || this.line });
    this.partial = '';
    this.current = '';
    return out;
  }

  /** True when a list was opened but never closed (a truncated file). */
  get unterminated(): boolean {
    return this.mode === 'list';
  }
}
