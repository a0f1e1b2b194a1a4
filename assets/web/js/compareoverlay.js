// Overlay mode of the compare view: B's graph alone, with A's removed
// nodes drawn as ghosts beside the B node matching one of their
// neighbours in A (a producer first, else a consumer).

/**
 * placeGhosts returns a box {x, y, w, h, label, item} in B's coordinates
 * for every removed change item of cmp drawn in A.
 */
export function placeGhosts(cmp) {
  const sa = cmp.sceneA, sb = cmp.sceneB;
  const preds = new Map(), succs = new Map();
  const push = (m, k, v) => {
    const a = m.get(k);
    if (a) a.push(v);
    else m.set(k, [v]);
  };
  for (const e of sa.edges) {
    const from = sa.byId.get(e.from), to = sa.byId.get(e.to);
    if (from === undefined || to === undefined) continue;
    push(preds, to, from);
    push(succs, from, to);
  }
  const stacked = new Map(); // B anchor → ghosts placed beside it
  const out = [];
  let spare = sb.bounds.y0;
  for (const it of cmp.items) {
    if (it.kind !== 'removed' || it.a < 0) continue;
    const na = sa.nodes[it.a];
    const anchor = [...(preds.get(it.a) || []), ...(succs.get(it.a) || [])].map((k) => cmp.links.ab[k]).find((j) => j >= 0);
    let x, y;
    if (anchor === undefined) {
      x = sb.bounds.x1 + 40;
      y = spare;
      spare += na.h + 12;
    } else {
      const nb = sb.nodes[anchor];
      const k = stacked.get(anchor) || 0;
      stacked.set(anchor, k + 1);
      x = nb.x + nb.w + 28;
      y = nb.y + k * (na.h + 10);
    }
    out.push({ x, y, w: na.w, h: na.h, label: na.label, item: it });
  }
  return out;
}
