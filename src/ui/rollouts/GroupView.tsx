// The group view: the G rollouts of one prompt at one step, perception and reasoning side by side,
// sortable by reward or advantage, with a virtualised list of the step's groups (or of the filter's
// hits). Keyboard: j/k rollout, [ ] group, h/l step, / search, ? help, Esc; off while typing.

import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRollouts } from '../common/hooks';
import { groupKey, rolloutsStore } from '../../store/rollouts';
import { exportFileName, exportRun, groupMarkdown } from '../../rollouts/export';
import { SORT_KEYS, sortRollouts, summarizeGroup, type SortKey } from '../../rollouts/group';
import { QUADRANTS, type Quadrant, type Rollout } from '../../rollouts/record';
import { FILTER_FIELDS } from '../../rollouts/filter';
import { StepStrip } from './StepStrip';
import { getRunRollouts, runQuadrantRule } from '../../rollouts/rollout_db';
import { RolloutCard } from './RolloutCard';
import { navigate, type InspectorRoute } from './route';
import { KeyHelp } from './KeyHelp';
import { fmt, HighlightedText } from './Text';
import { rescoreGroupWithRewards } from '../../rollouts/rescore_group';

export const SHORTCUTS: [string, string][] = [
  ['j / k', 'next / previous rollout in the group'],
  ['] / [', 'next / previous group (of the step, or of the filter hits)'],
  ['l / h', 'next / previous step, same group'],
  ['/', 'search (highlights in the text)'],
  ['e', 'edit the filter expression'],
  ['s', 'cycle the sort key'],
  ['g', 'ground truth and prompt'],
  ['r', 'raw record'],
  ['t', 'per-token lane'],
  ['d', 'diff with the same sample at the previous step (or the marked rollout)'],
  ['a', 'the same group across steps (per-step rewards; click a step to open it)'],
  ['m', 'mark this rollout for diff'],
  ['?', 'this help'],
  ['Esc', 'close, leave the search box, clear marks'],
];

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const isTyping = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

export function GroupView({ route }: { route: InspectorRoute & { runId: string; step: number } }) {
  const run = useRollouts((s) => s.run);
  const filter = useRollouts((s) => s.filter);
  const [sort, setSort] = useState<SortKey>('sample');
  const [panels, setPanels] = useState({ gt: true, raw: false, tokens: true, diff: false, help: false });
  const [marked, setMarked] = useState<Rollout | null>(null);
  const [exprDraft, setExprDraft] = useState(filter.expr);
  const [notice, setNotice] = useState('');
  const searchRef = useRef<HTMLInputElement>(null);
  const filterRef = useRef<HTMLInputElement>(null);

  const { runId, step } = route;
  const index = run?.index;
  const stepIdx = index ? index.steps.findIndex((s) => s.step === step) : -1;
  const stepGroups = stepIdx >= 0 ? index!.steps[stepIdx].groups : [];

  // The list the sidebar shows and [ ] walks: the step's groups, or the distinct groups of the hits.
  const hitGroups = useMemo(() => {
    if (!filter.hits) return null;
    // Hits come sorted by step, group, sample: a group's hits are consecutive.
    const out: { step: number; groupId: string; n: number }[] = [];
    for (const h of filter.hits) {
      const last = out[out.length - 1];
      if (last && last.step === h.step && last.groupId === h.groupId) last.n++;
      else out.push({ step: h.step, groupId: h.groupId, n: 1 });
    }
    return out;
  }, [filter.hits]);
  const stepList = useMemo(() => stepGroups.map((g) => ({ step, groupId: g.groupId, n: g.size })), [stepGroups, step]);
  const list = hitGroups ?? stepList;
  // The prompt's first words of each group, from the index (imported groups have opaque ids).
  const previews = useMemo(() => {
    const m = new Map<string, string>();
    for (const s of index?.steps ?? []) for (const g of s.groups) if (g.preview && !m.has(g.groupId)) m.set(g.groupId, g.preview);
    return m;
  }, [index]);

  const groupId = route.groupId ?? stepGroups[0]?.groupId ?? null;
  useEffect(() => {
    if (!route.groupId && groupId) navigate({ runId, step, groupId, sample: 0 }, true);
  }, [route.groupId, groupId, runId, step]);

  const key = groupId ? groupKey(step, groupId) : null;
  // Only this group's entry: other groups arriving in the cache (prefetches) do not re-render the view.
  const rollouts = useRollouts((s) => (key ? s.groups[key] : undefined));
  useEffect(() => {
    if (groupId) void rolloutsStore.getState().loadGroup(step, groupId);
  }, [step, groupId]);

  const sorted = useMemo(() => (rollouts ? sortRollouts(rollouts, sort) : []), [rollouts, sort]);
  const hitSamples = useMemo(() => (filter.hits ? new Set(filter.hits.filter((h) => h.step === step && h.groupId === groupId).map((h) => h.sampleIdx)) : null), [filter.hits, step, groupId]);
  const sample = route.sample ?? sorted[0]?.sampleIdx ?? 0;
  const pos = Math.max(0, sorted.findIndex((r) => r.sampleIdx === sample));
  const selected = sorted[pos] ?? null;
  const listPos = list.findIndex((g) => g.step === step && g.groupId === groupId);

  // Previous step of the same group, for the diff.
  const prevStep = stepIdx > 0 ? index!.steps[stepIdx - 1].step : null;
  const prevKey = panels.diff && prevStep !== null && groupId ? groupKey(prevStep, groupId) : null;
  const prevGroup = useRollouts((s) => (prevKey ? s.groups[prevKey] : undefined));
  useEffect(() => {
    if (panels.diff && prevStep !== null && groupId) void rolloutsStore.getState().loadGroup(prevStep, groupId);
  }, [panels.diff, prevStep, groupId]);

  // Prefetch what the next key press reaches.
  useEffect(() => {
    const load = rolloutsStore.getState().loadGroup;
    const next = list[listPos + 1];
    const prev = list[listPos - 1];
    if (next) void load(next.step, next.groupId);
    if (prev) void load(prev.step, prev.groupId);
    if (index && groupId) for (const d of [-1, 1]) {
      const s = index.steps[stepIdx + d];
      if (s?.groups.some((g) => g.groupId === groupId)) void load(s.step, groupId);
    }
  }, [listPos, list, index, stepIdx, groupId]);

  const viewState = { expr: route.expr, quads: route.quads, view: route.view };
  const go = (to: Partial<InspectorRoute>) => navigate({ runId, step, groupId, sample, ...viewState, ...to });
  // Stable across renders so memoised cards that did not change skip re-rendering on j/k.
  // (Keyed by strings: parseRoute builds a new quadrant array on every hash change.)
  const routeQuads = (route.quads ?? []).join(',');
  const routeExpr = route.expr ?? '';
  const rView = route.view;
  const selectSample = useCallback(
    (s: number) => navigate({ runId, step, groupId, sample: s, expr: routeExpr, quads: routeQuads ? (routeQuads.split(',') as Quadrant[]) : [], view: rView }, true),
    [runId, step, groupId, routeExpr, routeQuads, rView],
  );
  const pickGroup = useCallback(
    (g: { step: number; groupId: string }) =>
      navigate({ runId, step: g.step, groupId: g.groupId, sample: 0, expr: routeExpr, quads: routeQuads ? (routeQuads.split(',') as Quadrant[]) : [], view: rView }),
    [runId, routeExpr, routeQuads, rView],
  );

  // The URL is the source of truth for the expression and quadrant filters: a link reopens the filtered view.
  useEffect(() => {
    const st = rolloutsStore.getState();
    const f = st.filter;
    if (f.expr === routeExpr && f.quadrants.join(',') === routeQuads && (f.hits || f.running || (!routeExpr.trim() && !routeQuads))) return;
    if (!routeExpr.trim() && !routeQuads && !f.search) {
      if (f.hits || f.expr || f.quadrants.length) st.clearFilter();
      setExprDraft('');
      return;
    }
    setExprDraft(routeExpr);
    st.setFilter({ expr: routeExpr, quadrants: (routeQuads ? routeQuads.split(',') : []) as Quadrant[] });
    void st.runFilter();
  }, [routeExpr, routeQuads, run]);
  // Read through a ref so the memoised toolbars below need not re-render when only the sample changes.
  const here = useRef({ runId, step, groupId, sample, view: route.view });
  here.current = { runId, step, groupId, sample, view: route.view };
  const setFilterInUrl = (expr: string, quads: Quadrant[]) => navigate({ ...here.current, expr, quads });
  const goGroup = (d: number) => {
    const g = list[Math.min(list.length - 1, Math.max(0, listPos + d))];
    if (g) go({ step: g.step, groupId: g.groupId, sample: hitGroups ? filter.hits!.find((h) => h.step === g.step && h.groupId === g.groupId)?.sampleIdx ?? 0 : 0 });
  };
  const goStep = (d: number) => {
    if (!index) return;
    const s = index.steps[stepIdx + d];
    if (!s) return;
    const same = s.groups.find((g) => g.groupId === groupId);
    setNotice(same ? '' : `group ${groupId} has no rollouts at step ${s.step}: showing its first group`);
    go({ step: s.step, groupId: same ? groupId : s.groups[0]?.groupId ?? null, sample: same ? sample : 0 });
  };

  const keyHandler = useRef<(e: KeyboardEvent) => void>(() => {});
  keyHandler.current = (e: KeyboardEvent) => {
    if (e.metaKey || e.ctrlKey || e.altKey) return;
    if (e.key === 'Escape') {
      if (isTyping(e.target)) (e.target as HTMLElement).blur();
      setPanels((p) => ({ ...p, help: false }));
      setMarked(null);
      return;
    }
    if (isTyping(e.target)) return;
    const toggle = (k: keyof typeof panels) => setPanels((p) => ({ ...p, [k]: !p[k] }));
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        if (sorted[pos + 1]) selectSample(sorted[pos + 1].sampleIdx);
        break;
      case 'k':
      case 'ArrowUp':
        if (pos > 0) selectSample(sorted[pos - 1].sampleIdx);
        break;
      case ']':
        goGroup(1);
        break;
      case '[':
        goGroup(-1);
        break;
      case 'l':
      case 'ArrowRight':
        goStep(1);
        break;
      case 'h':
      case 'ArrowLeft':
        goStep(-1);
        break;
      case '/':
        searchRef.current?.focus();
        break;
      case 'e':
        filterRef.current?.focus();
        break;
      case '?':
        toggle('help');
        break;
      case 'g':
        toggle('gt');
        break;
      case 'r':
        toggle('raw');
        break;
      case 't':
        toggle('tokens');
        break;
      case 'd':
        toggle('diff');
        break;
      case 'a':
        go({ view: route.view === 'steps' ? null : 'steps' });
        break;
      case 'm':
        setMarked((m) => (m?.id === selected?.id ? null : selected));
        break;
      case 's':
        setSort((s) => SORT_KEYS[(SORT_KEYS.findIndex((k) => k.id === s) + 1) % SORT_KEYS.length].id);
        break;
      default:
        return;
    }
    e.preventDefault();
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => keyHandler.current(e);
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  // Keep the selected rollout in view: in the next frame, before its layout, so the key press's task
  // does not force a layout of its own (the frame lays the page out once).
  useEffect(() => {
    const id = requestAnimationFrame(() => document.querySelector('article.rollout.selected')?.scrollIntoView({ block: 'nearest' }));
    return () => cancelAnimationFrame(id);
  }, [sample, key]);

  const columns = run?.meta.columns;
  const storedRule = run?.meta.quadrantRule;
  const rule = useMemo(() => runQuadrantRule({ quadrantRule: storedRule }), [storedRule]);
  const fieldNames = useMemo(() => filterFieldNames(columns ?? []), [columns]);
  const summary = useMemo(() => (rollouts?.length ? summarizeGroup(rollouts, rule) : null), [rollouts, rule]);
  const applyExpr = () => {
    rolloutsStore.getState().setFilter({ expr: exprDraft });
    if (rolloutsStore.getState().filter.error) return;
    if (exprDraft === routeExpr) void rolloutsStore.getState().runFilter();
    else setFilterInUrl(exprDraft, [...filter.quadrants] as Quadrant[]);
  };
  const exportAll = async (kind: 'jsonl' | 'csv') => {
    const file = await exportRun(runId, kind, filter.hits, getRunRollouts, undefined, rule);
    if ('error' in file) return setNotice(file.error);
    download(file.name, file.text, file.type);
    setNotice(`exported ${file.count} rollouts as ${file.name}`);
  };
  // The toolbar's handlers read the group through a ref: the memoised toolbar below is not rebuilt
  // (its inputs re-set) on every ] press.
  const shown = useRef({ rollouts, sort });
  shown.current = { rollouts, sort };
  const copyMarkdown = async () => {
    const { rollouts, sort } = shown.current;
    const { step, groupId } = here.current;
    if (!rollouts) return;
    const md = groupMarkdown(sortRollouts(rollouts, sort), rule);
    try {
      await navigator.clipboard.writeText(md);
      setNotice('group copied as Markdown');
    } catch {
      download(exportFileName(`${runId}-step${step}-${groupId}`, 'md'), md, 'text/markdown');
    }
  };
  const rescore = async () => {
    const { rollouts } = shown.current;
    const { step, groupId } = here.current;
    if (!rollouts) return;
    setNotice('re-scoring with PA-GRPO…');
    try {
      const n = await rescoreGroupWithRewards(rollouts);
      await rolloutsStore.getState().saveGroup(step, groupId!, n);
      setNotice('re-scored with PA-GRPO (rule judge, whitespace token counts): advantages recomputed and saved');
    } catch (e) {
      setNotice(`re-scoring failed: ${(e as Error).message}`);
    }
  };

  // Built only when what they show changes: j/k re-renders the crumbs and two cards, not these
  // (React's development build pays for every element created).
  const filterBar = useMemo(
    () => (
      <div className="toolbar">
        <input
          ref={filterRef}
          className={`expr${filter.error ? ' invalid' : ''}`}
          placeholder='filter, e.g. perception.accuracy == 0 and reasoning.accuracy == 1'
          value={exprDraft}
          data-testid="filter"
          list="filter-fields"
          autoComplete="off"
          onChange={(e) => {
            setExprDraft(e.target.value);
            rolloutsStore.getState().setFilter({ expr: e.target.value });
          }}
          onKeyDown={(e) => e.key === 'Enter' && applyExpr()}
        />
        <FieldList names={fieldNames} draft={exprDraft} />
        {QUADRANTS.map((q) => (
          <label key={q.id} title={q.hint} className={`quad quad-${q.id}`}>
            <input
              type="checkbox"
              checked={filter.quadrants.includes(q.id)}
              onChange={(e) => {
                const qs = e.target.checked ? [...filter.quadrants, q.id] : filter.quadrants.filter((x) => x !== q.id);
                setFilterInUrl(filter.error ? routeExpr : exprDraft, qs as Quadrant[]);
              }}
            />{' '}
            {q.label}
          </label>
        ))}
        <button onClick={applyExpr} disabled={!!filter.error} data-testid="apply-filter">
          filter
        </button>
        {filter.hits ? (
          <button
            className="secondary"
            onClick={() => {
              setExprDraft('');
              rolloutsStore.getState().clearFilter();
              setFilterInUrl('', []);
            }}
          >
            clear
          </button>
        ) : null}
        <span className="note" data-testid="filter-status">
          {filter.error ? <span className="error">{filter.error}</span> : filter.running ? 'filtering…' : filter.hits ? `${filter.hits.length} rollouts match (${fmt(filter.ms, 0)} ms${filter.workerMs != null ? `; worker ${fmt(filter.workerMs, 0)} ms` : ''})` : ''}
        </span>
        <span className="spacer" />
        <button className="secondary" onClick={() => void exportAll('jsonl')}>
          export JSONL
        </button>
        <button className="secondary" onClick={() => void exportAll('csv')}>
          export CSV
        </button>
        <button className="secondary" onClick={() => void copyMarkdown()}>
          copy group as Markdown
        </button>
        <button className="secondary" onClick={() => void rescore()} data-testid="rescore">
          re-score with PA-GRPO
        </button>
      </div>
    ),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [filter, exprDraft, fieldNames, routeExpr, runId],
  );
  const sortSelect = useMemo(
    () => (
        <label>
          sort{' '}
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)} data-testid="sort">
            {SORT_KEYS.map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
    ),
    [sort],
  );
  const groupPanels = useMemo(
    () =>
      rollouts && summary ? (
        <>
              {panels.gt ? (
                <div className="prompt-panel" data-testid="prompt-panel">
                  <div>
                    <b>ground truth</b> <HighlightedText text={rollouts[0].groundTruth ?? '–'} query={filter.search} />
                    {typeof rollouts[0].extra.path === 'string' ? <span className="note"> · media {rollouts[0].extra.path as string}</span> : null}
                  </div>
                  <details>
                    <summary>prompt</summary>
                    <HighlightedText className="text" text={rollouts[0].prompt} query={filter.search} />
                  </details>
                </div>
              ) : null}
              <div className="group-stats" data-testid="group-stats">
                G = {summary.size} · mean R<sub>P</sub> {fmt(summary.meanPerception)} · mean R<sub>R</sub> {fmt(summary.meanReasoning)}
                {summary.collapsedPerception ? <span className="badge warn">perception collapsed (std 0)</span> : null}
                {summary.collapsedReasoning ? <span className="badge warn">reasoning collapsed (std 0)</span> : null}
              </div>
        </>
      ) : null,
    [rollouts, summary, panels.gt, filter.search],
  );

  if (!run) return <p className="note">loading run…</p>;
  if (stepIdx < 0) return <p className="error">step {step} is not in run {runId}</p>;

  return (
    <div className="group-view" data-testid="group-view">
      <div className="toolbar">
        <span className="crumbs">
          <a href="#/rollouts">runs</a> › <a href={`#/rollouts/${encodeURIComponent(runId)}`}>{run.meta.name}</a> ›{' '}
          <button className="link" onClick={() => goStep(-1)} disabled={stepIdx === 0} aria-label="previous step">
            ‹
          </button>{' '}
          <span data-testid="step">step {step}</span>{' '}
          <button className="link" onClick={() => goStep(1)} disabled={stepIdx === index!.steps.length - 1} aria-label="next step">
            ›
          </button>{' '}
          › <span data-testid="group-id">group {groupId}</span> ({listPos + 1}/{list.length}) › <span data-testid="sample">sample {sample}</span>
        </span>
        {sortSelect}
        <input
          ref={searchRef}
          className="search"
          placeholder="/ search"
          value={filter.search}
          data-testid="search"
          onChange={(e) => rolloutsStore.getState().setFilter({ search: e.target.value })}
          onKeyDown={(e) => e.key === 'Enter' && void rolloutsStore.getState().runFilter()}
        />
        <button className="secondary" onClick={() => setPanels((p) => ({ ...p, help: !p.help }))}>
          ? keys
        </button>
      </div>
      {filterBar}
      {notice ? <p className="note notice">{notice}</p> : null}
      <div className="group-body">
        <GroupList list={list} current={listPos} onPick={pickGroup} filtered={!!hitGroups} previews={previews} />
        <div className="group-main">
          {panels.help ? <KeyHelp keys={SHORTCUTS} /> : null}
          {route.view === 'steps' && index && groupId ? (
            <StepStrip runId={runId} index={index} groupId={groupId} rule={rule} current={step} onPick={(s) => go({ step: s, groupId, sample: 0 })} onClose={() => go({ view: null })} />
          ) : null}
          {filter.hits && filter.hits.length === 0 ? (
            <p className="note" data-testid="no-match">
              Nothing matches {[filter.search ? `the search “${filter.search}”` : '', filter.expr.trim() ? `the filter “${filter.expr}”` : '', filter.quadrants.length ? 'the quadrants ticked' : ''].filter(Boolean).join(' and ')}. Clear it to see the
              groups again.
            </p>
          ) : rollouts && summary ? (
            <>
              {groupPanels}
              <div className="rollouts">
                {sorted.map((r) => (
                  <RolloutCard
                    key={r.id}
                    rollout={r}
                    rule={rule}
                    selected={r.sampleIdx === selected?.sampleIdx}
                    query={filter.search}
                    showTokens={panels.tokens}
                    showRaw={panels.raw && r.sampleIdx === selected?.sampleIdx}
                    diffWith={
                      panels.diff && r.sampleIdx === selected?.sampleIdx
                        ? marked && marked.id !== r.id
                          ? marked
                          : prevGroup?.find((p) => p.sampleIdx === r.sampleIdx) ?? null
                        : null
                    }
                    marked={marked?.id === r.id}
                    dim={!!hitSamples && !hitSamples.has(r.sampleIdx)}
                    onSelect={selectSample}
                  />
                ))}
              </div>
            </>
          ) : (
            <p className="note">loading group…</p>
          )}
        </div>
      </div>
    </div>
  );
}

const GroupList = memo(function GroupList({
  list,
  current,
  onPick,
  filtered,
  previews,
}: {
  list: { step: number; groupId: string; n: number }[];
  current: number;
  onPick: (g: { step: number; groupId: string }) => void;
  filtered: boolean;
  previews: ReadonlyMap<string, string>;
}) {
  const parent = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: list.length, getScrollElement: () => parent.current, estimateSize: () => 28, overscan: 12 });
  // In the next frame, like the selected card's scrollIntoView: scrollToIndex reads the list's scroll
  // height, which would force a layout inside the key press's task (~4 ms of a ] press).
  useEffect(() => {
    if (current < 0) return;
    const id = requestAnimationFrame(() => v.scrollToIndex(current, { align: 'auto' }));
    return () => cancelAnimationFrame(id);
  }, [current, v]);
  return (
    <div className="group-list" ref={parent} data-testid="group-list">
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {v.getVirtualItems().map((item) => {
          const g = list[item.index];
          return (
            <div
              key={item.key}
              className={`group-item${item.index === current ? ' current' : ''}`}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }}
              onClick={() => onPick(g)}
            >
              {filtered ? `s${g.step} · ` : ''}
              {previews.get(g.groupId) ? (
                <span className="group-preview" data-testid="group-preview" title={`group ${g.groupId}`}>
                  {previews.get(g.groupId)}
                </span>
              ) : (
                g.groupId
              )}{' '}
              <span className="note">({g.n})</span>
            </div>
          );
        })}
      </div>
    </div>
  );
});

const TEXT_COLUMNS = new Set(['input', 'output', 'gts', 'step', 'uid', 'request_id', 'prompt', 'completion', 'solution', 'ground_truth']);

/** The filter box's field names: the fixed fields and the run's other columns (as rewards.<key>). */
export function filterFieldNames(columns: readonly string[]): string[] {
  const out = new Set(FILTER_FIELDS.filter((f) => !f.includes('<')));
  for (const c of columns) if (!TEXT_COLUMNS.has(c) && /^[A-Za-z_][\w.]*$/.test(c) && !out.has(c)) out.add(`rewards.${c}`);
  return [...out];
}

/**
 * Autocomplete of field names in the filter box: a datalist whose options complete the word being
 * typed (each option is the whole expression with that word completed, as a datalist offers values).
 */
const FieldList = memo(function FieldList({ names, draft }: { names: readonly string[]; draft: string }) {
  const m = /[A-Za-z_][\w.]*$/.exec(draft);
  const head = m ? draft.slice(0, m.index) : draft;
  const word = m?.[0] ?? '';
  const options = names.filter((n) => n.startsWith(word) && n !== word).slice(0, 40);
  return (
    <datalist id="filter-fields" data-testid="filter-fields">
      {options.map((n) => (
        <option key={n} value={head + n} label={n} />
      ))}
    </datalist>
  );
});
