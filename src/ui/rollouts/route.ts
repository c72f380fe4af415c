// Hash routes of the inspector: #/rollouts, #/rollouts/<run>, #/rollouts/<run>/step/<s>,
// #/rollouts/<run>/step/<s>/group/<g>/sample/<i>. Every segment is URI-encoded. A query after the
// path carries the view's state, so a link reopens the filtered view:
//   ?f=<filter expression>&q=<quadrant,quadrant>&view=steps
// (f, q: the expression and quadrant filters; view=steps: the group across steps), and on the runs
// list #/rollouts?compare=<run>,<run>… the comparison of those runs.

import { QUADRANTS, type Quadrant } from '../../rollouts/record';

export interface InspectorRoute {
  runId: string | null;
  step: number | null;
  groupId: string | null;
  sample: number | null;
  /** Filter expression ('' or absent: none). */
  expr?: string;
  /** Quadrant filters. */
  quads?: Quadrant[];
  /** 'steps': the same group across steps. */
  view?: 'steps' | null;
  /** Runs compared on one set of charts (only without a runId). */
  compare?: string[];
}

const QUADRANT_IDS = new Set<string>(QUADRANTS.map((q) => q.id));

export function parseRoute(hash: string): InspectorRoute | null {
  const raw = hash.replace(/^#\/?/, '');
  const qAt = raw.indexOf('?');
  const path = qAt < 0 ? raw : raw.slice(0, qAt);
  const parts = path.split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] !== 'rollouts') return null;
  const route: InspectorRoute = { runId: parts[1] || null, step: null, groupId: null, sample: null };
  for (let i = 2; i + 1 < parts.length; i += 2) {
    const [k, v] = [parts[i], parts[i + 1]];
    if (k === 'step' && Number.isFinite(Number(v))) route.step = Number(v);
    else if (k === 'group') route.groupId = v;
    else if (k === 'sample' && Number.isFinite(Number(v))) route.sample = Number(v);
  }
  if (qAt >= 0) {
    const q = new URLSearchParams(raw.slice(qAt + 1));
    const f = q.get('f');
    if (f) route.expr = f;
    const quads = (q.get('q') ?? '').split(',').filter((x) => QUADRANT_IDS.has(x)) as Quadrant[];
    if (quads.length) route.quads = quads;
    if (q.get('view') === 'steps') route.view = 'steps';
    // Each id is URI-encoded inside the list, so an id may contain a comma.
    const compare = (q.get('compare') ?? '').split(',').filter(Boolean).map((id) => {
      try {
        return decodeURIComponent(id);
      } catch {
        return id;
      }
    });
    if (compare.length) route.compare = compare;
  }
  return route;
}

/** The query part (with its '?'), '' when the route carries no view state. */
export function routeQuery(r: Partial<InspectorRoute>): string {
  const q = new URLSearchParams();
  if (r.expr?.trim()) q.set('f', r.expr);
  if (r.quads?.length) q.set('q', r.quads.join(','));
  if (r.view === 'steps') q.set('view', 'steps');
  if (r.compare?.length) q.set('compare', r.compare.map(encodeURIComponent).join(','));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function routeHash(r: Partial<InspectorRoute>): string {
  let h = '#/rollouts';
  if (!r.runId) return r.compare?.length ? h + routeQuery({ compare: r.compare }) : h;
  h += `/${encodeURIComponent(r.runId)}`;
  if (r.step === null || r.step === undefined) return h + routeQuery(r);
  h += `/step/${r.step}`;
  if (!r.groupId) return h + routeQuery(r);
  h += `/group/${encodeURIComponent(r.groupId)}`;
  if (r.sample === null || r.sample === undefined) return h + routeQuery(r);
  return `${h}/sample/${r.sample}${routeQuery(r)}`;
}

// ---- the address bar, written coalesced ------------------------------------------------------------
// A key press moves the view at once: the route is kept here and the views read `currentHash()`. The
// history write (replaceState / pushState) follows after the frame, at most one per HISTORY_WRITE_MS:
// Chromium ignores history updates beyond 200 in 10 s (a held j key repeats ~30 times a second, so
// the selection would stop moving after a few seconds), and each write is a synchronous call to the
// browser process that a key press should not wait for. A burst of pushes inside one interval becomes
// one history entry.

/** Minimum time between two history writes (≤ 100 writes in 10 s, half of Chromium's limit). */
export const HISTORY_WRITE_MS = 100;

interface HistoryLike {
  pushState(data: unknown, unused: string, url: string): void;
  replaceState(data: unknown, unused: string, url: string): void;
}

/** Coalesces hash writes: `set` takes effect for readers at once, `flush` writes the address bar. */
export class HashWriter {
  private pending: { hash: string; push: boolean } | null = null;
  /** The address bar when the pending write began: a browser event that finds it changed is the user's. */
  private base = '';
  private lastWrite = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;
  constructor(
    private readonly read: () => string,
    private readonly history: HistoryLike,
    private readonly now: () => number = () => performance.now(),
    private readonly minInterval = HISTORY_WRITE_MS,
  ) {}

  /** The hash the views show: the pending one, else the address bar's. */
  current(): string {
    return this.pending?.hash ?? this.read();
  }

  /** Records a new hash; returns false when it is already current. */
  set(hash: string, push: boolean): boolean {
    if (this.current() === hash) return false;
    if (!this.pending) this.base = this.read();
    this.pending = { hash, push: push || (this.pending?.push ?? false) };
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.lastWrite + this.minInterval - this.now()));
    return true;
  }

  /** Writes the pending hash to history now. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const p = this.pending;
    this.pending = null;
    if (!p || this.read() === p.hash) return;
    this.lastWrite = this.now();
    if (p.push) this.history.pushState(null, '', p.hash);
    else this.history.replaceState(null, '', p.hash);
  }

  /**
   * A browser hashchange or popstate: when the address bar changed since the pending write began, the
   * user navigated (back button, a typed URL, a link) and wins. (A link's hashchange arrives a task
   * after its popstate: by then the view may have set a write that follows from that link.)
   */
  browserNavigated(): void {
    if (this.pending && this.read() !== this.base) this.drop();
  }

  drop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}

let writer: HashWriter | null = null;
function hashWriter(): HashWriter {
  if (!writer) {
    writer = new HashWriter(() => location.hash, history);
    const w = writer;
    // Only the browser's own events (isTrusted): navigate() dispatches an untrusted one itself.
    const onNative = (e: Event) => e.isTrusted && w.browserNavigated();
    addEventListener('hashchange', onNative, true);
    addEventListener('popstate', onNative, true);
    addEventListener('pagehide', () => w.flush());
  }
  return writer;
}

/** The inspector's current hash: what navigate() last set, even before the address bar shows it. */
export function currentHash(): string {
  return writer ? writer.current() : location.hash;
}

export function navigate(r: Partial<InspectorRoute>, replace = false): void {
  if (!hashWriter().set(routeHash(r), !replace)) return;
  // History writes do not fire hashchange: tell the views ourselves.
  dispatchEvent(new HashChangeEvent('hashchange'));
}
