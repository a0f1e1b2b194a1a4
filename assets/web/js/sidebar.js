// Sidebar panels: node properties, model properties, weight previews.
// Every model string is inserted as text.

import { el, clear, button } from './dom.js';
import { api } from './api.js';
import { showSchema } from './schema.js';
import { describeValue, quantNode } from './tensorview.js';
import { paramsSection } from './params.js';

/** shapeText renders a model.Type as "float32 [1,3,224,224]". */
export function typeText(t) {
  if (!t) return '';
  switch (t.kind) {
    case 'sequence':
      return `sequence<${typeText(t.elem)}>`;
    case 'optional':
      return `optional<${typeText(t.elem)}>`;
    case 'map':
      return `map<${t.key || '?'}, ${typeText(t.elem)}>`;
  }
  const dt = t.dtype || '?';
  if (t.shape === null || t.shape === undefined) return dt;
  return `${dt} [${t.shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

function tensorText(t) {
  if (!t) return '';
  return `${t.dtype || '?'} [${(t.shape || []).join(',')}]`;
}

/** plural renders a count with a noun: "1 node", "3 nodes". */
export function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function listText(a, more) {
  const s = a.map((v) => (typeof v === 'number' ? fmtNum(v) : String(v))).join(', ');
  return `[${s}${more ? ', …' : ''}]`;
}

/** fmtNum shows a number compactly. */
export function fmtNum(v) {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return v.toExponential(4);
  return String(Math.round(v * 1e6) / 1e6);
}

/** attrValue renders an attribute's value as text. */
export function attrValue(a) {
  const more = a.truncated ? ` … (${a.count} values)` : '';
  switch (a.type) {
    case 'int':
      return String(a.i || 0);
    case 'bool':
      return a.i ? 'true' : 'false';
    case 'float':
      return fmtNum(a.f || 0);
    case 'string':
      return JSON.stringify(a.s || '');
    case 'ints':
      return listText(a.ints || []) + more;
    case 'floats':
      return listText(a.floats || []) + more;
    case 'strings':
      return listText((a.strings || []).map((s) => JSON.stringify(s))) + more;
    case 'tensor':
    case 'tensors':
      return (a.tensors || []).map(tensorText).join(', ');
    case 'graph':
    case 'graphs':
      return (a.graphs || []).map((g) => `graph ${g.name || ''} (${plural((g.nodes || []).length, 'node')})`).join(', ');
    case 'type':
    case 'types':
      return (a.types || []).map(typeText).join(', ');
    case 'ref':
      return `@${a.ref || ''}`;
  }
  return a.s || '';
}

// claim marks the sidebar as owned by a new panel and returns its token.
export function claim(box) {
  box.dataset.seq = String((Number(box.dataset.seq) || 0) + 1);
  return box.dataset.seq;
}

// longValue is the length above which a property value is cut, with a
// button to show all of it (tokenizer vocabularies, long class lists).
const longValue = 300;

// keyCell renders a property key, allowing line breaks after '.', '_' and
// '/' so that dotted keys wrap between words rather than inside them.
function keyCell(k) {
  const th = el('th');
  if (typeof k !== 'string') {
    th.append(k);
    return th;
  }
  for (const part of k.split(/(?<=[._/])/)) th.append(part, el('wbr'));
  return th;
}

// valueCell renders a property value, cutting long strings.
function valueCell(v) {
  if (typeof v !== 'string' || v.length <= longValue) return el('td', '', v);
  const td = el('td', '', v.slice(0, longValue) + '…');
  const more = button('show all', `Show all ${v.length} characters`, () => {
    clear(td);
    td.append(v);
  }, 'more');
  td.append(more);
  return td;
}

function table(rows) {
  const t = el('table', 'props');
  for (const [k, v, extra] of rows) {
    const tr = el('tr', '', keyCell(k), valueCell(v));
    if (extra) tr.lastChild.append(extra);
    t.append(tr);
  }
  return t;
}

function section(title, ...content) {
  return el('section', '', el('h3', '', title), ...content);
}

/**
 * showNode fills the sidebar with the details of node index in graph path.
 * enter(nodeIndex, subgraphIndex, label) opens a subgraph.
 */
export async function showNode(box, ctx) {
  const { modelId, path, node: vn, enter } = ctx;
  const seq = claim(box);
  clear(box);
  box.append(el('h2', '', vn.label || vn.kind));
  if (ctx.cost) box.append(ctx.cost);
  if (vn.kind !== 'op' || vn.index < 0) {
    const rows = [['kind', vn.kind]];
    if (vn.name) rows.push(['name', vn.name]);
    // Graph inputs and outputs of the main graph: type from the summary.
    const s = (ctx.summary && (vn.kind === 'input' ? ctx.summary.inputs : vn.kind === 'output' ? ctx.summary.outputs : null)) || [];
    const v = s.find((x) => x.name === vn.name);
    if (v) rows.push(['type', `${v.dtype || '?'} ${v.shape ? '[' + v.shape.map((d) => (d === null ? '?' : d)).join(',') + ']' : ''}`]);
    if (vn.count) rows.push(['nodes', String(vn.count)]);
    for (const l of vn.lines || []) rows.push(['', l]);
    box.append(table(rows));
    return;
  }
  const loading = el('p', 'muted', 'Loading…');
  box.append(loading);
  let d;
  try {
    d = await api.node(modelId, path, vn.index);
  } catch (e) {
    if (seq === box.dataset.seq) loading.textContent = `Could not load the node: ${e.message}`;
    return;
  }
  // Another panel replaced this one while the details were on their way.
  if (seq !== box.dataset.seq) return;
  loading.remove();
  const n = d.node || {};
  const rows = [['type', n.op || vn.label]];
  if (n.domain) rows.push(['domain', n.domain]);
  rows.push(['name', n.name || '(unnamed)']);
  if (n.category) rows.push(['category', n.category]);
  box.append(section('Node', table(rows)));
  if (n.doc) box.append(el('p', 'doc', n.doc));
  const attrs = n.attrs || [];
  if (attrs.length) {
    const t = el('table', 'props attrs');
    for (const a of attrs) {
      const td = el('td', '', attrValue(a));
      const tr = el('tr', '', el('th', '', a.name), td);
      tr.dataset.attr = a.name;
      t.append(tr);
    }
    box.append(section('Attributes', t));
  }
  const subs = [];
  for (const a of attrs) for (const g of a.graphs || []) subs.push({ name: `${a.name}${g.name ? ': ' + g.name : ''}`, g });
  if (subs.length) {
    const list = el('div', 'subgraphs');
    subs.forEach((s, k) => {
      list.append(button(`Open ${s.name} (${plural((s.g.nodes || []).length, 'node')})`, 'Show this subgraph', () => enter(vn.index, k, `${n.op || vn.label} ${s.name}`), 'subgraph-open'));
    });
    box.append(section('Subgraphs', list));
  }
  const qn = quantNode(n, d.inputs || []);
  if (qn) box.append(qn);
  box.append(section('Inputs', ioTable(d.inputs || [], ctx)));
  box.append(section('Outputs', ioTable(d.outputs || [], ctx)));
  showSchema(box, n, ctx, seq);
}

// blockQuantised matches GGML's block-quantised data types (q4_0, q4_k,
// iq2_xs, tq1_0, ...), whose values the server does not preview.
const blockQuantised = /^(q\d|iq\d|tq\d)/i;

function ioTable(list, ctx) {
  const t = el('table', 'props io');
  if (!list.length) t.append(el('tr', '', el('td', 'muted', 'none')));
  for (const v of list) {
    const name = v.name || '(omitted)';
    const info = v.tensor ? tensorText(v.tensor) : typeText(v.type);
    const td = el('td', '', el('div', 'vname', name), el('div', 'vtype', info || 'type unknown'));
    describeValue(td, v, ctx);
    if (v.tensor) {
      td.append(el('span', 'badge', 'weight'));
      if (blockQuantised.test(v.tensor.dtype || '')) {
        // GGML block formats store scales and packed bits, not values.
        td.append(el('span', 'muted', ` block-quantised (${v.tensor.dtype}): no value preview`));
      } else {
        const prev = el('div', 'preview');
        td.append(button('Preview values', 'Read the first values and statistics', () => preview(prev, ctx, v.tensor.name), 'small'));
        td.append(prev);
      }
    }
    t.append(el('tr', '', td));
  }
  return t;
}

async function preview(box, ctx, name) {
  clear(box);
  box.append(el('span', 'muted', 'Reading…'));
  let p;
  try {
    p = await api.tensor(ctx.modelId, ctx.path, name);
  } catch (e) {
    clear(box);
    box.append(el('span', 'muted', e.message));
    return;
  }
  clear(box);
  box.append(
    table([
      ['dtype', p.dtype || '?'],
      ['shape', `[${(p.shape || []).join(',')}]`],
      ['count', String(p.count)],
      ['min', fmtNum(p.min)],
      ['max', fmtNum(p.max)],
      ['mean', fmtNum(p.mean) + (p.sampled ? ' (of a prefix)' : '')],
    ]),
  );
  const vals = (p.values || []).map(fmtNum).join(', ');
  box.append(el('pre', 'values', `[${vals}${p.count > (p.values || []).length ? ', …' : ''}]`));
}

// llmKeys are the GGUF hyperparameters shown at the top of the model
// panel, as "<architecture>.<key>" metadata.
const llmKeys = [
  ['context length', 'context_length'],
  ['layers', 'block_count'],
  ['embedding', 'embedding_length'],
  ['feed-forward', 'feed_forward_length'],
  ['attention heads', 'attention.head_count'],
  ['KV heads', 'attention.head_count_kv'],
];

// fileTypes names llama.cpp's general.file_type values.
const fileTypes = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1',
  10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M', 13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M',
  16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS', 21: 'Q2_K_S',
  22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M',
  28: 'IQ2_S', 29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16',
};

/**
 * keyFacts returns the rows that sum a model up beyond its format: for
 * language models (GGUF) the architecture and its main hyperparameters, and
 * for every model the mix of weight data types (the quantisation mix).
 */
export function keyFacts(m, s) {
  const rows = [];
  const meta = m.metadata || {};
  const arch = meta['general.architecture'];
  if (arch) {
    rows.push(['architecture', arch]);
    for (const [label, key] of llmKeys) {
      const v = meta[`${arch}.${key}`];
      if (v !== undefined && v !== '') rows.push([label, v]);
    }
    const ft = meta['general.file_type'];
    if (ft !== undefined && fileTypes[ft]) rows.push(['file type', `${fileTypes[ft]} (${ft})`]);
    if (meta['tokenizer.ggml.model']) rows.push(['tokenizer', meta['tokenizer.ggml.model']]);
  }
  const hasTypes = (m.properties || []).some((p) => /data ?types|dtypes/i.test(p.name));
  const tensors = s.tensors || [];
  // A brief summary (?brief=1) counts the weights by dtype instead.
  const brief = s.weights && s.weights.count ? new Map(Object.entries(s.weights.dtypes || {}).map(([k, v]) => [k || '?', v])) : null;
  if ((brief || tensors.length) && !hasTypes) {
    let count = brief;
    if (!count) {
      count = new Map();
      for (const t of tensors) count.set(t.dtype || '?', (count.get(t.dtype || '?') || 0) + 1);
    }
    const mix = [...count.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    rows.push([arch ? 'quantisation' : 'weight types', mix.map(([k, v]) => `${k} ×${v}`).join(', ')]);
  }
  return rows;
}

/** signatureText spells a signature's inputs and outputs: name → tensor type. */
function signatureText(g) {
  const one = (v) => `${v.name} → ${v.tensor || '?'} ${v.dtype || '?'}${v.shape ? '[' + v.shape.map((d) => (d === null ? '?' : d)).join(',') + ']' : ''}`;
  return `in: ${(g.inputs || []).map(one).join(', ') || '—'}; out: ${(g.outputs || []).map(one).join(', ') || '—'}`;
}

/** showModel fills the sidebar with the model panel. */
export function showModel(box, info, ctx) {
  claim(box);
  clear(box);
  const m = (info && info.model) || {};
  box.append(el('h2', '', info.name || 'Model'));
  if (info.error) box.append(el('p', 'error-text', info.error));
  const rows = [['format', m.format || info.format || '?']];
  if (m.producer) rows.push(['producer', m.producer]);
  if (m.version) rows.push(['version', m.version]);
  if (m.opsets && m.opsets.length) rows.push(['opset', m.opsets.map((o) => `${o.domain || 'ai.onnx'} v${o.version}`).join(', ')]);
  if (info.path) rows.push(['file', info.path]);
  const s = info.summary || {};
  if (s.nodes !== undefined) rows.push(['nodes', String(s.nodes)]);
  if (s.weights) rows.push(['weights', String(s.weights.count)]);
  else if (s.tensors) rows.push(['weights', String(s.tensors.length)]);
  rows.push(...keyFacts(m, s));
  box.append(section('Model', table(rows)));
  if (info.id && !info.error) box.append(paramsSection(info.id));
  if (m.description && m.description !== m.producer) box.append(el('p', 'doc', m.description));
  const watch = el('input');
  watch.type = 'checkbox';
  watch.id = 'watch-model';
  watch.checked = !!info.watching;
  watch.addEventListener('change', () => ctx.watch(watch.checked));
  box.append(el('label', 'switch', watch, ' Reload when the file changes'));
  if (ctx && ctx.extra) box.append(...ctx.extra());
  if (s.inputs && s.inputs.length) box.append(section('Inputs', table(s.inputs.map((v) => [v.name, `${v.dtype || '?'} ${v.shape ? '[' + v.shape.map((d) => (d === null ? '?' : d)).join(',') + ']' : ''}`]))));
  if (s.outputs && s.outputs.length) box.append(section('Outputs', table(s.outputs.map((v) => [v.name, `${v.dtype || '?'} ${v.shape ? '[' + v.shape.map((d) => (d === null ? '?' : d)).join(',') + ']' : ''}`]))));
  const meta = m.metadata || {};
  const keys = Object.keys(meta).sort();
  if (keys.length) box.append(section('Metadata', table(keys.map((k) => [k, meta[k]]))));
  if (m.properties && m.properties.length) box.append(section('Properties', table(m.properties.map((p) => [p.name, p.value]))));
  if (s.signatures && s.signatures.length) box.append(section('Signatures', table(s.signatures.map((g) => [g.key, signatureText(g)]))));
  if (s.ops) {
    const ops = Object.entries(s.ops).sort((a, b) => b[1] - a[1]);
    if (ops.length) box.append(section('Operators', table(ops.map(([k, v]) => [k, String(v)]))));
  }
  if (m.warnings && m.warnings.length) box.append(section('Warnings', ...m.warnings.map((w) => el('p', 'warn', w))));
  if (m.files && m.files.length > 1) box.append(section('Files', ...m.files.map((f) => el('div', 'vname', f))));
}
