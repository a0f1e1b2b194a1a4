// Edge hover: pointing at an edge shows the value it carries, its shape
// and its dtype in a small tip (#edgetip) beside the pointer. The shape
// is also drawn on the edge (labels are on by default); the dtype only
// shows here.

import { el } from './dom.js';

// tolerance is how close (CSS pixels) the pointer must be to an edge.
const tolerance = 5;

/** segDist is the distance from (px, py) to the segment (ax, ay)-(bx, by). */
function segDist(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const len = dx * dx + dy * dy;
  let u = len ? ((px - ax) * dx + (py - ay) * dy) / len : 0;
  u = Math.max(0, Math.min(1, u));
  return Math.hypot(px - (ax + u * dx), py - (ay + u * dy));
}

/** edgeAt returns the index of the edge nearest world point (x, y) within tol, or -1. */
export function edgeAt(scene, x, y, tol) {
  let best = -1, bestD = tol;
  for (const i of scene.edgesIn(x - tol, y - tol, x + tol, y + tol)) {
    const p = scene.edges[i].points || [];
    for (let k = 0; k + 3 < p.length; k += 2) {
      const d = segDist(x, y, p[k], p[k + 1], p[k + 2], p[k + 3]);
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
  }
  return best;
}

/** tipText is what the tip says about edge e. */
export function tipText(e) {
  const parts = [e.value || '(unnamed value)'];
  const type = [e.label, e.dtype].filter(Boolean).join(' ');
  if (type) parts.push(type);
  return parts.join('\n');
}

/** initEdgeInfo wires the edge hover tip of app's canvas. */
export function initEdgeInfo(app) {
  const r = app.renderer;
  const tip = el('div', 'edgetip');
  tip.id = 'edgetip';
  tip.hidden = true;
  r.canvas.parentElement.append(tip);
  let pending = null;
  const update = () => {
    const ev = pending;
    pending = null;
    const s = app.scene;
    if (!ev || !s || r.pointers.size) {
      tip.hidden = true;
      return;
    }
    const [x, y] = r.toWorld(ev.offsetX, ev.offsetY);
    const i = s.nodeAt(x, y) >= 0 ? -1 : edgeAt(s, x, y, tolerance / r.zoom);
    if (i < 0) {
      tip.hidden = true;
      return;
    }
    tip.textContent = tipText(s.edges[i]);
    tip.dataset.edge = String(i);
    tip.style.left = `${ev.offsetX + 12}px`;
    tip.style.top = `${ev.offsetY + 12}px`;
    tip.hidden = false;
  };
  r.canvas.addEventListener('pointermove', (ev) => {
    if (!pending) requestAnimationFrame(update);
    pending = ev;
  });
  r.canvas.addEventListener('pointerleave', () => {
    tip.hidden = true;
  });
}
