// Cost: what the shown graph costs (GET /api/models/{id}/cost): totals in
// the model panel, each node's figures in the sidebar, the heaviest nodes
// (a click selects one), a heat map colouring the boxes by
// multiply-accumulates (the toolbar's Heat toggle), and each collapsed
// group's totals on its box. The figures live in app.cost.

import { $, el, button, clear } from './dom.js';
import { decode, ApiError } from './api.js';
import { category } from './colors.js';
import { selectNode } from './panels.js';
import { loadGraph } from './loading.js';

/** HEAT is the number of heat colours for nodes with MACs (heat1…). */
const HEAT = 7;

/** initCost adds the Heat toggle and follows the shown scene. */
export function initCost(app) {
  app.cost = { heat: false, key: '', reply: null, scene: null, dims: {} };
  const b = button('Heat', 'Colour the nodes by multiply-accumulates (cost heat map)', () => setHeat(app, !app.cost.heat));
  b.id = 'btn-heat';
  b.setAttribute('aria-pressed', 'false');
  const anchor = $('btn-svg');
  anchor.parentNode.insertBefore(b, anchor);
  // A new scene (loaded, expanded, reloaded) gets its figures and colours.
  new MutationObserver(() => onScene(app)).observe($('graph'), { attributes: true, attributeFilter: ['data-state', 'data-nodes', 'data-edges'] });
}

/** setHeat turns the heat map on or off. */
export function setHeat(app, on) {
  app.cost.heat = on;
  $('btn-heat').setAttribute('aria-pressed', String(on));
  const scene = app.scene;
  if (scene && app.cur) costFor(app, app.cur).then((d) => paint(app, scene, d), () => {});
}

/** onScene fetches the shown graph's cost once per scene and paints it. */
function onScene(app) {
  const scene = app.scene;
  if (!scene || scene === app.cost.scene || $('graph').dataset.state !== 'ready') return;
  app.cost.scene = scene;
  costFor(app, app.cur).then((d) => paint(app, scene, d), () => {});
}

/** costFor returns the cost of tab's shown graph, fetched once per version. */
export function costFor(app, tab) {
  const dims = Object.entries(app.cost.dims).map(([k, v]) => `${k}=${v}`).join(',');
  const key = `${tab.id}@${tab.version}:${tab.pathString()}?${dims}`;
  if (app.cost.key !== key) {
    app.cost.key = key;
    let url = `/api/models/${encodeURIComponent(tab.id)}/cost?path=${encodeURIComponent(tab.pathString())}`;
    if (dims) url += `&dims=${encodeURIComponent(dims)}`;
    app.cost.reply = fetch(url, { credentials: 'same-origin' }).then(decode, () => {
      throw new ApiError('The modelpeek server is not reachable. Is it still running?', 0);
    });
    app.cost.reply.catch(() => {
      if (app.cost.key === key) app.cost.key = '';
    });
  }
  return app.cost.reply;
}

/** paint puts the cost d on the scene's boxes and colours them. */
function paint(app, scene, d) {
  if (!d || app.scene !== scene) return;
  let top = 0;
  const macsOf = scene.nodes.map((n) => {
    const m = nodeMACs(n, d);
    if (m !== null && n.kind === 'group') n.costText = `${count(m)} MACs`;
    if (m !== null) top = Math.max(top, m);
    return m;
  });
  scene.nodes.forEach((n, i) => {
    scene.cats[i] = app.cost.heat && (n.kind === 'op' || n.kind === 'group') ? heatOf(n, macsOf[i], top) : category(n);
  });
  const g = $('graph');
  g.dataset.heat = app.cost.heat ? 'on' : 'off';
  g.dataset.costMacs = String(d.totals.macs);
  app.renderer.request();
}

/** nodeMACs is a box's MACs: an op's, a collapsed group's sum; null unknown. */
function nodeMACs(n, d) {
  if (n.kind === 'op' && n.index >= 0) {
    const m = d.macs[n.index];
    return m === undefined ? null : m;
  }
  if (n.kind === 'group') {
    const s = d.scopes[n.id.slice(2)];
    return s ? s.macs : null;
  }
  return null;
}

/** heatOf is the heat category of a box: heat0 none, heat1…7 by log MACs. */
function heatOf(n, m, top) {
  if (m === null) return 'heatu';
  if (m <= 0 || top <= 0) return 'heat0';
  return 'heat' + (1 + Math.min(HEAT - 1, Math.floor((HEAT * Math.log1p(m)) / Math.log1p(top))));
}

/** count spells a number with an SI suffix: "1.81 G". */
export function count(n) {
  for (const [s, v] of [['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]]) {
    if (n >= v) return `${(n / v).toFixed(2)} ${s}`;
  }
  return String(n);
}

/** bytes spells a byte count: "44.6 MB". */
export function bytes(n) {
  const c = count(n);
  return /[a-zA-Z]$/.test(c) ? `${c}B` : `${c} B`;
}

/** atLeast spells an activation figure, a lower bound when sizes are missing. */
function atLeast(t, n) {
  return t.unsized_nodes ? `≥ ${bytes(n)} (${t.unsized_nodes} outputs of unknown size)` : bytes(n);
}

function rows(pairs) {
  const t = el('table', 'props');
  for (const [k, v] of pairs) t.append(el('tr', '', el('th', '', k), el('td', '', v)));
  return t;
}

/**
 * costSection is the model panel's Cost section for tab's shown graph:
 * totals, a language model's per-token figures, and the heaviest nodes.
 */
export function costSection(app, tab) {
  const sec = el('section', 'cost', el('h3', '', 'Cost'), el('p', 'muted', 'counting…'));
  sec.id = 'cost-panel';
  costFor(app, tab).then((d) => fillSection(app, tab, sec, d), (e) => {
    sec.lastChild.textContent = `Cost unavailable: ${e.message}`;
  });
  return sec;
}

function fillSection(app, tab, sec, d) {
  const t = d.totals;
  clear(sec);
  sec.append(el('h3', '', 'Cost'));
  const macs = t.macs_formula ? `${count(t.macs)} (${t.macs_formula})` : count(t.macs);
  const r = [['parameters', `${count(t.params)} (${bytes(t.param_bytes)})`], ['MACs', macs], ['peak memory', atLeast(t, t.peak_bytes)], ['activations', atLeast(t, t.activation_bytes)]];
  if (t.unknown_nodes) r.push(['unknown', `${t.unknown_nodes} node${t.unknown_nodes === 1 ? '' : 's'} (shapes not known)`]);
  if (t.llm) {
    r.push(['MACs per token', count(t.llm.macs_per_token)]);
    r.push([`prompt of ${t.llm.prompt_tokens}`, count(t.llm.macs_prompt)]);
    r.push(['KV cache', kvText(t.llm)]);
  }
  sec.append(rows(r));
  if (t.symbols) sec.append(dimInputs(app, tab, sec, t.symbols));
  if (!d.heaviest.length) return;
  const list = el('ol', 'cost-heavy');
  for (const h of d.heaviest) {
    const pct = t.macs ? ` · ${((100 * h.macs) / t.macs).toFixed(1)}%` : '';
    const b = button('', `Select ${h.name || h.op}`, () => selectHeavy(app, tab, h));
    b.append(el('span', 'op', h.op), ' ', el('span', 'name', h.name || `#${h.index}`), el('span', 'macs', `${count(h.macs)}${pct}`));
    b.dataset.index = String(h.index);
    b.dataset.op = h.op;
    list.append(el('li', '', b));
  }
  sec.append(el('h3', '', 'Heaviest nodes'), list);
}

/** kvText spells a decoder's KV cache: per token and for its context. */
function kvText(l) {
  if (!l.kv_layers) return 'none';
  const ctx = l.kv_context_tokens ? `, ${bytes(l.kv_bytes_context)} at ${l.kv_context_tokens} tokens` : '';
  return `${bytes(l.kv_bytes_per_token)} per token${ctx} (${l.kv_dtype})`;
}

/**
 * dimInputs lets the user set the symbolic dimensions (1 unless set): a
 * change counts again and repaints.
 */
function dimInputs(app, tab, sec, symbols) {
  const box = el('div', 'cost-dims');
  for (const [k, v] of Object.entries(symbols).sort()) {
    const inp = el('input');
    inp.type = 'number';
    inp.min = '0';
    inp.value = String(v);
    inp.dataset.dim = k;
    inp.addEventListener('change', () => {
      const n = Math.max(0, Math.floor(Number(inp.value)) || 0);
      app.cost.dims[k] = n;
      costFor(app, tab).then((d) => {
        fillSection(app, tab, sec, d);
        if (app.cur === tab) paint(app, app.scene, d);
      }, (e) => sec.append(el('p', 'error-text', `Cost unavailable: ${e.message}`)));
    });
    box.append(el('label', '', `${k} = `, inp));
  }
  return box;
}

/**
 * selectHeavy selects and centres model node h; when it is inside a
 * collapsed group, its groups open first.
 */
async function selectHeavy(app, tab, h) {
  if (app.cur !== tab || !app.scene) return;
  let i = findOp(app.scene, h.index);
  if (i < 0 && tab.expand !== 'all') {
    for (const g of h.groups || []) tab.expand.add(g);
    for (const g of h.groups || []) tab.collapse.delete(g);
    await loadGraph(app, tab, {});
    i = app.scene ? findOp(app.scene, h.index) : -1;
  }
  if (i < 0) return;
  app.renderer.centerOn(i, Math.max(app.renderer.zoom, 0.6));
  selectNode(app, i);
}

function findOp(scene, index) {
  return scene.nodes.findIndex((n) => n.kind === 'op' && n.index === index);
}

/** nodeCost gathers node i's figures from the reply's arrays. */
function nodeCost(d, i) {
  if (i < 0 || i >= d.macs.length) return null;
  return {
    macs: d.macs[i], other_ops: d.other_ops[i], params: d.params[i], param_bytes: d.param_bytes[i],
    activation_bytes: d.activation_bytes[i], formula: d.formulas[i] || '',
  };
}

/** costRows is the sidebar section of box n's cost, filled when known. */
export function costRows(app, n) {
  const tab = app.cur;
  const sec = el('section', 'cost');
  sec.id = 'cost-node';
  if (!tab || (n.kind !== 'op' && n.kind !== 'group')) return sec;
  costFor(app, tab).then((d) => {
    if (n.kind === 'group') {
      const s = d.scopes[n.id.slice(2)];
      if (s) sec.append(el('h3', '', 'Cost'), rows([['MACs', count(s.macs)], ['parameters', count(s.params)], ['nodes', String(s.nodes)]].concat(s.unknown ? [['unknown', String(s.unknown)]] : [])));
      return;
    }
    const c = nodeCost(d, n.index);
    if (!c) return;
    const share = c.macs && d.totals.macs ? ` (${((100 * c.macs) / d.totals.macs).toFixed(1)}% of the graph)` : '';
    sec.append(el('h3', '', 'Cost'), rows([
      ['MACs', c.macs === null ? 'unknown (shapes not known)' : count(c.macs) + share + (c.formula ? ` = ${c.formula}` : '')],
      ['other ops', count(c.other_ops)],
      ['parameters', `${count(c.params)} (${bytes(c.param_bytes)})`],
      ['output bytes', bytes(c.activation_bytes)],
    ]));
  }, () => {});
  return sec;
}
