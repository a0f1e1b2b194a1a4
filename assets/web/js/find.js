// Find over node names, op types, inlined weights and tensor (edge value)
// names of the drawn View.

/**
 * search returns hits [{node: index, text, what}] for query q (case
 * insensitive substring; "quoted" for an exact match), at most limit.
 */
export function search(scene, q, limit) {
  q = q.trim();
  if (!q) return [];
  let exact = false;
  if (q.length > 1 && q.startsWith('"') && q.endsWith('"')) {
    exact = true;
    q = q.slice(1, -1);
  }
  const ql = q.toLowerCase();
  const match = (s) => {
    if (!s) return false;
    s = String(s);
    return exact ? s === q : s.toLowerCase().includes(ql);
  };
  const hits = [];
  const seen = new Set();
  const nodes = scene.nodes, count = nodes.length;
  for (let i = 0; i < count && hits.length < limit; i++) {
    const n = nodes[i];
    if (match(n.name)) hits.push({ node: i, text: n.name, what: n.label || n.kind });
    else if (match(n.label)) hits.push({ node: i, text: n.name || n.label, what: n.label });
    else {
      const l = (n.lines || []).find(match);
      if (l) hits.push({ node: i, text: l, what: n.label });
      else continue;
    }
    seen.add(i);
  }
  const edges = scene.edges, m = edges.length;
  for (let k = 0; k < m && hits.length < limit; k++) {
    const e = edges[k];
    if (!match(e.value)) continue;
    const i = scene.byId.get(e.from);
    if (i === undefined || seen.has(i)) continue;
    seen.add(i);
    hits.push({ node: i, text: e.value, what: 'tensor' });
  }
  return hits;
}
