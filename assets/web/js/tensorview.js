// The tensor view of the sidebar: a weight's whole-tensor statistics
// (count, range, mean, std, zeros, NaN, ±Inf; marked when sampled), its
// histogram, per-channel ranges for conv and linear weights, a paged
// values table, "Save as .npy", and what explains the values:
// quantization parameters and GGUF block types. Also the inline text of a
// value in the node's input list (tiny constants' values, the initializer
// an Identity forwards, quantization of activations).

import { el, clear, button } from './dom.js';
import { api } from './api.js';
import { fmtNum } from './sidebar.js';
import { drawHistogram, drawChannels } from './plots.js';

// pageSize is how many values one page of the values table shows.
const pageSize = 64;

// blockTypes matches GGML's block-quantised types (q4_0, q4_k, iq4_nl, ...).
const blockTypes = /^(q\d|iq\d|tq\d)/i;

/** num turns a JSON number or "NaN"/"Inf"/"-Inf" into a number. */
function num(v) {
  if (typeof v === 'number') return v;
  if (v === 'Inf' || v === 'inf') return Infinity;
  if (v === '-Inf' || v === '-inf') return -Infinity;
  return NaN;
}

function rows(list) {
  const t = el('table', 'props');
  for (const [k, v] of list) t.append(el('tr', '', el('th', '', k), el('td', '', v)));
  return t;
}

/** quantRows spells quantization parameters: scale, zero point, axis. */
export function quantRows(q) {
  const out = [];
  if (!q) return out;
  const list = (a) => (a.length > 8 ? `[${a.slice(0, 8).map((x) => fmtNum(num(x))).join(', ')}, … ${a.length} values]` : `[${a.map((x) => fmtNum(num(x))).join(', ')}]`);
  const scale = q.scale || [];
  const zp = q.zeroPoint || [];
  if (scale.length > 1 || zp.length > 1) out.push(['per-axis', `axis ${q.axis || 0}, ${Math.max(scale.length, zp.length)} channels`]);
  if (scale.length) out.push(['scale', scale.length === 1 ? fmtNum(num(scale[0])) : list(scale)]);
  if (zp.length) out.push(['zero point', zp.length === 1 ? String(zp[0]) : list(zp)]);
  if ((q.min || []).length) out.push(['min', list(q.min)]);
  if ((q.max || []).length) out.push(['max', list(q.max)]);
  if (q.scheme) out.push(['scheme', q.scheme]);
  return out;
}

/** valueText is a tiny tensor's values: "0", "[1, 2]". */
function valueText(t) {
  const vs = (t.values || []).map((v) => fmtNum(num(v)));
  return (t.shape || []).length === 0 && vs.length === 1 ? vs[0] : `[${vs.join(', ')}]`;
}

/**
 * describeValue adds to td what is known of node input or output v beyond
 * its type: the initializer an Identity forwards, a tiny constant's
 * values, quantization parameters (tensor or activation), the GGUF block
 * type, and a Statistics button opening the tensor view.
 */
export function describeValue(td, v, ctx) {
  const t = v.tensor;
  if (v.from) td.append(el('div', 'vfrom', `forwarded by Identity from ${v.from}`));
  if (t && t.values && t.values.length) td.append(el('div', 'vvalue', `= ${valueText(t)}`));
  if (t && blockTypes.test(t.dtype || '')) td.append(el('div', 'vquant', `GGUF block type ${t.dtype.toUpperCase()}`));
  const q = t && t.quant;
  if (q) td.append(el('div', 'vquant', quantRows(q).map(([k, x]) => `${k} ${x}`).join(' · ')));
  else if (v.doc && /quantization/.test(v.doc)) td.append(el('div', 'vquant', v.doc));
  // Values are read from the file: a constant held in the graph itself
  // (value_float, value_ints) has shown them all above.
  if (!t || !t.location || t.location.missing) return;
  const box = el('div', 'tensorview');
  td.append(button('Statistics', 'Statistics, histogram and values of the whole tensor', () => showTensor(box, ctx, t.name), 'stats-open'));
  td.append(box);
}

/** quantNode is the Quantization section of a QuantizeLinear or DequantizeLinear node. */
export function quantNode(n, inputs) {
  if (!/^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear)$/.test(n.op || '')) return null;
  const out = [];
  const axis = (n.attrs || []).find((a) => a.name === 'axis');
  ['scale', 'zero point'].forEach((what, k) => {
    const v = inputs[k + 1];
    if (!v) return;
    const t = v.tensor;
    out.push([what, t && t.values && t.values.length ? valueText(t) : `${v.name} ${t ? `(${t.dtype} [${(t.shape || []).join(',')}])` : ''}`]);
  });
  if (axis) out.push(['axis', String(axis.i || 0)]);
  if (!out.length) return null;
  return el('section', 'quantnode', el('h3', '', 'Quantization'), rows(out));
}

/** showTensor fills box with the tensor view of tensor name. */
export async function showTensor(box, ctx, name) {
  clear(box);
  box.append(el('span', 'muted', 'Reading the whole tensor…'));
  let a;
  try {
    a = await api.stats(ctx.modelId, ctx.path, name);
  } catch (e) {
    clear(box);
    box.append(el('span', 'muted', e.message));
    return;
  }
  clear(box);
  const s = a.stats || {};
  const finite = s.count - s.nan - s.inf;
  const pct = (k) => (s.count ? ` (${((100 * k) / s.count).toFixed(k && k < s.count / 1000 ? 3 : 1)} %)` : '');
  const list = [
    ['dtype', s.dtype || '?'],
    ['shape', `[${(a.dims || s.shape || []).join(', ')}]`],
    ['count', String(s.count)],
    ['min', fmtNum(num(s.min))],
    ['max', fmtNum(num(s.max))],
    ['mean', fmtNum(num(s.mean))],
    ['std', fmtNum(num(s.std))],
    ['zeros', `${s.zeros}${pct(s.zeros)}`],
    ['NaN', String(s.nan)],
    ['±Inf', String(s.inf)],
  ];
  if (s.sampled) list.push(['sampled', `first ${s.read} of ${s.count} values (time budget)`]);
  if (a.block) list.push(['block', `${a.block.type.toUpperCase()}: ${a.block.values} values in ${a.block.bytes} bytes (${a.block.bitsPerValue.toFixed(3)} bits per value), dequantized`]);
  for (const r of quantRows(a.quant)) list.push([`quant ${r[0]}`, r[1]]);
  const stats = rows(list);
  stats.classList.add('tstats');
  if (s.sampled) box.append(el('div', 'sampled', `Sampled: the statistics cover the first ${s.read} of ${s.count} values.`));
  box.append(stats);
  const hist = el('canvas', 'histogram');
  hist.title = `Histogram of ${finite} finite values, ${(s.histogram.counts || []).length} bins from ${fmtNum(num(s.min))} to ${fmtNum(num(s.max))}`;
  box.append(el('div', 'plot-title', 'Histogram'), hist);
  drawHistogram(hist, s.histogram);
  if ((a.dims || []).length >= 2) channels(box, ctx, name);
  box.append(valuesTable(ctx, name, s.count));
  const save = el('a', 'npy', 'Save as .npy');
  save.href = api.npyURL(ctx.modelId, ctx.path, name);
  save.setAttribute('download', '');
  box.append(save);
}

/** channels adds the per-output-channel range plot. */
async function channels(box, ctx, name) {
  const wrap = el('div', 'channels');
  box.append(wrap);
  let c;
  try {
    c = await api.channels(ctx.modelId, ctx.path, name);
  } catch (e) {
    wrap.append(el('div', 'muted', `No per-channel ranges: ${e.message}`));
    return;
  }
  const ch = { min: c.min.map(num), max: c.max.map(num), mean: c.mean.map(num) };
  const cv = el('canvas', 'chanplot');
  cv.title = `Range (bar) and mean (dot) of each of ${ch.min.length} channels along axis ${c.axis}`;
  wrap.append(el('div', 'plot-title', `Per-channel ranges (axis ${c.axis}, ${ch.min.length} channels)${c.sampled ? ', sampled' : ''}`), cv);
  drawChannels(cv, ch);
}

/** valuesTable is the paged table of values, pageSize a page. */
function valuesTable(ctx, name, total) {
  const wrap = el('div', 'valuestable');
  const body = el('div', 'vrows');
  const where = el('span', 'muted');
  let offset = 0;
  const load = async () => {
    where.textContent = 'Reading…';
    try {
      const p = await api.values(ctx.modelId, ctx.path, name, offset, pageSize);
      clear(body);
      const t = el('table', 'vals');
      p.values.forEach((v, i) => t.append(el('tr', '', el('th', '', String(offset + i)), el('td', '', fmtNum(num(v))))));
      body.append(t);
      where.textContent = `${offset}–${offset + p.count - 1} of ${total}`;
    } catch (e) {
      where.textContent = e.message;
    }
  };
  const go = (d) => () => {
    offset = Math.max(0, Math.min(offset + d, Math.max(0, total - 1)));
    load();
  };
  wrap.append(el('div', 'plot-title', 'Values'), el('div', 'pager', button('‹', 'Previous values', go(-pageSize), 'vprev'), ' ', where, ' ', button('›', 'Next values', go(pageSize), 'vnext')), body);
  load();
  return wrap;
}
