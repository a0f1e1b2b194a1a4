// The parameter map: a treemap of the shown graph's weights (GET
// /api/models/{id}/params), nested by the name scopes of the nodes that
// use them, each cell sized by its parameter count and coloured by its
// main data type. Clicking a cell opens the groups on its path, selects
// its node (or the first node of its scope) and centres the graph on it.
//
// #parammap tells tests what it shows: data-state ("loading", "ready",
// "error"), data-params (the total); each cell is a .pm-cell with
// data-path, data-params, data-bytes, data-dtype, and data-tensor for a
// tensor; cells drawn without their children have class pm-leaf.

import { $, el, clear, show, button } from './dom.js';
import { decode } from './api.js';
import { loadGraph } from './loading.js';
import { selectNode } from './panels.js';

/** Cells smaller than this (px) show no children and no label. */
const minNest = { w: 48, h: 34 };
const minLabel = { w: 34, h: 14 };
const header = 15; // px of an open cell's title
const pad = 2;
const maxDepth = 8;

/** initParamMap wires the toolbar button and keeps an open map current. */
export function initParamMap(app) {
  const box = $('parammap');
  $('btn-params').addEventListener('click', () => {
    if (!box.hidden) {
      close(box);
      return;
    }
    show(box, true);
    $('btn-params').setAttribute('aria-pressed', 'true');
    refresh(app, box);
  });
  // A new graph (another tab, a subgraph, a reload) redraws an open map.
  new MutationObserver(() => {
    if (!box.hidden && app.graphEl.dataset.state === 'ready') refresh(app, box);
  }).observe(app.graphEl, { attributes: true, attributeFilter: ['data-state'] });
  window.addEventListener('resize', () => {
    if (!box.hidden && box.pmData) draw(app, box, box.pmData);
  });
}

function close(box) {
  show(box, false);
  $('btn-params').setAttribute('aria-pressed', 'false');
}

/** refresh fetches the shown graph's map unless it is the one drawn. */
async function refresh(app, box) {
  const tab = app.cur;
  if (!tab) return;
  const key = `${tab.id}\n${tab.version}\n${tab.pathString()}`;
  if (box.pmKey === key && box.pmData) return;
  box.pmKey = key;
  box.dataset.state = 'loading';
  let data;
  try {
    const res = await fetch(`/api/models/${encodeURIComponent(tab.id)}/params?path=${encodeURIComponent(tab.pathString())}`, { credentials: 'same-origin' });
    data = await decode(res);
  } catch (e) {
    if (box.pmKey !== key) return;
    box.pmData = null;
    clear(box);
    box.append(head(box, 'Parameters', ''), el('p', 'pm-empty', `The parameter map could not be loaded: ${e.message}`));
    box.dataset.state = 'error';
    return;
  }
  if (box.pmKey !== key) return;
  box.pmData = data.root;
  draw(app, box, data.root);
}

/** head is the panel's title bar with its close button. */
function head(box, title, info) {
  return el('div', 'pm-head', el('strong', '', title), el('span', 'pm-info', info), button('×', 'Close the parameter map', () => close(box), 'pm-close'));
}

/** draw renders the map of root into the panel. */
function draw(app, box, root) {
  clear(box);
  box.dataset.params = String(root.params || 0);
  box.append(head(box, 'Parameters', root.params ? `${count(root.params)} · ${bytes(root.bytes)}` : ''));
  if (!root.params) {
    box.append(el('p', 'pm-empty', 'This graph stores no weights.'));
    box.dataset.state = 'ready';
    return;
  }
  box.append(legend(root));
  const detail = el('div', 'pm-detail', 'Click a cell to show it in the graph.');
  const area = el('div', 'pm-area');
  box.append(area, detail);
  const w = area.clientWidth, h = area.clientHeight;
  const ctx = { app, area, detail };
  cells(ctx, root.children || [], 0, 0, w, h, 0);
  box.dataset.state = 'ready';
}

/** legend lists the data types of the map with their share. */
function legend(root) {
  const l = el('div', 'pm-legend');
  for (const [dt, n] of Object.entries(root.dtypes || {}).sort((a, b) => b[1] - a[1])) {
    const sw = el('span', 'pm-swatch');
    sw.style.background = dtypeColor(dt);
    l.append(el('span', 'pm-key', sw, `${dt} ${share(n, root.params)}`));
  }
  return l;
}

/** cells lays out sibling cells in the rectangle (x, y, w, h). */
function cells(ctx, list, x, y, w, h, depth) {
  const items = list.filter((c) => c.params > 0).sort((a, b) => b.params - a.params);
  for (const r of squarify(items, x, y, w, h)) cell(ctx, r.item, r.x, r.y, r.w, r.h, depth);
}

/** cell draws one cell and, when it has room, its children inside. */
function cell(ctx, c, x, y, w, h, depth) {
  const kids = (c.children || []).filter((k) => k.params > 0);
  const nest = kids.length > 0 && depth < maxDepth && w >= minNest.w && h >= minNest.h;
  const d = el('div', 'pm-cell' + (nest ? ' pm-open' : ' pm-leaf'));
  Object.assign(d.style, { left: `${x}px`, top: `${y}px`, width: `${Math.max(w - 1, 0)}px`, height: `${Math.max(h - 1, 0)}px` });
  d.dataset.path = c.path;
  d.dataset.params = String(c.params);
  d.dataset.bytes = String(c.bytes);
  d.dataset.dtype = mainDType(c);
  if (c.tensor) d.dataset.tensor = c.tensor;
  if (!nest) d.style.background = dtypeColor(mainDType(c));
  d.title = describe(c);
  if (w >= minLabel.w && h >= minLabel.h) d.append(el('span', 'pm-label', nest ? `${c.name} · ${count(c.params)}` : c.name));
  d.addEventListener('click', (e) => {
    e.stopPropagation();
    ctx.detail.textContent = describe(c);
    reveal(ctx.app, c);
  });
  ctx.area.append(d);
  if (nest) cells(ctx, kids, x + pad, y + header, w - 2 * pad, h - header - pad, depth + 1);
}

/** describe is a cell's text: path, sizes and data types. */
function describe(c) {
  const mix = Object.entries(c.dtypes || {}).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${share(v, c.params)}`).join(', ');
  return `${c.path || c.name}: ${count(c.params)} parameters · ${bytes(c.bytes)} · ${mix}`;
}

/**
 * squarify splits (x, y, w, h) among items (sorted by params, largest
 * first) into rectangles of proportional area with near-square sides.
 */
export function squarify(items, x, y, w, h) {
  const out = [];
  const total = items.reduce((s, c) => s + c.params, 0);
  if (!total || w <= 0 || h <= 0) return out;
  const scale = (w * h) / total;
  let i = 0;
  while (i < items.length) {
    const side = Math.min(w, h);
    let row = [items[i]];
    let sum = items[i].params * scale;
    let best = worst(row, sum, side, scale);
    for (let j = i + 1; j < items.length; j++) {
      const s2 = sum + items[j].params * scale;
      const r2 = worst([...row, items[j]], s2, side, scale);
      if (r2 > best) break;
      row.push(items[j]);
      sum = s2;
      best = r2;
    }
    const thick = sum / side;
    let off = 0;
    for (const it of row) {
      const len = (it.params * scale) / thick;
      if (w >= h) out.push({ item: it, x, y: y + off, w: thick, h: len });
      else out.push({ item: it, x: x + off, y, w: len, h: thick });
      off += len;
    }
    if (w >= h) {
      x += thick;
      w -= thick;
    } else {
      y += thick;
      h -= thick;
    }
    i += row.length;
  }
  return out;
}

/** worst is the largest aspect ratio of a row of area sum along side. */
function worst(row, sum, side, scale) {
  const thick = sum / side;
  let r = 0;
  for (const it of row) {
    const len = (it.params * scale) / thick;
    r = Math.max(r, len / thick, thick / len);
  }
  return r;
}

/**
 * reveal shows cell c in the graph: the groups on its path open, then its
 * node (or the first node inside its scope) is selected and centred.
 */
async function reveal(app, c) {
  const tab = app.cur;
  if (!tab || !app.scene) return;
  if (tab.expand !== 'all') {
    for (const p of prefixes(c.path)) {
      tab.collapse.delete(`g:${p}`);
      tab.expand.add(`g:${p}`);
    }
  }
  await loadGraph(app, tab, { camera: app.renderer.camera() });
  if (!app.scene || app.cur !== tab) return;
  const nodes = app.scene.nodes;
  let i = c.node >= 0 ? nodes.findIndex((n) => n.kind === 'op' && n.index === c.node) : -1;
  if (i < 0) {
    const sep = c.path.includes('/') ? '/' : '.';
    i = nodes.findIndex((n) => n.kind === 'op' && n.name && (n.name === c.path || n.name.startsWith(c.path + sep)));
  }
  if (i < 0) return;
  app.renderer.centerOn(i);
  selectNode(app, i);
}

/** prefixes are the scope paths of a path, itself included. */
function prefixes(path) {
  const sep = path.includes('/') ? '/' : '.';
  const out = [];
  for (let k = path.indexOf(sep); k >= 0; k = path.indexOf(sep, k + 1)) if (k > 0) out.push(path.slice(0, k));
  out.push(path);
  return out;
}

/** mainDType is the data type holding most of a cell's parameters. */
function mainDType(c) {
  let best = '', n = -1;
  for (const [k, v] of Object.entries(c.dtypes || {})) if (v > n) [best, n] = [k, v];
  return best || '?';
}

// Colours of the common data types; others get one from their name.
const dtypeColors = {
  float32: '#5b8def', float64: '#3a5fb0', float16: '#3fb68b', bfloat16: '#2e9aa8',
  int8: '#e8944a', uint8: '#d9a441', int32: '#b07cd8', int64: '#8a63c2', bool: '#9aa0a6',
};

/** dtypeColor is the fill of a data type. */
export function dtypeColor(dt) {
  if (dtypeColors[dt]) return dtypeColors[dt];
  let h = 0;
  for (const ch of dt) h = (h * 31 + ch.charCodeAt(0)) % 360;
  // Block-quantised GGML types (q4_k, iq2_xs, …) share warm hues.
  if (/^(q\d|iq\d|tq\d)/i.test(dt)) return `hsl(${(h % 50) + 330}, 55%, 58%)`;
  return `hsl(${h}, 45%, 58%)`;
}

/** count renders a parameter count: 8.03 B, 525 M, 12.3 K. */
export function count(n) {
  for (const [v, s] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']]) if (n >= v) return `${(n / v).toPrecision(3)} ${s}`;
  return String(n);
}

/** bytes renders a size in binary units: 15.0 GiB. */
function bytes(n) {
  if (!n) return '0 B';
  for (const [v, s] of [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']]) if (n >= v) return `${digits3(n / v)} ${s}`;
  return `${n} B`;
}

/** digits3 writes x with three significant digits, never in exponent form. */
function digits3(x) {
  return x >= 100 ? String(Math.round(x)) : x.toPrecision(3);
}

function share(v, total) {
  if (!total) return '';
  const p = (100 * v) / total;
  return p >= 99.95 ? '100%' : `${p < 0.1 ? p.toPrecision(1) : p.toFixed(1)}%`;
}
