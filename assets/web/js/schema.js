// Operator schema panel: for a node of an ONNX model, the schema of its
// operator at the model's opset (GET /api/schema) — inputs and outputs
// with type constraints, attributes with types and defaults — and a link
// to the official operator page; for a TFLite builtin operator, its
// options table (fields, types, enum values, defaults). Every string is
// inserted as text.

import { el } from './dom.js';
import { decode } from './api.js';

// standardDomains are the ONNX domains the schema table holds.
const standardDomains = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.preview.training']);

const norm = (d) => (d === 'ai.onnx' ? '' : d || '');

/** opsetOf returns the model's opset version for a domain, 0 when not imported. */
export function opsetOf(opsets, domain) {
  const o = (opsets || []).find((x) => norm(x.domain) === norm(domain));
  return o ? o.version : 0;
}

/**
 * showSchema appends the schema panel for node n (the node route's
 * `node`) to box when the model is ONNX and the operator's domain is a
 * standard one, or the model is TFLite and the operator a builtin. seq
 * is the sidebar's claim token: a panel that was replaced while the
 * schema was on its way is left alone.
 */
export async function showSchema(box, n, ctx, seq) {
  if (!n || !n.op) return;
  const tflite = ctx.format === 'tflite' && /^[A-Z0-9_]+$/.test(n.op) && n.op !== 'CUSTOM';
  if (!tflite && (ctx.format !== 'onnx' || !standardDomains.has(n.domain || ''))) return;
  const version = tflite ? 0 : opsetOf(ctx.opsets, n.domain);
  const q = new URLSearchParams({ domain: tflite ? 'tflite' : n.domain || '', op: n.op });
  if (version) q.set('version', String(version));
  const sec = el('section', 'schema', el('h3', '', tflite ? 'Builtin options' : 'Operator schema'));
  const status = el('p', 'muted', 'Loading…');
  sec.append(status);
  box.append(sec);
  let s;
  try {
    s = await decode(await fetch(`/api/schema?${q}`, { credentials: 'same-origin' }));
  } catch (e) {
    if (seq === box.dataset.seq) status.textContent = e.status === 404 ? `No schema known for ${n.op} at opset ${version || '?'}.` : `Could not load the schema: ${e.message}`;
    return;
  }
  if (seq !== box.dataset.seq) return;
  status.remove();
  sec.append(...(tflite ? optionParts(s) : schemaParts(s, version)));
}

// optionParts renders a TFLite builtin operator's options table.
function optionParts(s) {
  const head = [['operator', `${s.name} (builtin ${s.code})`], ['options table', s.options || 'none']];
  const parts = [rowsTable('props schema-head', head)];
  if ((s.fields || []).length) {
    parts.push(rowsTable('props schema-attrs', s.fields.map((f) => [f.name, fieldText(f, s.enums || {})])));
  }
  parts.push(el('p', 'muted', 'Facts from the TensorFlow Lite schema.'));
  return parts;
}

function fieldText(f, enums) {
  let t = f.type;
  if (enums[f.type]) t += ` (${enums[f.type].join(' | ')})`;
  if (f.default !== undefined) t += `, default ${JSON.stringify(f.default)}`;
  if (f.deprecated) t += ', deprecated';
  return t;
}

// schemaParts renders a schema answer.
function schemaParts(s, version) {
  const head = [
    ['operator', `${s.domain || 'ai.onnx'} ${s.name}`],
    ['since version', `${s.since}${version ? ` (model opset ${version})` : ''}${s.deprecated ? ', deprecated' : ''}`],
    ['versions', (s.versions || []).join(', ')],
  ];
  const parts = [rowsTable('props schema-head', head)];
  parts.push(el('p', 'muted', 'Inputs'), paramTable(s.inputs, s.min_inputs, s.max_inputs));
  parts.push(el('p', 'muted', 'Outputs'), paramTable(s.outputs, s.min_outputs, s.max_outputs));
  if ((s.constraints || []).length) {
    parts.push(el('p', 'muted', 'Type constraints'), rowsTable('props schema-constraints', s.constraints.map((c) => [c.param, c.allowed.join(', ')])));
  }
  if ((s.attributes || []).length) {
    parts.push(el('p', 'muted', 'Attributes'), rowsTable('props schema-attrs', s.attributes.map((a) => [a.name, attrText(a)])));
  }
  const link = el('a', 'schema-link', `${s.name} on onnx.ai`);
  link.href = s.url;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  parts.push(el('p', '', link));
  if (version && s.table_opset && version > s.table_opset) {
    parts.push(el('p', 'schema-newer', `The model imports opset ${version}; this table knows versions up to ${s.table_opset}, so a newer version of ${s.name} may apply.`));
  }
  if (s.onnx_version) parts.push(el('p', 'muted', `Schema facts from onnx ${s.onnx_version}.`));
  return parts;
}

function rowsTable(cls, rows) {
  const t = el('table', cls);
  for (const [k, v] of rows) t.append(el('tr', '', el('th', '', k), el('td', '', v)));
  return t;
}

function paramTable(params, lo, hi) {
  const rows = (params || []).map((p) => [p.name, `${p.type}${p.option !== 'single' ? ` (${p.option})` : ''}`]);
  if (!rows.length) rows.push(['', 'none']);
  const count = lo === hi ? String(lo) : `${lo} to ${hi < 0 ? '∞' : hi}`;
  rows.push(['count', count]);
  return rowsTable('props schema-io', rows);
}

function attrText(a) {
  let s = a.type;
  if (a.required) s += ', required';
  else if (a.default !== undefined) s += `, default ${JSON.stringify(a.default)}`;
  return s;
}
