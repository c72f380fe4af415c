// A one-slot async channel between a producer that pushes (the CoT runner's in-order emit) and a
// consumer that pulls (the dataset writer's `for await`): push() resolves when the value is taken, so
// the runner never gets ahead of what storage has accepted. Once the consumer is gone (it finished,
// failed or was cancelled) push() resolves at once and the value is dropped: nothing paid for is lost
// by that, since every answer is in the journal and a resume replays it.

export class Channel<T> implements AsyncIterable<T> {
  private items: { value: T; taken: () => void }[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private ended = false;
  private closed = false;

  push(value: T): Promise<void> {
    if (this.closed || this.ended) return Promise.resolve();
    return new Promise<void>((taken) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w({ value, done: false });
        taken();
      } else this.items.push({ value, taken });
    });
  }

  /** No more values: the consumer's loop ends after the queued ones. */
  end(): void {
    this.ended = true;
    if (this.items.length === 0 && this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
  }

  /** The consumer is gone: pending and later pushes resolve without being taken. */
  close(): void {
    this.closed = true;
    for (const item of this.items) item.taken();
    this.items = [];
    this.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item) {
          item.taken();
          return Promise.resolve({ value: item.value, done: false });
        }
        if (this.ended || this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
