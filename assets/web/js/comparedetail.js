// The sidebar of the compare view: the comparison's summary when nothing
// is selected, else the selected node pair (ops, what changed) and the
// statistics of its changed weights.

import { el, clear } from './dom.js';
import { claim, fmtNum, plural } from './sidebar.js';

function row(k, v) {
  return el('tr', '', el('th', '', k), el('td', '', v));
}

function table(...rows) {
  return el('table', 'props', el('tbody', '', ...rows));
}

/** showSummary writes the comparison's totals into box. */
export function showSummary(box, cmp) {
  claim(box);
  clear(box);
  const d = cmp.diff;
  const n = d.nodes, w = d.weights;
  box.append(
    el('h2', '', 'Compare'),
    table(row('A', cmp.nameA), row('B', cmp.nameB)),
    el('p', d.equal ? '' : 'muted', d.equal ? 'The models are equal.' : 'Select a node or step through the changes (P, N).'),
    el('h3', '', 'Nodes'),
    table(row('matched', String(n.matched)), row('changed', String(n.changed.length)), row('added', String(n.added.length)), row('removed', String(n.removed.length))),
    el('h3', '', 'Weights'),
    table(row('changed', String(w.changed.length)), row('added', String(w.added.length)), row('removed', String(w.removed.length))),
  );
}

/**
 * showPair writes node pair (scene indices a, b; -1 for none) and its
 * change item (or null when it is unchanged) into box.
 */
export function showPair(box, cmp, a, b, item) {
  claim(box);
  clear(box);
  const na = a >= 0 ? cmp.sceneA.nodes[a] : null;
  const nb = b >= 0 ? cmp.sceneB.nodes[b] : null;
  const kind = item ? item.kind : na && nb ? 'same' : na ? 'removed' : 'added';
  const title = (nb && (nb.name || nb.label)) || (na && (na.name || na.label)) || (item && item.name) || '';
  box.append(el('h2', '', title), el('p', '', el('span', `badge cmp-badge ${kind}`, kind)));
  box.append(table(row('A', na ? nodeText(na) : '—'), row('B', nb ? nodeText(nb) : '—')));
  if (item && item.changes.length) {
    box.append(el('h3', '', 'Changes'), el('ul', 'cmp-changes', ...item.changes.map((c) => el('li', '', c))));
  }
  for (const k of (item && item.weights) || []) box.append(...weightDetail(cmp.diff.weights.changed[k]));
}

function nodeText(n) {
  return `${n.label}${n.name && n.name !== n.label ? ' · ' + n.name : ''}`;
}

function dims(s) {
  return `[${(s || []).join(',')}]`;
}

function stat(v) {
  return v === null || v === undefined ? 'n/a' : fmtNum(v);
}

/** weightDetail renders one weight change (the diff JSON's form). */
function weightDetail(w) {
  const rows = [row('kind', w.kind), row('A', `${w.dtype_a} ${dims(w.shape_a)}`), row('B', `${w.dtype_b} ${dims(w.shape_b)}`)];
  if (w.max_abs_diff !== null && w.max_abs_diff !== undefined) {
    rows.push(row('max abs diff', stat(w.max_abs_diff)), row('mean abs diff', stat(w.mean_abs_diff)), row('cosine', stat(w.cosine)));
    if (w.rel_l2 !== undefined) rows.push(row('relative L2', stat(w.rel_l2)));
  }
  if (w.note) rows.push(row('note', w.note));
  const n = (w.shape_a || []).reduce((p, x) => p * x, 1);
  return [el('h3', '', `Weight ${w.a}${w.b !== w.a ? ' ↔ ' + w.b : ''}`), table(...rows), el('p', 'muted', plural(n, 'value'))];
}
