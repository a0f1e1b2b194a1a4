// Panels: the tab strip of open models, the breadcrumb of entered
// subgraphs, and the sidebar (model properties or the selected node).

import { $, el, clear, show, button } from './dom.js';
import { api } from './api.js';
import { showNode, showModel, claim } from './sidebar.js';
import { setState, hideError, banner, showError, updateStatus, setURL } from './render.js';
import { loadGraph, onModelEvent } from './loading.js';
import { costSection, costRows } from './cost.js';

/** renderTabs draws the tab strip from app.order. */
export function renderTabs(app) {
  const nav = $('tabs');
  clear(nav);
  for (const id of app.order) {
    const tab = app.tabs.get(id);
    const cls = 'tab' + (tab === app.cur ? ' active' : '') + (tab.info.error ? ' failed' : '') + (tab.info.loading ? ' loading' : '');
    const t = el('div', cls, el('span', 'tab-name', tab.info.name || id));
    t.dataset.id = id;
    t.title = tab.info.path || tab.info.name || id;
    t.addEventListener('click', () => switchTo(app, id));
    const x = button('×', 'Close this model', (e) => {
      e.stopPropagation();
      closeTab(app, id);
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

/**
 * syncModels makes the tabs match the server's model list: new models get
 * a tab, gone ones lose theirs, and a newer version or a new error in the
 * list counts as that model's reload event.
 */
export function syncModels(app, list) {
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
      app.tabs.set(m.id, app.newTab(m));
      app.order.push(m.id);
    }
  }
  for (const id of [...app.order]) {
    if (!ids.has(id)) {
      app.tabs.delete(id);
      app.order = app.order.filter((x) => x !== id);
    }
  }
  if (app.cur && !app.tabs.has(app.cur.id)) showFirst(app);
  renderTabs(app);
  for (const ev of events) onModelEvent(app, ev);
}

/** showFirst shows the first open model, or the empty page. */
function showFirst(app) {
  app.cur = null;
  if (app.order.length) switchTo(app, app.order[0]);
  else showEmpty(app);
}

/** closeTab closes model id on the server and drops its tab. */
export async function closeTab(app, id) {
  try {
    await api.close(id);
  } catch (e) {
    showError(app, `Could not close the model: ${e.message}`);
    return;
  }
  app.tabs.delete(id);
  app.order = app.order.filter((x) => x !== id);
  if (app.cur && app.cur.id === id) showFirst(app);
  renderTabs(app);
}

/** showEmpty shows the drop zone when no model is open. */
export function showEmpty(app) {
  app.cur = null;
  app.scene = null;
  app.renderer.setScene(null);
  hideError();
  show($('nograph'), false);
  show($('empty'), true);
  clear($('breadcrumb'));
  const side = $('sidebar-content');
  claim(side);
  clear(side);
  side.append(el('h2', '', 'No model open'), el('p', 'muted', 'Drop model files anywhere on this page, use Open…, or look at the sample model.'));
  setState(app, 'ready', 0, 0);
  setURL(app);
  updateStatus(app);
}

/** switchTo shows model id's tab: its graph, then its properties. */
export async function switchTo(app, id) {
  const tab = app.tabs.get(id);
  if (!tab) return;
  if (app.cur && app.cur !== tab) {
    app.cur.camera = app.renderer.camera();
    app.cur.view = null; // only the shown tab keeps its view (memory)
  }
  app.cur = tab;
  app.selectedId = null;
  app.selectedName = '';
  show($('empty'), false);
  banner(tab.info.error && tab.view ? tab.info.error : '');
  renderTabs(app);
  setURL(app);
  await loadGraph(app, tab, { camera: tab.camera });
  if (app.cur === tab) loadInfo(app, tab);
}

/** loadInfo fetches tab's model properties and shows them in the sidebar. */
export async function loadInfo(app, tab) {
  try {
    const info = await api.model(tab.id, true);
    if (info.summary && info.weights) info.summary.weights = info.weights;
    const had = tab.info.model;
    tab.info = Object.assign({}, tab.info, info);
    if (app.cur === tab && !app.detail) showModel($('sidebar-content'), tab.info, modelCtx(tab, app));
    // A node selected before the model's format and opsets came was shown
    // without what needs them (the operator schema): show it again.
    if (app.cur === tab && app.detail && !had) reopenDetail(app);
    if (app.cur === tab && tab.entries().length > 1) renderBreadcrumb(app, tab);
  } catch (e) {
    if (app.cur === tab && !app.detail) {
      const side = $('sidebar-content');
      claim(side);
      clear(side);
      side.append(el('h2', '', tab.info.name || 'Model'), el('p', 'error-text', e.message));
    }
  }
}

/**
 * modelCtx is what the model panel may do: turn watching on or off; extra
 * adds the cost section.
 */
function modelCtx(tab, app) {
  return {
    extra: () => [costSection(app, tab)],
    watch: (on) => api.watch(tab.id, on).catch((e) => banner(`Could not change watching: ${e.message}`)),
  };
}

/** renderBreadcrumb draws the path from the main graph to tab's subgraph. */
export function renderBreadcrumb(app, tab) {
  const nav = $('breadcrumb');
  clear(nav);
  if (!tab) return;
  // A model with several root graphs starts the path with a selector; the
  // first crumb is then the selected graph's top level.
  const entries = tab.entries();
  let top = 'main graph';
  if (entries.length > 1) {
    nav.append(entrySelect(app, tab, entries));
    top = 'top';
    if (!tab.path.length) return;
  }
  const crumbs = [{ label: top }, ...tab.path];
  crumbs.forEach((c, k) => {
    if (k > 0) nav.append(el('span', 'sep', '›'));
    if (k === crumbs.length - 1) nav.append(el('span', 'here', c.label));
    else nav.append(button(c.label, 'Go back to this graph', () => goUp(app, crumbs.length - 1 - k)));
  });
}

/**
 * entrySelect is the graph selector of a model with several root graphs
 * (signatures, methods, function libraries): each option names the graph
 * and the signature that runs it.
 */
function entrySelect(app, tab, entries) {
  const sel = el('select');
  sel.id = 'graph-select';
  sel.title = 'Graph to show: signatures, methods and functions of this model';
  for (const e of entries) {
    const count = `${e.nodes} node${e.nodes === 1 ? '' : 's'}`;
    const label = e.signature && e.signature !== e.name ? `${e.signature} (${e.name}) · ${count}` : `${e.name} · ${count}`;
    const o = el('option', '', label);
    o.value = e.path;
    o.selected = e.path === tab.root;
    sel.append(o);
  }
  sel.addEventListener('change', () => showEntry(app, tab, sel.value));
  return sel;
}

/** showEntry shows root graph path ('' main, 'fN') of tab. */
export function showEntry(app, tab, path) {
  tab.root = path;
  tab.path = [];
  clearSelection(app);
  loadGraph(app, tab, {});
}

/** enterSubgraph shows subgraph sub of model node nodeIndex. */
export function enterSubgraph(app, nodeIndex, sub, label) {
  const tab = app.cur;
  if (!tab) return;
  tab.path.push({ node: nodeIndex, sub, label });
  clearSelection(app);
  loadGraph(app, tab, {});
}

/** goUp leaves levels subgraphs. */
export function goUp(app, levels) {
  const tab = app.cur;
  if (!tab || !tab.path.length) return;
  tab.path.splice(tab.path.length - Math.min(levels, tab.path.length), levels);
  clearSelection(app);
  loadGraph(app, tab, {});
}

/** clearSelection unselects and shows the model's properties. */
export function clearSelection(app) {
  app.selectedId = null;
  app.selectedName = '';
  app.detail = null;
  app.renderer.select = -1;
  app.renderer.request();
  if (app.cur) showModel($('sidebar-content'), app.cur.info, modelCtx(app.cur, app));
}

/** openDetail shows node i of the scene in the sidebar. */
export function openDetail(app, i) {
  const tab = app.cur;
  const n = app.scene.nodes[i];
  app.detail = n.id;
  showNode($('sidebar-content'), {
    modelId: tab.id,
    path: tab.pathString(),
    node: n,
    enter: (nodeIndex, sub, label) => enterSubgraph(app, nodeIndex, sub, label),
    summary: tab.path.length ? null : tab.info.summary,
    format: (tab.info.model || {}).format, opsets: (tab.info.model || {}).opsets,
    cost: costRows(app, n),
  });
}

/** reopenDetail shows the node the sidebar shows again, if it is in the scene. */
function reopenDetail(app) {
  const i = app.scene ? app.scene.nodes.findIndex((n) => n.id === app.detail) : -1;
  if (i >= 0) openDetail(app, i);
}

/** selectNode selects node i of the scene and shows its details. */
export function selectNode(app, i) {
  if (!app.scene) return;
  const n = app.scene.nodes[i];
  app.selectedId = n.id;
  app.selectedName = n.name || '';
  app.renderer.select = i;
  app.renderer.request();
  openDetail(app, i);
}
