// modelpeek viewer: tabs of open models, the graph canvas, sidebar, find,
// subgraphs, groups, export, drag-and-drop upload and live reload.

import { $, el, clear, show, download, button } from './dom.js';
import { api, upload, settle } from './api.js';
import { Scene } from './scene.js';
import { GraphCanvas } from './canvas.js';
import { showNode, showModel, claim, plural } from './sidebar.js';
import { search } from './find.js';
import { diffViews, summary } from './diff.js';
import { toSVG, toPNG } from './export.js';

const params = new URLSearchParams(location.search);
const expandAllParam = params.get('expand') === 'all';

/** One open model's view state. */
class Tab {
  constructor(info) {
    this.id = info.id;
    this.info = info;
    this.path = []; // [{node, sub, label}]
    this.expand = expandAllParam ? 'all' : new Set();
    this.collapse = new Set(); // groups closed by the user, even if open by default
    this.camera = null;
    this.version = info.version || 0;
    this.view = null;
  }
  pathString() {
    return this.path.map((p) => `${p.node}.${p.sub}`).join('/');
  }
  expandParam() {
    if (this.expand === 'all') return 'all';
    return [...this.expand].join(',');
  }
  collapseParam() {
    return [...this.collapse].join(',');
  }
}

const app = {
  tabs: new Map(),
  order: [],
  cur: null,
  scene: null,
  detail: null,
  selectedId: null,
  find: { hits: [], pos: -1 },
  loadSeq: 0,
};

const graphEl = $('graph');
const renderer = new GraphCanvas($('canvas'), {
  click: onCanvasClick,
  dblclick: onCanvasDblClick,
  change: updateStatus,
});

// ---------------------------------------------------------------- state

function setState(state, nodes, edges) {
  if (state === 'ready') window.modelpeekReadyAt = performance.now();
  graphEl.dataset.state = state;
  // data-model names the model whose graph the state is about, so a reader
  // can tell a new model's "ready" from the previous one's.
  graphEl.dataset.model = (app.cur && app.cur.id) || '';
  if (nodes !== undefined) {
    graphEl.dataset.nodes = String(nodes);
    graphEl.dataset.edges = String(edges);
  }
}

function showError(msg) {
  show($('nograph'), false);
  const e = $('error');
  e.textContent = msg;
  show(e, true);
  setState('error');
}

function hideError() {
  show($('error'), false);
}

function banner(msg) {
  const b = $('banner');
  b.textContent = msg || '';
  show(b, !!msg);
}

let changesTimer = 0;
function changes(msg) {
  const c = $('changes');
  c.textContent = msg;
  show(c, true);
  clearTimeout(changesTimer);
  changesTimer = setTimeout(() => show(c, false), 6000);
}

function updateStatus() {
  const s = app.scene;
  const t = $('status-text');
  if (!s) {
    t.textContent = '';
    return;
  }
  const st = s.view.stats || {};
  const parts = [plural(st.modelNodes ?? 0, 'node'), plural(st.modelEdges ?? 0, 'edge')];
  if (st.totalNodes && st.totalNodes !== st.modelNodes) parts.push(`${st.totalNodes} in graph`);
  if (st.layoutMs !== undefined) parts.push(`layout ${Math.round(st.layoutMs)} ms`);
  parts.push(`zoom ${renderer.zoom >= 0.1 ? Math.round(renderer.zoom * 100) : (renderer.zoom * 100).toFixed(2)} %`);
  parts.push(`frame ${renderer.lastFrameMs.toFixed(1)} ms`);
  t.textContent = parts.join(' · ');
}

function setURL() {
  const p = new URLSearchParams(location.search);
  p.delete('token');
  if (app.cur) p.set('model', app.cur.id);
  else p.delete('model');
  history.replaceState(null, '', `${location.pathname}?${p.toString()}`);
}

// ---------------------------------------------------------------- tabs

function renderTabs() {
  const nav = $('tabs');
  clear(nav);
  for (const id of app.order) {
    const tab = app.tabs.get(id);
    const t = el('div', 'tab' + (tab === app.cur ? ' active' : '') + (tab.info.error ? ' failed' : '') + (tab.info.loading ? ' loading' : ''), el('span', 'tab-name', tab.info.name || id));
    t.dataset.id = id;
    t.title = tab.info.path || tab.info.name || id;
    t.addEventListener('click', () => switchTo(id));
    const x = button('×', 'Close this model', (e) => {
      e.stopPropagation();
      closeTab(id);
    }, 'tab-close');
    t.append(x);
    nav.append(t);
  }
  // Keep the shown model's tab in sight when there are more than fit.
  const active = nav.querySelector('.tab.active');
  if (active && nav.scrollWidth > nav.clientWidth) {
    const l = active.offsetLeft - nav.offsetLeft;
    if (l < nav.scrollLeft || l + active.offsetWidth > nav.scrollLeft + nav.clientWidth) nav.scrollLeft = Math.max(0, l - 24);
  }
}

function syncModels(list) {
  const ids = new Set(list.map((m) => m.id));
  const events = [];
  for (const m of list) {
    const t = app.tabs.get(m.id);
    if (t) {
      // A list with a newer version or a new error is a reload, even when
      // the matching "model" event has not arrived (or never will).
      const prevErr = t.info.error || '';
      if (!m.loading && ((m.version || 0) > t.version || (m.error && m.error !== prevErr))) {
        events.push({ id: m.id, version: m.version || 0, error: m.error || '' });
      }
      t.info = Object.assign({}, t.info, m);
    } else {
      app.tabs.set(m.id, new Tab(m));
      app.order.push(m.id);
    }
  }
  for (const id of [...app.order]) {
    if (!ids.has(id)) {
      app.tabs.delete(id);
      app.order = app.order.filter((x) => x !== id);
    }
  }
  if (app.cur && !app.tabs.has(app.cur.id)) {
    app.cur = null;
    if (app.order.length) switchTo(app.order[0]);
    else showEmpty();
  }
  renderTabs();
  for (const ev of events) onModelEvent(ev);
}

async function closeTab(id) {
  try {
    await api.close(id);
  } catch (e) {
    showError(`Could not close the model: ${e.message}`);
    return;
  }
  app.tabs.delete(id);
  app.order = app.order.filter((x) => x !== id);
  if (app.cur && app.cur.id === id) {
    app.cur = null;
    if (app.order.length) switchTo(app.order[0]);
    else showEmpty();
  }
  renderTabs();
}

function showEmpty() {
  app.cur = null;
  app.scene = null;
  renderer.setScene(null);
  hideError();
  show($('nograph'), false);
  show($('empty'), true);
  clear($('breadcrumb'));
  claim($('sidebar-content'));
  clear($('sidebar-content'));
  $('sidebar-content').append(el('h2', '', 'No model open'), el('p', 'muted', 'Drop model files anywhere on this page, use Open…, or look at the sample model.'));
  setState('ready', 0, 0);
  setURL();
  updateStatus();
}

async function switchTo(id) {
  const tab = app.tabs.get(id);
  if (!tab) return;
  if (app.cur && app.cur !== tab) {
    app.cur.camera = renderer.camera();
    app.cur.view = null; // only the shown tab keeps its view (memory)
  }
  app.cur = tab;
  app.selectedId = null;
  app.selectedName = '';
  show($('empty'), false);
  banner(tab.info.error && tab.view ? tab.info.error : '');
  renderTabs();
  setURL();
  await loadGraph(tab, { camera: tab.camera });
  if (app.cur === tab) loadInfo(tab);
}

async function loadInfo(tab) {
  try {
    const info = await api.model(tab.id);
    tab.info = Object.assign({}, tab.info, info);
    if (app.cur === tab && !app.detail) showModel($('sidebar-content'), tab.info, modelCtx(tab));
  } catch (e) {
    if (app.cur === tab && !app.detail) {
      claim($('sidebar-content'));
      clear($('sidebar-content'));
      $('sidebar-content').append(el('h2', '', tab.info.name || 'Model'), el('p', 'error-text', e.message));
    }
  }
}

function modelCtx(tab) {
  return {
    watch: (on) => api.watch(tab.id, on).catch((e) => banner(`Could not change watching: ${e.message}`)),
  };
}

// ---------------------------------------------------------------- graph

/**
 * loadGraph fetches and draws the current graph of tab. opts.camera keeps a
 * viewport; opts.reload marks a live reload (keep the old graph on error).
 */
async function loadGraph(tab, opts) {
  opts = opts || {};
  const seq = ++app.loadSeq;
  if (!opts.reload) {
    hideError();
    show($('nograph'), false);
    setState('loading');
  }
  let view;
  try {
    performance.mark('graph-fetch');
    const pre = await takePrefetched(tab);
    view = pre ? await settle(Promise.resolve(pre)) : await api.graph(tab.id, tab.pathString(), tab.expandParam(), tab.collapseParam());
    performance.mark('graph-parsed');
  } catch (e) {
    if (seq !== app.loadSeq) return;
    if (opts.reload && tab.path.length) {
      // The open subgraph is gone: go back to the main graph.
      tab.path = [];
      return loadGraph(tab, opts);
    }
    if (opts.reload && app.scene) {
      banner(`The new version could not be shown: ${e.message}. Showing the last good version.`);
      return;
    }
    app.scene = null;
    renderer.setScene(null);
    showError(friendly(e.message, tab));
    renderBreadcrumb(tab);
    updateStatus();
    return;
  }
  if (seq !== app.loadSeq || app.cur !== tab) return;
  const old = tab.view;
  tab.view = view;
  const scene = new Scene(view);
  performance.mark('scene-built');
  app.scene = scene;
  renderer.setScene(scene, !!opts.camera);
  if (opts.camera) renderer.setCamera(opts.camera);
  if (opts.anchor) opts.anchor(scene);
  renderer.draw();
  performance.mark('drawn');
  const st = view.stats || {};
  hideError();
  show($('nograph'), !(view.nodes && view.nodes.length));
  setState('ready', st.modelNodes ?? 0, st.modelEdges ?? 0);
  renderBreadcrumb(tab);
  // Keep the selection when the node still exists.
  if (app.selectedId) {
    let i = scene.byId.get(app.selectedId);
    if (i === undefined && app.selectedName) {
      // IDs are stable within a version; across versions match by name.
      const k = scene.nodes.findIndex((n) => n.name === app.selectedName);
      if (k >= 0) {
        i = k;
        app.selectedId = scene.nodes[k].id;
      }
    }
    if (i !== undefined) {
      renderer.select = i;
      if (opts.reload) openDetail(i);
    } else {
      clearSelection();
    }
  }
  if (opts.reload && old) {
    const d = diffViews(old, view);
    const marks = [...d.added, ...d.changed].map((id) => scene.byId.get(id)).filter((i) => i !== undefined);
    renderer.highlight(marks, 4000);
    changes(summary(d));
  }
  if (!$('find').hidden) runFind(false);
  updateStatus();
}

// takePrefetched returns the first graph response prefetch.js started, when
// it is the one wanted now (used once).
async function takePrefetched(tab) {
  const pf = window.modelpeekPrefetch;
  if (!pf || !pf.graph) return null;
  const p = pf.graph;
  pf.graph = null;
  const got = await p;
  if (!got || got.id !== tab.id || tab.path.length) return null;
  if (pf.expand !== (tab.expand === 'all')) return null;
  if ((tab.expand !== 'all' && tab.expand.size) || tab.collapse.size) return null;
  return got;
}

function friendly(msg, tab) {
  const name = (tab && tab.info && tab.info.name) || 'this model';
  if (!msg) return `Could not show ${name}.`;
  // Decoder errors often start with the file name already.
  if (msg.startsWith(name + ': ')) msg = msg.slice(name.length + 2);
  return `Could not show ${name}: ${msg}`;
}

function renderBreadcrumb(tab) {
  const nav = $('breadcrumb');
  clear(nav);
  if (!tab) return;
  const crumbs = [{ label: 'main graph' }, ...tab.path];
  crumbs.forEach((c, k) => {
    if (k > 0) nav.append(el('span', 'sep', '›'));
    if (k === crumbs.length - 1) nav.append(el('span', 'here', c.label));
    else nav.append(button(c.label, 'Go back to this graph', () => goUp(crumbs.length - 1 - k)));
  });
}

function enterSubgraph(nodeIndex, sub, label) {
  const tab = app.cur;
  if (!tab) return;
  tab.path.push({ node: nodeIndex, sub, label });
  clearSelection();
  loadGraph(tab, {});
}

function goUp(levels) {
  const tab = app.cur;
  if (!tab || !tab.path.length) return;
  tab.path.splice(tab.path.length - levels, levels);
  clearSelection();
  loadGraph(tab, {});
}

// ---------------------------------------------------------------- selection

function clearSelection() {
  app.selectedId = null;
  app.selectedName = '';
  app.detail = null;
  renderer.select = -1;
  renderer.request();
  if (app.cur) showModel($('sidebar-content'), app.cur.info, modelCtx(app.cur));
}

function openDetail(i) {
  const tab = app.cur;
  const n = app.scene.nodes[i];
  app.detail = n.id;
  showNode($('sidebar-content'), {
    modelId: tab.id,
    path: tab.pathString(),
    node: n,
    enter: enterSubgraph,
    summary: tab.path.length ? null : tab.info.summary,
  });
}

function selectNode(i) {
  if (!app.scene) return;
  const n = app.scene.nodes[i];
  app.selectedId = n.id;
  app.selectedName = n.name || '';
  renderer.select = i;
  renderer.request();
  openDetail(i);
}

function onCanvasClick(i, group) {
  if (i >= 0) {
    const n = app.scene.nodes[i];
    if (n.kind === 'group') {
      expandGroup(n);
      return;
    }
    selectNode(i);
    return;
  }
  if (group) {
    collapseGroup(group);
    return;
  }
  clearSelection();
}

function onCanvasDblClick(i) {
  const n = app.scene && app.scene.nodes[i];
  if (!n) return;
  // A node with several subgraphs (WHILE's condition and body, If's two
  // branches) opens its first; the sidebar lists all of them by name.
  if (n.subgraphs > 0 && n.index >= 0) enterSubgraph(n.index, 0, n.subgraphs > 1 ? `${n.label} · subgraph 1 of ${n.subgraphs}` : n.label);
}

// Keep the clicked group where it is on screen across the re-layout.
function anchorOn(id, sx, sy) {
  return (scene) => {
    let x, y;
    const g = scene.groups.find((g) => g.id === id);
    const i = scene.byId.get(id);
    if (g && !g.collapsed) {
      x = g.x;
      y = g.y;
    } else if (i !== undefined) {
      x = scene.nodes[i].x;
      y = scene.nodes[i].y;
    } else return;
    renderer.camX = x - sx / renderer.zoom;
    renderer.camY = y - sy / renderer.zoom;
  };
}

function expandGroup(n) {
  const tab = app.cur;
  const gid = groupIdOf(n);
  tab.collapse.delete(gid);
  if (tab.expand !== 'all') tab.expand.add(gid);
  const sx = (n.x - renderer.camX) * renderer.zoom, sy = (n.y - renderer.camY) * renderer.zoom;
  loadGraph(tab, { camera: renderer.camera(), anchor: anchorOn(gid, sx, sy) });
}

function groupIdOf(n) {
  const s = app.scene;
  if (s.groups.some((g) => g.id === n.id)) return n.id;
  const g = s.groups.find((g) => g.collapsed && g.label === n.label && Math.abs(g.x - n.x) < 1 && Math.abs(g.y - n.y) < 1);
  return g ? g.id : n.id;
}

function collapseGroup(g) {
  const tab = app.cur;
  const all = app.scene.groups;
  const inside = new Set([g.id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const x of all) if (x.parent && inside.has(x.parent) && !inside.has(x.id)) inside.add(x.id), (grew = true);
  }
  tab.collapse.add(g.id);
  if (tab.expand !== 'all') for (const id of inside) tab.expand.delete(id);
  const sx = (g.x - renderer.camX) * renderer.zoom, sy = (g.y - renderer.camY) * renderer.zoom;
  loadGraph(tab, { camera: renderer.camera(), anchor: anchorOn(g.id, sx, sy) });
}

// ---------------------------------------------------------------- find

function openFind() {
  show($('find'), true);
  $('find-input').focus();
  $('find-input').select();
}

function closeFind() {
  show($('find'), false);
  renderer.hits = null;
  renderer.current = -1;
  renderer.request();
}

function runFind(jump) {
  const q = $('find-input').value;
  const list = $('find-results');
  clear(list);
  if (!app.scene || !q.trim()) {
    app.find = { hits: [], pos: -1 };
    $('find-count').textContent = '';
    renderer.hits = null;
    renderer.current = -1;
    renderer.request();
    return;
  }
  const hits = search(app.scene, q, 5000);
  app.find = { hits, pos: -1 };
  renderer.hits = hits.map((h) => h.node);
  $('find-count').textContent = hits.length ? `${hits.length}${hits.length >= 5000 ? '+' : ''} found` : 'not found';
  const st = app.scene.view.stats || {};
  if (app.cur && app.cur.expand !== 'all' && st.totalNodes > st.modelNodes + (st.inlinedNodes || 0)) {
    // Nodes inside collapsed groups are not in the view: offer to open them.
    list.append(
      button('Search inside collapsed groups too', 'Expand every group and search again', () => {
        app.cur.expand = 'all';
        loadGraph(app.cur, {}).then(() => runFind(true));
      }, 'find-result find-expand'),
    );
  }
  hits.slice(0, 200).forEach((h, k) => {
    const b = button('', `Show ${h.text}`, () => gotoHit(k), 'find-result');
    b.append(el('span', '', h.text), el('span', 'what', h.what));
    list.append(b);
  });
  renderer.request();
  if (jump && hits.length) gotoHit(0);
}

function gotoHit(k) {
  const h = app.find.hits;
  if (!h.length) return;
  k = ((k % h.length) + h.length) % h.length;
  app.find.pos = k;
  const i = h[k].node;
  renderer.current = i;
  renderer.centerOn(i, 0.9);
  selectNode(i);
  $('find-count').textContent = `${k + 1} of ${h.length}`;
  const items = $('find-results').querySelectorAll('.find-result:not(.find-expand)');
  for (let j = 0; j < items.length; j++) items[j].classList.toggle('current', j === k);
}

let findTimer = 0;
$('find-input').addEventListener('input', () => {
  clearTimeout(findTimer);
  findTimer = setTimeout(() => runFind(false), 120);
});
$('find-input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    clearTimeout(findTimer);
    if (app.find.pos < 0 && !app.find.hits.length) runFind(false);
    gotoHit(app.find.pos + (e.shiftKey ? -1 : 1));
  } else if (e.key === 'Escape') {
    e.preventDefault();
    closeFind();
  }
});
$('find-next').addEventListener('click', () => gotoHit(app.find.pos + 1));
$('find-prev').addEventListener('click', () => gotoHit(app.find.pos - 1));
$('find-close').addEventListener('click', closeFind);

// ---------------------------------------------------------------- export

function baseName() {
  const n = (app.cur && app.cur.info.name) || 'graph';
  return n.replace(/[\\/:*?"<>|]+/g, '_');
}

$('btn-svg').addEventListener('click', () => {
  if (!app.scene) return;
  const svg = toSVG(app.scene, renderer.theme, renderer.edgeLabels);
  download(new Blob([svg], { type: 'image/svg+xml' }), `${baseName()}.svg`);
});
$('btn-png').addEventListener('click', async () => {
  if (!app.scene) return;
  try {
    const blob = await toPNG(app.scene, renderer.theme, renderer.edgeLabels);
    download(blob, `${baseName()}.png`);
  } catch (e) {
    banner(e.message);
  }
});

// ---------------------------------------------------------------- upload

async function uploadFiles(files) {
  files = [...files];
  if (!files.length) return;
  const box = $('progress');
  const bar = $('progress-bar');
  const text = $('progress-text');
  show(box, true);
  const opened = [];
  let failed = null;
  for (const f of files) {
    text.textContent = `Uploading ${f.name}`;
    bar.value = 0;
    try {
      const r = await upload(f, (p) => (bar.value = p));
      opened.push(...((r && r.ids) || []));
    } catch (e) {
      failed = e.message;
    }
  }
  show(box, false);
  try {
    syncModels(await api.models());
  } catch (e) {
    failed = failed || e.message;
  }
  if (opened.length) {
    await switchTo(opened[0]);
    if (failed) banner(failed);
  } else if (failed) {
    show($('empty'), false);
    showError(failed);
  }
}

let dragDepth = 0;
window.addEventListener('dragenter', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth++;
  show($('drop'), true);
});
window.addEventListener('dragover', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) show($('drop'), false);
});
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  show($('drop'), false);
  if (e.dataTransfer && e.dataTransfer.files.length) uploadFiles(e.dataTransfer.files);
});

function hasFiles(e) {
  return e.dataTransfer && [...(e.dataTransfer.types || [])].includes('Files');
}

$('btn-open').addEventListener('click', () => $('file-input').click());
$('file-input').addEventListener('change', () => {
  uploadFiles($('file-input').files);
  $('file-input').value = '';
});
$('btn-sample').addEventListener('click', async () => {
  try {
    const res = await fetch('sample.onnx');
    if (!res.ok) throw new Error('the sample is missing');
    const blob = await res.blob();
    await uploadFiles([new File([blob], 'sample.onnx')]);
  } catch (e) {
    showError(`Could not open the sample model: ${e.message}`);
  }
});

// ---------------------------------------------------------------- toolbar and keys

$('btn-fit').addEventListener('click', () => renderer.fit());
$('btn-zoom-in').addEventListener('click', () => renderer.zoomAt(1.25));
$('btn-zoom-out').addEventListener('click', () => renderer.zoomAt(0.8));
$('btn-find').addEventListener('click', openFind);
$('btn-model').addEventListener('click', clearSelection);
$('btn-labels').addEventListener('click', () => {
  renderer.edgeLabels = !renderer.edgeLabels;
  $('btn-labels').setAttribute('aria-pressed', String(renderer.edgeLabels));
  renderer.request();
});
$('watch-all').addEventListener('change', () => {
  api.watchAll($('watch-all').checked).catch((e) => banner(`Could not change watching: ${e.message}`));
});

window.addEventListener('keydown', (e) => {
  const mod = e.ctrlKey || e.metaKey;
  if (mod && (e.key === 'f' || e.key === 'F')) {
    e.preventDefault();
    openFind();
    return;
  }
  const tag = (document.activeElement && document.activeElement.tagName) || '';
  if (tag === 'INPUT' || tag === 'TEXTAREA') return;
  if (mod) return;
  const step = 80;
  switch (e.key) {
    case 'f':
    case 'F':
      renderer.fit();
      break;
    case '+':
    case '=':
      renderer.zoomAt(1.25);
      break;
    case '-':
    case '_':
      renderer.zoomAt(0.8);
      break;
    case 'ArrowLeft':
      renderer.pan(step, 0);
      break;
    case 'ArrowRight':
      renderer.pan(-step, 0);
      break;
    case 'ArrowUp':
      renderer.pan(0, step);
      break;
    case 'ArrowDown':
      renderer.pan(0, -step);
      break;
    case 'Escape':
      if (!$('find').hidden) closeFind();
      else clearSelection();
      break;
    case 'Backspace':
      goUp(1);
      break;
    default:
      return;
  }
  e.preventDefault();
});

// ---------------------------------------------------------------- live reload

function onModelEvent(ev) {
  const tab = app.tabs.get(ev.id);
  if (!tab) return;
  if (ev.error) {
    tab.info = Object.assign({}, tab.info, { error: ev.error });
    renderTabs();
    if (app.cur === tab) {
      if (app.scene) banner(`${tab.info.name || 'The model'} changed but could not be read: ${ev.error}. Showing the last good version.`);
      else showError(friendly(ev.error, tab));
    }
    return;
  }
  if (ev.version !== undefined && ev.version <= tab.version && !tab.info.error) return;
  tab.version = ev.version || tab.version + 1;
  tab.info = Object.assign({}, tab.info, { error: '', version: tab.version });
  renderTabs();
  if (app.cur !== tab) {
    tab.view = null;
    return;
  }
  banner('');
  loadInfo(tab);
  loadGraph(tab, { camera: app.scene ? renderer.camera() : null, reload: true });
}

function connectEvents() {
  if (!window.EventSource) return;
  const es = new EventSource('/api/events', { withCredentials: true });
  es.addEventListener('models', (m) => {
    try {
      syncModels(JSON.parse(m.data));
      if (!app.cur && app.order.length) switchTo(app.order[0]);
    } catch (e) {
      console.warn('bad models event', e);
    }
  });
  es.addEventListener('model', (m) => {
    try {
      onModelEvent(JSON.parse(m.data));
    } catch (e) {
      console.warn('bad model event', e);
    }
  });
}

// ---------------------------------------------------------------- start

async function start() {
  performance.mark('start');
  let list;
  try {
    const pf = window.modelpeekPrefetch;
    list = pf && pf.list ? await settle(pf.list) : await api.models();
    performance.mark('list');
  } catch (e) {
    showError(e.message);
    return;
  }
  syncModels(list || []);
  performance.mark('synced');
  connectEvents();
  const want = params.get('model');
  if (want && app.tabs.has(want)) await switchTo(want);
  else if (want) {
    showError(`The model "${want}" is not open. It may have been closed; open it again from the tray or drop the file here.`);
  } else if (app.order.length) await switchTo(app.order[0]);
  else showEmpty();
}

// Test and debugging hook: read-only access to the renderer state.
window.modelpeek = {
  get zoom() {
    return renderer.zoom;
  },
  camera: () => renderer.camera(),
  state: () => ({ model: app.cur && app.cur.id, path: app.cur ? app.cur.pathString() : '', selected: app.selectedId, frameMs: renderer.lastFrameMs }),
  nodeScreenPos: (id) => {
    const i = app.scene && app.scene.byId.get(id);
    if (i === undefined || i === null) return null;
    const n = app.scene.nodes[i];
    return { x: (n.x + n.w / 2 - renderer.camX) * renderer.zoom, y: (n.y + n.h / 2 - renderer.camY) * renderer.zoom };
  },
  setCamera: (c) => renderer.setCamera(c),
  worldToScreen: (x, y) => ({ x: (x - renderer.camX) * renderer.zoom, y: (y - renderer.camY) * renderer.zoom }),
  centerOn: (id, zoom) => {
    const i = app.scene && app.scene.byId.get(id);
    if (i === undefined || i === null) return false;
    renderer.centerOn(i, zoom);
    renderer.zoom = zoom || renderer.zoom;
    renderer.centerOn(i);
    renderer.draw();
    return true;
  },
  draw: () => {
    renderer.draw();
    return renderer.lastFrameMs;
  },
  view: () => app.scene && app.scene.view,
};

start();
