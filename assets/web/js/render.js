// Rendering glue: the canvas renderer, the graph's state attributes, the
// error, banner and change notices, the status bar, the URL, export and
// the "has quit" screen.

import { $, show, download } from './dom.js';
import { GraphCanvas } from './canvas.js';
import { plural } from './sidebar.js';
import { toSVG, toPNG } from './export.js';

/**
 * createRenderer makes the canvas renderer of app. handlers.click and
 * handlers.dblclick get (node index, group) of a click; the status bar
 * follows every viewport change.
 */
export function createRenderer(app, handlers) {
  return new GraphCanvas($('canvas'), {
    click: handlers.click,
    dblclick: handlers.dblclick,
    change: () => updateStatus(app),
  });
}

/**
 * setState sets #graph's data-state ("loading", "ready", "error"),
 * data-model (the shown model's id) and, when given, data-nodes and
 * data-edges (the model's node and edge counts).
 */
export function setState(app, state, nodes, edges) {
  const g = app.graphEl;
  if (state === 'ready') window.modelpeekReadyAt = performance.now();
  g.dataset.state = state;
  if (state !== 'loading') delete g.dataset.interim; // see loading.js interimView
  // data-model names the model whose graph the state is about, so a reader
  // can tell a new model's "ready" from the previous one's.
  g.dataset.model = (app.cur && app.cur.id) || '';
  if (nodes !== undefined) {
    g.dataset.nodes = String(nodes);
    g.dataset.edges = String(edges);
  }
}

/** showError shows msg over the graph in #error and sets the error state. */
export function showError(app, msg) {
  show($('nograph'), false);
  const e = $('error');
  e.textContent = msg;
  show(e, true);
  setState(app, 'error');
}

/** hideError hides #error. */
export function hideError() {
  show($('error'), false);
}

/** banner shows msg in the banner under the toolbar; "" hides it. */
export function banner(msg) {
  const b = $('banner');
  b.textContent = msg || '';
  show(b, !!msg);
}

// changesTimer hides the change summary; only changes() sets and clears it.
let changesTimer = 0;

/** changes shows a reload's change summary for a few seconds. */
export function changes(msg) {
  const c = $('changes');
  c.textContent = msg;
  show(c, true);
  clearTimeout(changesTimer);
  changesTimer = setTimeout(() => show(c, false), 6000);
}

/**
 * updateStatus writes the status bar: node and edge counts and the zoom;
 * with ?debug=1 also the layout and frame times.
 */
export function updateStatus(app) {
  const s = app.scene;
  const r = app.renderer;
  const t = $('status-text');
  if (app.compare) {
    // The compare view writes its own (compare.js).
    t.textContent = app.compare.status || '';
    return;
  }
  if (!s) {
    t.textContent = '';
    return;
  }
  const st = s.view.stats || {};
  const parts = [plural(st.modelNodes ?? 0, 'node'), plural(st.modelEdges ?? 0, 'edge')];
  if (st.totalNodes && st.totalNodes !== st.modelNodes) parts.push(`${st.totalNodes} in graph`);
  if (app.debug && st.layoutMs !== undefined) parts.push(`layout ${Math.round(st.layoutMs)} ms`);
  parts.push(`zoom ${r.zoom >= 0.1 ? Math.round(r.zoom * 100) : (r.zoom * 100).toFixed(2)} %`);
  if (app.debug) parts.push(`frame ${r.lastFrameMs.toFixed(1)} ms`);
  t.textContent = parts.join(' · ');
}

/** setURL puts the shown model in the URL (?model=) and drops the token. */
export function setURL(app) {
  const p = new URLSearchParams(location.search);
  p.delete('token');
  if (app.cur) p.set('model', app.cur.id);
  else p.delete('model');
  const url = `${location.pathname}?${p.toString()}`;
  // The address the page opened with mostly says this already, and
  // replaceState is not free (about 5 ms while the page opens).
  if (url !== location.pathname + location.search) history.replaceState(null, '', url);
}

/** showQuit replaces the page by the notice that modelpeek has quit. */
export function showQuit(app) {
  app.renderer.setScene(null);
  show($('quit'), true);
  $('status-text').textContent = '';
}

/** baseName is the shown model's name made safe as a file name. */
function baseName(app) {
  const n = (app.cur && app.cur.info.name) || 'graph';
  return n.replace(/[\\/:*?"<>|]+/g, '_');
}

/** initExport wires the SVG and PNG export buttons. */
export function initExport(app) {
  $('btn-svg').addEventListener('click', () => {
    if (!app.scene) return;
    const r = app.renderer;
    const svg = toSVG(app.scene, r.theme, r.edgeLabels);
    download(new Blob([svg], { type: 'image/svg+xml' }), `${baseName(app)}.svg`);
  });
  $('btn-png').addEventListener('click', async () => {
    if (!app.scene) return;
    const r = app.renderer;
    try {
      const blob = await toPNG(app.scene, r.theme, r.edgeLabels);
      download(blob, `${baseName(app)}.png`);
    } catch (e) {
      banner(e.message);
    }
  });
}
