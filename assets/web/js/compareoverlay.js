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
      [x, y] = freeSpot(sb, out, nb, na, k);
    }
    out.push({ x, y, w: na.w, h: na.h, label: na.label, item: it });
  }
  return out;
}

/**
 * freeSpot places a ghost of node na's size beside B's node nb (the k-th
 * ghost there): right of it, else left, moving down past B's boxes and
 * the ghosts already placed.
 */
function freeSpot(sb, ghosts, nb, na, k) {
  const busy = (x, y) =>
    sb.nodesIn(x - 6, y - 6, x + na.w + 6, y + na.h + 6).length > 0 ||
    ghosts.some((g) => x < g.x + g.w + 6 && g.x < x + na.w + 6 && y < g.y + g.h + 6 && g.y < y + na.h + 6);
  const y0 = nb.y + k * (na.h + 10);
  for (let tries = 0; tries < 6; tries++) {
    const y = y0 + tries * (na.h + 10);
    for (const x of [nb.x + nb.w + 28, nb.x - na.w - 28]) if (!busy(x, y)) return [x, y];
  }
  return [nb.x + nb.w + 28, y0];
}
