// What changed between two Views of the same graph: nodes are matched by
// model node name (or view ID when unnamed), and count as changed when their
// op, inlined weights and attributes (the box's lines) or the shapes on
// their incoming edges differ.

function key(n) {
  return `${n.kind}|${n.name || n.id}`;
}

function signatures(view) {
  const incoming = new Map();
  for (const e of view.edges || []) {
    const a = incoming.get(e.to) || [];
    a.push(`${e.value || ''}:${e.label || ''}`);
    incoming.set(e.to, a);
  }
  const m = new Map();
  for (const n of view.nodes || []) {
    if (n.kind !== 'op' && n.kind !== 'input' && n.kind !== 'output') continue;
    const inc = (incoming.get(n.id) || []).sort().join(',');
    m.set(key(n), { id: n.id, sig: `${n.label}|${(n.lines || []).join(';')}|${inc}` });
  }
  return m;
}

/** diffViews returns {added, changed: node IDs in b, removed: count}. */
export function diffViews(a, b) {
  const sa = signatures(a);
  const sb = signatures(b);
  const added = [];
  const changed = [];
  let removed = 0;
  for (const [k, v] of sb) {
    const o = sa.get(k);
    if (!o) added.push(v.id);
    else if (o.sig !== v.sig) changed.push(v.id);
  }
  for (const k of sa.keys()) if (!sb.has(k)) removed++;
  return { added, changed, removed };
}

/** summary renders a diff as "+3 nodes, 2 changed, 1 removed". */
export function summary(d) {
  const parts = [];
  if (d.added.length) parts.push(`+${d.added.length} node${d.added.length === 1 ? '' : 's'}`);
  if (d.changed.length) parts.push(`${d.changed.length} changed`);
  if (d.removed) parts.push(`${d.removed} removed`);
  return parts.length ? parts.join(', ') : 'no structural changes';
}
