// The compare view: two models (or a model and its previous version) side
// by side, nodes matched by the server's comparison engine (GET
// .../diff?view=1), changes coloured, pan and zoom synchronised through
// matched nodes, selection linked, a change list to step through; or one
// graph with the other's removed nodes drawn over it (overlay).
//
// The comparison lives in app.compare while the view is open:
// {a, b (model ids; b may be 'previous'), nameA, nameB, diff, sceneA,
// sceneB, links, items, byA, byB, ghosts, mode}.

import { $, show } from './dom.js';
import { api } from './api.js';
import { Scene } from './scene.js';
import { decodeWire, isWire } from './wire.js';
import { ComparePane, links } from './comparepane.js';
import { ChangeList, buildItems } from './changelist.js';
import { showSummary, showPair } from './comparedetail.js';
import { placeGhosts } from './compareoverlay.js';
import { buildView, initCompareUI } from './compareui.js';
import { switchTo, renderTabs } from './panels.js';
import { updateStatus } from './render.js';
import { plural } from './sidebar.js';

/** PREVIOUS is the compare target naming a model's previous version. */
export const PREVIOUS = 'previous';

/** ui is the compare view's DOM and panes, made once (ensureUI). */
function ensureUI(app) {
  if (app.compareUI) return app.compareUI;
  const ui = buildView(actions(app));
  const on = (side) => ({
    click: (i) => selectIn(app, side, i),
    dblclick: () => {},
    change: () => {
      follow(app, side);
      compareStatus(app);
    },
    ghost: (g) => pickItem(app, g.item),
  });
  ui.paneA = new ComparePane(ui.canvasA, on('a'));
  ui.paneB = new ComparePane(ui.canvasB, on('b'));
  ui.list = new ChangeList(ui.list, ui.pos, (it) => pickItem(app, it));
  app.compareUI = ui;
  return ui;
}

/** actions are what the compare view's controls do. */
function actions(app) {
  return {
    open: (a, b) => openCompare(app, a, b),
    close: () => closeCompare(app),
    step: (d) => app.compare && app.compareUI.list.step(d),
    toggleMode: () => setMode(app, app.compare && app.compare.mode === 'overlay' ? 'side' : 'overlay'),
    fit: () => fitBoth(app),
    clear: () => clearOrClose(app),
  };
}

/** initCompare wires the compare view's controls and test hook. */
export function initCompare(app) {
  initCompareUI(app, actions(app));
  window.modelpeekCompare = testHook(app);
}

/**
 * startCompare opens the compare view the page's URL asks for
 * (?model=A&compare=B or compare=previous) and reports whether it did.
 */
export function startCompare(app) {
  const a = app.params.get('model');
  const b = app.params.get('compare');
  if (!a || !b || !app.tabs.has(a) || (b !== PREVIOUS && !app.tabs.has(b))) return false;
  openCompare(app, a, b);
  return true;
}

/**
 * openCompare shows model a (left) compared with model b (right), side by
 * side or, with mode 'overlay', overlaid.
 */
export async function openCompare(app, a, b, mode) {
  const ui = ensureUI(app);
  const seq = (app.compareSeq = (app.compareSeq || 0) + 1);
  const t0 = performance.now();
  const tabA = app.tabs.get(a);
  const nameOf = (id) => (app.tabs.get(id) && app.tabs.get(id).info.name) || id;
  const cmp = { a, b, nameA: nameOf(a), nameB: nameOf(b), mode: mode === 'overlay' ? 'overlay' : 'side' };
  if (b === PREVIOUS) {
    cmp.nameA = `${nameOf(a)} (previous version)`;
    cmp.nameB = `${nameOf(a)} (current version)`;
  }
  app.compare = cmp;
  if (app.cur && tabA && app.cur !== tabA) {
    // As switchTo does: keep the viewport, drop the hidden tab's view.
    app.cur.camera = app.renderer.camera();
    app.cur.view = null;
  }
  if (tabA) app.cur = tabA;
  renderTabs(app);
  enter(app, ui, cmp);
  try {
    const [va, vb, diff] = (await Promise.all(fetchAll(app, a, b))).map((v) => (isWire(v) ? decodeWire(v) : v));
    if (seq !== app.compareSeq) return;
    const t1 = performance.now();
    draw(app, ui, cmp, va, vb, diff);
    ui.root.dataset.state = 'ready';
    const t2 = performance.now();
    window.modelpeekCompareReadyMs = t2 - t0;
    window.modelpeekCompareTimes = { fetchMs: t1 - t0, drawMs: t2 - t1 };
  } catch (e) {
    if (seq !== app.compareSeq) return;
    console.warn('compare failed', e);
    ui.error.textContent = `Could not compare: ${e.message}`;
    show(ui.error, true);
    ui.root.dataset.state = 'error';
  }
}

/**
 * refreshCompare compares again when model id, a side of the open
 * comparison, has a new version (a watched file was saved).
 */
export function refreshCompare(app, id) {
  const cmp = app.compare;
  if (cmp && (cmp.a === id || cmp.b === id)) openCompare(app, cmp.a, cmp.b, cmp.mode);
}

/**
 * fetchAll starts the requests of both graphs (every group open, in the
 * compact form unless ?wire=0) and of the comparison.
 */
function fetchAll(app, a, b) {
  const graph = (id) => api.graph(id, '', 'all', '', app.wire);
  if (b === PREVIOUS) return [api.previousGraph(a, 'all'), graph(a), api.diff(a, PREVIOUS)];
  return [graph(a), graph(b), api.diff(a, b)];
}

/** enter shows the compare view (loading) instead of the single graph. */
function enter(app, ui, cmp) {
  show($('graph'), false);
  show(ui.root, true);
  show(ui.error, false);
  ui.root.dataset.state = 'loading';
  ui.root.dataset.mode = cmp.mode;
  ui.mode.setAttribute('aria-pressed', String(cmp.mode === 'overlay'));
  ui.title.textContent = `${cmp.nameA}  ↔  ${cmp.nameB}`;
  ui.labelA.textContent = `A · ${cmp.nameA}`;
  ui.labelB.textContent = `B · ${cmp.nameB}`;
  ui.summary.textContent = '';
  ui.paneA.setScene(null);
  ui.paneB.setScene(null);
  ui.list.set([]);
  const p = new URLSearchParams(location.search);
  p.delete('token');
  p.set('model', cmp.a);
  p.set('compare', cmp.b);
  history.replaceState(null, '', `${location.pathname}?${p.toString()}`);
}

/** draw shows the two views and the comparison. */
function draw(app, ui, cmp, va, vb, diff) {
  cmp.diff = diff;
  cmp.sceneA = new Scene(va);
  cmp.sceneB = new Scene(vb);
  cmp.links = links(diff.view, cmp.sceneA, cmp.sceneB);
  cmp.items = buildItems(diff, cmp.sceneA, cmp.sceneB);
  cmp.byA = new Map();
  cmp.byB = new Map();
  for (const it of cmp.items) {
    if (it.a >= 0) cmp.byA.set(it.a, it);
    if (it.b >= 0) cmp.byB.set(it.b, it);
  }
  cmp.ghosts = placeGhosts(cmp);
  for (const p of [ui.paneA, ui.paneB]) p.resize();
  ui.paneA.setScene(cmp.sceneA);
  ui.paneB.setScene(cmp.sceneB);
  ui.paneA.seenCam = ui.paneA.camera();
  follow(app, 'a', true);
  applyMarks(ui, cmp);
  ui.list.set(cmp.items);
  ui.summary.textContent = summaryText(diff, cmp.items);
  ui.root.dataset.changes = String(cmp.items.length);
  showSummary($('sidebar-content'), cmp);
  compareStatus(app);
}

/** compareStatus writes the status bar: both graphs' sizes and the zoom. */
function compareStatus(app) {
  const cmp = app.compare;
  const ui = app.compareUI;
  if (!cmp || !cmp.sceneA || !cmp.sceneB) return;
  const nodes = (s) => plural((s.view.stats && s.view.stats.modelNodes) ?? s.nodes.length, 'node');
  const z = ui.paneB.zoom;
  const status = `A ${nodes(cmp.sceneA)} · B ${nodes(cmp.sceneB)} · ${plural(cmp.items.length, 'change')} · zoom ${z >= 0.1 ? Math.round(z * 100) : (z * 100).toFixed(2)} %`;
  if (status === cmp.status) return;
  cmp.status = status;
  updateStatus(app);
}

/** applyMarks colours both panes for the current mode. */
function applyMarks(ui, cmp) {
  const ka = new Map(), kb = new Map();
  for (const it of cmp.items) {
    if (it.a >= 0) ka.set(it.a, it.kind);
    if (it.b >= 0) kb.set(it.b, it.kind);
  }
  ui.paneA.setMarks(ka, []);
  ui.paneB.setMarks(kb, cmp.mode === 'overlay' ? cmp.ghosts : []);
}

/** summaryText is the bar's one-line summary. */
function summaryText(diff, items) {
  if (diff.equal) return 'equal: no changes';
  const count = (k) => items.filter((it) => it.kind === k).length;
  const w = diff.weights;
  const parts = [`${count('changed')} changed`, `${count('added')} added`, `${count('removed')} removed`];
  return `${parts.join(', ')} · weights ${w.changed.length} changed, ${w.added.length} added, ${w.removed.length} removed`;
}

/** setMode switches between side by side ('side') and overlay. */
function setMode(app, mode) {
  const cmp = app.compare;
  const ui = app.compareUI;
  if (!cmp || !ui) return;
  cmp.mode = mode;
  ui.root.dataset.mode = mode;
  ui.mode.setAttribute('aria-pressed', String(mode === 'overlay'));
  for (const p of [ui.paneA, ui.paneB]) p.resize();
  if (cmp.diff) applyMarks(ui, cmp);
  ui.paneB.fit();
}

/** closeCompare leaves the compare view and shows model A again. */
export function closeCompare(app) {
  const ui = app.compareUI;
  const cmp = app.compare;
  if (!ui || !cmp) return;
  app.compare = null;
  app.compareSeq = (app.compareSeq || 0) + 1;
  show(ui.root, false);
  ui.root.dataset.state = 'closed';
  ui.paneA.setScene(null);
  ui.paneB.setScene(null);
  show($('graph'), true);
  app.renderer.resize();
  const p = new URLSearchParams(location.search);
  p.delete('compare');
  history.replaceState(null, '', `${location.pathname}?${p.toString()}`);
  if (app.tabs.has(cmp.a)) {
    app.cur = null;
    switchTo(app, cmp.a);
  }
}

/** clearOrClose clears the selection, or closes the view when none. */
function clearOrClose(app) {
  const ui = app.compareUI;
  if (ui.paneA.select >= 0 || ui.paneB.select >= 0) selectIn(app, 'a', -1);
  else closeCompare(app);
}

/** fitBoth fits both panes (B only in overlay). */
function fitBoth(app) {
  const ui = app.compareUI;
  ui.paneB.fit();
  if (app.compare && app.compare.mode === 'side') ui.paneA.fit();
}

/**
 * follow keeps the other pane aligned with pane side after its viewport
 * changed: same zoom, and the matched node nearest the centre of side's
 * view at the same screen point in the other pane. force aligns even when
 * side's camera did not move.
 */
function follow(app, side, force) {
  const cmp = app.compare;
  const ui = app.compareUI;
  if (!cmp || !cmp.links || cmp.mode !== 'side') return;
  const [from, to, map] = side === 'a' ? [ui.paneA, ui.paneB, cmp.links.ab] : [ui.paneB, ui.paneA, cmp.links.ba];
  if (!from.scene || !to.scene) return;
  const cam = from.camera();
  if (!force && sameCam(cam, from.seenCam)) return;
  from.seenCam = cam;
  const i = from.nearestTo(from.cssW / 2, from.cssH / 2, (k) => map[k] >= 0);
  let c;
  if (i >= 0) {
    const n = from.scene.nodes[i], m = to.scene.nodes[map[i]];
    c = { x: m.x - (n.x - cam.x), y: m.y - (n.y - cam.y), zoom: cam.zoom };
  } else {
    const fb = from.scene.bounds, tb = to.scene.bounds;
    c = { x: tb.x0 + (cam.x - fb.x0), y: tb.y0 + (cam.y - fb.y0), zoom: cam.zoom };
  }
  to.setCamera(c);
  to.seenCam = to.camera();
}

function sameCam(p, q) {
  return !!q && p.x === q.x && p.y === q.y && p.zoom === q.zoom;
}

/**
 * selectIn selects scene node i of pane side (-1: nothing) and its match
 * in the other pane, which is brought into view, and shows the pair.
 */
function selectIn(app, side, i) {
  const cmp = app.compare;
  const ui = app.compareUI;
  if (!cmp || !cmp.links) return;
  const a = side === 'a' ? i : i >= 0 ? cmp.links.ba[i] : -1;
  const b = side === 'b' ? i : i >= 0 ? cmp.links.ab[i] : -1;
  ui.paneA.select = a;
  ui.paneB.select = b;
  ui.paneA.request();
  ui.paneB.request();
  const other = side === 'a' ? ui.paneB : ui.paneA;
  const j = side === 'a' ? b : a;
  if (j >= 0 && cmp.mode === 'side' && !other.shows(j)) {
    other.centerOn(j);
    other.seenCam = other.camera();
  }
  if (a < 0 && b < 0) showSummary($('sidebar-content'), cmp);
  else showPair($('sidebar-content'), cmp, a, b, (a >= 0 && cmp.byA.get(a)) || (b >= 0 && cmp.byB.get(b)) || null);
}

/** pickItem makes change item it current: both panes show it, selected. */
function pickItem(app, it) {
  const cmp = app.compare;
  const ui = app.compareUI;
  if (!cmp) return;
  const k = cmp.items.indexOf(it);
  if (k >= 0 && ui.list.cur !== k) {
    ui.list.pick(k); // calls back here with the same item
    return;
  }
  ui.paneA.current = it.a;
  ui.paneB.current = it.b;
  ui.paneA.select = it.a;
  ui.paneB.select = it.b;
  ui.root.dataset.current = String(k);
  const ghost = cmp.ghosts.find((g) => g.item === it);
  if (cmp.mode === 'overlay') {
    if (it.b >= 0) ui.paneB.centerOn(it.b);
    else if (ghost) centerOnBox(ui.paneB, ghost);
  } else {
    if (it.a >= 0) ui.paneA.centerOn(it.a);
    if (it.b >= 0) ui.paneB.centerOn(it.b);
    ui.paneA.seenCam = ui.paneA.camera();
    ui.paneB.seenCam = ui.paneB.camera();
    if (it.a < 0 && it.b >= 0) follow(app, 'b', true);
    if (it.b < 0 && it.a >= 0) follow(app, 'a', true);
  }
  ui.paneA.request();
  ui.paneB.request();
  showPair($('sidebar-content'), cmp, it.a, it.b, it);
}

function centerOnBox(pane, g) {
  pane.setCamera({ x: g.x + g.w / 2 - pane.cssW / 2 / pane.zoom, y: g.y + g.h / 2 - pane.cssH / 2 / pane.zoom, zoom: pane.zoom });
}

/** testHook is the compare view's test and debugging hook. */
function testHook(app) {
  const idOf = (scene, i) => (scene && i >= 0 ? scene.nodes[i].id : null);
  const pane = (side) => app.compareUI && (side === 'a' ? app.compareUI.paneA : app.compareUI.paneB);
  return {
    state: () => {
      const cmp = app.compare;
      const ui = app.compareUI;
      if (!cmp || !ui) return { open: false };
      const cur = ui.list.current();
      const item = (it) => it && { kind: it.kind, name: it.name, a: idOf(cmp.sceneA, it.a), b: idOf(cmp.sceneB, it.b) };
      return {
        open: true,
        state: ui.root.dataset.state,
        mode: cmp.mode,
        a: cmp.a,
        b: cmp.b,
        selectedA: idOf(cmp.sceneA, ui.paneA.select),
        selectedB: idOf(cmp.sceneB, ui.paneB.select),
        current: item(cur),
        items: (cmp.items || []).map(item),
        ghosts: (cmp.ghosts || []).length,
        readyMs: window.modelpeekCompareReadyMs,
        times: window.modelpeekCompareTimes,
      };
    },
    // screenPos is the page position of view node id in pane side.
    screenPos: (side, id) => {
      const p = pane(side);
      const i = p && p.scene ? p.scene.byId.get(id) : undefined;
      if (i === undefined) return null;
      const s = p.screenOf(i);
      const r = p.canvas.getBoundingClientRect();
      return { x: r.left + s.x, y: r.top + s.y };
    },
    camera: (side) => pane(side) && pane(side).camera(),
    setCamera: (side, c) => pane(side) && (pane(side).setCamera(c), pane(side).draw(), true),
    view: (side) => {
      const p = pane(side);
      return p && p.scene ? p.scene.view : null;
    },
  };
}

