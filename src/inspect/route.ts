// Hash routes of the inspector: #/rollouts, #/rollouts/<run>, #/rollouts/<run>/step/<s>,
// #/rollouts/<run>/step/<s>/group/<g>/sample/<i>. Every segment is URI-encoded.

export interface InspectorRoute {
  runId: string | null;
  step: number | null;
  groupId: string | null;
  sample: number | null;
}

export function parseRoute(hash: string): InspectorRoute | null {
  const parts = hash.replace(/^#\/?/, '').split('?')[0].split('/').map((p) => {
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
  return route;
}

export function routeHash(r: Partial<InspectorRoute>): string {
  let h = '#/rollouts';
  if (!r.runId) return h;
  h += `/${encodeURIComponent(r.runId)}`;
  if (r.step === null || r.step === undefined) return h;
  h += `/step/${r.step}`;
  if (!r.groupId) return h;
  h += `/group/${encodeURIComponent(r.groupId)}`;
  if (r.sample === null || r.sample === undefined) return h;
  return `${h}/sample/${r.sample}`;
}

export function navigate(r: Partial<InspectorRoute>, replace = false): void {
  const h = routeHash(r);
  if (location.hash === h) return;
  if (replace) history.replaceState(null, '', h);
  else history.pushState(null, '', h);
  // pushState does not fire hashchange: tell the views ourselves.
  dispatchEvent(new HashChangeEvent('hashchange'));
}
