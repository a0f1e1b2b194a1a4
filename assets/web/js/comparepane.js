// ComparePane: one side of the compare view. A GraphCanvas that also
// colours what changed (added, removed, changed) and, in overlay mode,
// draws the other side's removed nodes as ghosts next to where they were.
// Also the node links between two scenes (matched pairs, by view index).

import { GraphCanvas } from './canvas.js';
import { FONT } from './scene.js';

/** Colours of the change kinds (also in compare.css, for the list). */
export const KIND_COLOR = { added: '#16a34a', removed: '#dc2626', changed: '#d97706' };

/** ComparePane draws a Scene with change colours and ghost boxes. */
export class ComparePane extends GraphCanvas {
  constructor(canvas, on) {
    super(canvas, on);
    this.kinds = new Map(); // scene index → 'added' | 'removed' | 'changed'
    this.ghosts = []; // [{x, y, w, h, label}] removed nodes of the other side (overlay)
    this.syncedCam = null; // the camera last set by synchronisation
  }

  /** setMarks sets the change kind per scene index and the ghosts. */
  setMarks(kinds, ghosts) {
    this.kinds = kinds;
    this.ghosts = ghosts || [];
    this.request();
  }

  /** draw paints the graph, then the change colours and the ghosts. */
  draw() {
    super.draw();
    if (!this.scene) return;
    const ctx = this.ctx;
    const z = this.zoom;
    const px = z * this.dpr;
    ctx.setTransform(px, 0, 0, px, -this.camX * px, -this.camY * px);
    const r = { x0: this.camX, y0: this.camY, x1: this.camX + this.cssW / z, y1: this.camY + this.cssH / z };
    const cssPx = 1 / z;
    for (const [i, kind] of this.kinds) {
      if (!this.scene.visible(i, r)) continue;
      const nd = this.scene.nodes[i];
      const pad = Math.max(3 * cssPx, 3);
      ctx.globalAlpha = 0.22;
      ctx.fillStyle = KIND_COLOR[kind];
      ctx.fillRect(nd.x - pad, nd.y - pad, nd.w + 2 * pad, nd.h + 2 * pad);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = KIND_COLOR[kind];
      ctx.lineWidth = Math.max(3 * cssPx, 1 / px);
      ctx.strokeRect(nd.x - pad, nd.y - pad, nd.w + 2 * pad, nd.h + 2 * pad);
    }
    for (const g of this.ghosts) this.drawGhost(ctx, g, r, cssPx);
    // The selection on top of the change colours.
    if (this.select >= 0 && this.scene.visible(this.select, r)) {
      const nd = this.scene.nodes[this.select];
      const pad = Math.max(6 * cssPx, 6);
      ctx.strokeStyle = this.theme.select;
      ctx.lineWidth = Math.max(3 * cssPx, 1 / px);
      ctx.strokeRect(nd.x - pad, nd.y - pad, nd.w + 2 * pad, nd.h + 2 * pad);
    }
  }

  /** drawGhost draws a removed node of the other side as a dashed box. */
  drawGhost(ctx, g, r, cssPx) {
    if (g.x > r.x1 || g.x + g.w < r.x0 || g.y > r.y1 || g.y + g.h < r.y0) return;
    ctx.globalAlpha = 0.18;
    ctx.fillStyle = KIND_COLOR.removed;
    ctx.fillRect(g.x, g.y, g.w, g.h);
    ctx.globalAlpha = 1;
    ctx.setLineDash([6 * cssPx, 4 * cssPx]);
    ctx.strokeStyle = KIND_COLOR.removed;
    ctx.lineWidth = Math.max(2 * cssPx, 1 / (this.zoom * this.dpr));
    ctx.strokeRect(g.x, g.y, g.w, g.h);
    ctx.setLineDash([]);
    if (this.zoom * 11 < 4.5) return;
    ctx.fillStyle = KIND_COLOR.removed;
    ctx.font = `11px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText('− ' + g.label, g.x + g.w / 2, g.y + g.h / 2, g.w - 6);
  }

  /** click picks a ghost under the pointer before the graph's nodes. */
  click(sx, sy, dbl) {
    const [wx, wy] = this.toWorld(sx, sy);
    const g = !dbl && this.ghosts.find((g) => wx >= g.x && wx <= g.x + g.w && wy >= g.y && wy <= g.y + g.h);
    if (g && this.on.ghost) {
      this.on.ghost(g);
      return;
    }
    super.click(sx, sy, dbl);
  }

  /** screenOf returns the centre of scene node i in CSS pixels of the canvas. */
  screenOf(i) {
    const nd = this.scene && this.scene.nodes[i];
    if (!nd) return null;
    return { x: (nd.x + nd.w / 2 - this.camX) * this.zoom, y: (nd.y + nd.h / 2 - this.camY) * this.zoom };
  }

  /** shows reports whether scene node i is inside the viewport. */
  shows(i) {
    const p = this.screenOf(i);
    return !!p && p.x >= 0 && p.y >= 0 && p.x <= this.cssW && p.y <= this.cssH;
  }

  /**
   * nearestTo returns the scene index, among those for which ok(i) holds,
   * of the visible node nearest to screen point (sx, sy), or -1.
   */
  nearestTo(sx, sy, ok) {
    if (!this.scene) return -1;
    const [wx, wy] = this.toWorld(sx, sy);
    const z = this.zoom;
    const idx = this.scene.nodesIn(this.camX, this.camY, this.camX + this.cssW / z, this.camY + this.cssH / z);
    let best = -1, bd = Infinity;
    for (const i of idx) {
      if (!ok(i)) continue;
      const nd = this.scene.nodes[i];
      const d = Math.hypot(nd.x + nd.w / 2 - wx, nd.y + nd.h / 2 - wy);
      if (d < bd) (bd = d), (best = i);
    }
    return best;
  }
}

/**
 * links returns the node links between scenes sa and sb from the diff's
 * view pairs (model node indices) plus graph inputs and outputs matched
 * by name: ab[i] is the B scene index of A's node i (-1 when none), ba the
 * reverse.
 */
export function links(view, sa, sb) {
  const ab = new Int32Array(sa.nodes.length).fill(-1);
  const ba = new Int32Array(sb.nodes.length).fill(-1);
  const link = (i, j) => {
    if (i === undefined || j === undefined) return;
    ab[i] = j;
    ba[j] = i;
  };
  for (const [a, b] of view.pairs) link(sa.byId.get('n' + a), sb.byId.get('n' + b));
  const ends = new Map();
  sb.nodes.forEach((n, j) => {
    if ((n.kind === 'input' || n.kind === 'output') && n.name) ends.set(n.kind + '|' + n.name, j);
  });
  sa.nodes.forEach((n, i) => {
    if ((n.kind === 'input' || n.kind === 'output') && n.name) link(i, ends.get(n.kind + '|' + n.name));
  });
  return { ab, ba };
}
