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

export function navigate(r: Partial<InspectorRoute>, replace = false): void {
  const h = routeHash(r);
  if (location.hash === h) return;
  if (replace) history.replaceState(null, '', h);
  else history.pushState(null, '', h);
  // pushState does not fire hashchange: tell the views ourselves.
  dispatchEvent(new HashChangeEvent('hashchange'));
}
