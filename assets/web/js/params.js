// The model panel's Parameters section: the parameter count and bytes of
// the whole model, of each root graph, and of the main graph's top-level
// name groups (GET /api/models/{id}/paramcount).

import { el } from './dom.js';
import { api } from './api.js';

/** countText spells a parameter count: "2.87 K", "6.74 B". */
export function countText(n) {
  if (n < 1000) return String(n);
  const units = [['T', 1e12], ['B', 1e9], ['M', 1e6], ['K', 1e3]];
  for (const [u, f] of units) if (n >= f) return `${(n / f).toPrecision(3)} ${u}`;
  return String(n);
}

/** bytesText spells a byte size: "12.3 MB". */
export function bytesText(n) {
  const units = [['GB', 1 << 30], ['MB', 1 << 20], ['KB', 1 << 10]];
  // 1000 MB and up (below 1 GB) has four digits, not "1.00e+3".
  for (const [u, f] of units) if (n >= f) return `${n / f >= 100 ? Math.round(n / f) : (n / f).toPrecision(3)} ${u}`;
  return `${n} B`;
}

const line = (c) => `${countText(c.params)} (${c.params.toLocaleString('en-US')}) · ${bytesText(c.bytes)} · ${c.tensors} tensor${c.tensors === 1 ? '' : 's'}`;

/** maxGroups is how many name groups the panel lists. */
const maxGroups = 24;

/**
 * paramsSection returns the Parameters section of model id, filled when
 * the count arrives (nothing shows for a model without weights).
 */
export function paramsSection(id) {
  const sec = el('section', 'params');
  sec.hidden = true;
  api
    .params(id)
    .then((p) => {
      if (!p || !p.total || !p.total.tensors) return;
      const t = el('table', 'props');
      const row = (k, v, cls) => {
        const tr = el('tr', cls || '', el('th', '', k), el('td', '', v));
        t.append(tr);
      };
      row('total', line(p.total), 'ptotal');
      if (p.graphs.length > 1) for (const g of p.graphs) if (g.tensors) row(g.name, line(g), 'pgraph');
      const groups = p.groups || [];
      if (groups.length > 1) for (const g of groups.slice(0, maxGroups)) row(g.name, line(g), 'pgroup');
      if (groups.length > maxGroups) row('…', `${groups.length - maxGroups} more groups`);
      sec.append(el('h3', '', 'Parameters'), t);
      sec.hidden = false;
    })
    .catch(() => {});
  return sec;
}
