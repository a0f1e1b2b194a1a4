// Scene: a View prepared for drawing (typed arrays, spatial indexes) and the
// Canvas 2D drawing of any rectangle of it at any scale, with level of
// detail. Used by the on-screen renderer and by PNG export.

import { buildGrid, queryGrid } from './grid.js';
import { category } from './colors.js';
import { drawMarks } from './nodemarks.js';

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';

/**
 * categories returns every node's colour class. A compact view's nodes
 * share their kinds, labels and categories as string indexes: a class
 * the layout named is read as it is, any other is worked out once per
 * distinct kind and label, not once per node.
 */
function categories(view, nodes) {
  const c = view.cols;
  if (!c) return nodes.map(category);
  const memo = new Map(); // kind index → label index → class
  const n = nodes.length; // read once: a compact view's list is a proxy
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    if (c.cat[i]) {
      out[i] = c.str(c.cat[i]); // the layout named it
      continue;
    }
    let byLabel = memo.get(c.kind[i]);
    if (!byLabel) memo.set(c.kind[i], (byLabel = new Map()));
    let v = byLabel.get(c.label[i]);
    if (v === undefined) byLabel.set(c.label[i], (v = category(nodes[i])));
    out[i] = v;
  }
  return out;
}

/** Scene holds a View ready to draw. */
export class Scene {
  /**
   * @param {object} view the View
   * @param {boolean} deferEdges leave the edges and group frames to a
   *     later finish() (a first frame of the boxes comes sooner)
   */
  constructor(view, deferEdges) {
    this.view = view;
    const nodes = view.nodes || [];
    const edges = view.edges || [];
    const groups = view.groups || [];
    this.nodes = nodes;
    this.edges = edges;
    this.groups = groups;
    const n = nodes.length;
    const c = view.cols; // a compact view's columns: no getter per number, and its x and y as they are
    const nx0 = c ? c.x : new Float64Array(n), ny0 = c ? c.y : new Float64Array(n), nx1 = new Float64Array(n), ny1 = new Float64Array(n);
    this.ids = null; // byId, made on first use
    this.cats = categories(view, nodes);
    let bx0 = 0, by0 = 0, bx1 = view.width || 0, by1 = view.height || 0;
    for (let i = 0; i < n; i++) {
      if (c) {
        nx1[i] = nx0[i] + c.w[i];
        ny1[i] = ny0[i] + c.h[i];
      } else {
        const nd = nodes[i];
        nx0[i] = nd.x;
        ny0[i] = nd.y;
        nx1[i] = nd.x + nd.w;
        ny1[i] = nd.y + nd.h;
      }
      if (nx0[i] < bx0) bx0 = nx0[i];
      if (ny0[i] < by0) by0 = ny0[i];
      if (nx1[i] > bx1) bx1 = nx1[i];
      if (ny1[i] > by1) by1 = ny1[i];
    }
    this.bounds = { x0: bx0, y0: by0, x1: bx1, y1: by1 };
    this.nodeGrid = buildGrid(n, nx0, ny0, nx1, ny1, bx0, by0, bx1, by1);
    // Edges and group frames come with finish(): at once, or after a
    // first frame of the boxes alone when the caller defers them.
    const none = new Float64Array(0);
    this.edgeGrid = this.groupGrid = buildGrid(0, none, none, none, none, bx0, by0, bx1, by1);
    [this.pts, this.poff, this.ptsScale] = [none, new Int32Array(1), 1];
    this.finished = false;
    this.widthCache = new Map();
    // The layout's text metric (layout/metric.go): boxes were sized with it.
    const mm = view.metric || {};
    this.metric = {
      font: mm.font || '12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      lineHeight: mm.lineHeight || 16,
      padX: mm.padX || 8,
      padY: mm.padY || 6,
    };
    this.fontFamily = this.metric.font.replace(/^\s*[\d.]+px\s*/, '') || FONT;
    if (!deferEdges) this.finish();
  }

  /**
   * finish indexes the edges and group frames (the constructor does unless
   * deferEdges); until then the scene draws the boxes alone.
   */
  finish() {
    if (this.finished) return;
    const { edges, groups } = this;
    let { x0: bx0, y0: by0, x1: bx1, y1: by1 } = this.bounds;
    const m = edges.length;
    // Every route's numbers in one array: edge i's are pts[poff[i]] up to
    // pts[poff[i + 1]] (a compact view has them so already).
    // pts[k] / ps is a number of a route (a compact view's are scaled
    // integers).
    const cols = this.view.cols;
    const [pts, poff, ps] = cols ? [cols.pts, cols.pstart, cols.ptsScale] : [...routes(edges), 1];
    const ex0 = new Float64Array(m), ey0 = new Float64Array(m), ex1 = new Float64Array(m), ey1 = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
      for (let k = poff[i]; k + 1 < poff[i + 1]; k += 2) {
        if (pts[k] < a) a = pts[k];
        if (pts[k] > c) c = pts[k];
        if (pts[k + 1] < b) b = pts[k + 1];
        if (pts[k + 1] > d) d = pts[k + 1];
      }
      if (a === Infinity) a = b = c = d = 0;
      if (ps !== 1) {
        a /= ps;
        b /= ps;
        c /= ps;
        d /= ps;
      }
      ex0[i] = a;
      ey0[i] = b;
      ex1[i] = c;
      ey1[i] = d;
      if (a < bx0) bx0 = a;
      if (b < by0) by0 = b;
      if (c > bx1) bx1 = c;
      if (d > by1) by1 = d;
    }
    this.bounds = { x0: bx0, y0: by0, x1: bx1, y1: by1 };
    const gn = groups.length;
    // A compact view's groups are made when read: its columns instead.
    const gx0 = cols ? cols.gx : new Float64Array(gn), gy0 = cols ? cols.gy : new Float64Array(gn), gx1 = new Float64Array(gn), gy1 = new Float64Array(gn);
    for (let i = 0; i < gn; i++) {
      if (cols) {
        gx1[i] = gx0[i] + cols.gw[i];
        gy1[i] = gy0[i] + cols.gh[i];
        continue;
      }
      const g = groups[i];
      gx0[i] = g.x;
      gy0[i] = g.y;
      gx1[i] = g.x + g.w;
      gy1[i] = g.y + g.h;
    }
    this.groupGrid = buildGrid(gn, gx0, gy0, gx1, gy1, bx0, by0, bx1, by1);
    this.edgeGrid = buildGrid(m, ex0, ey0, ex1, ey1, bx0, by0, bx1, by1);
    [this.pts, this.poff, this.ptsScale] = [pts, poff, ps];
    this.finished = true;
  }

  /** byId maps node IDs to their index (made when first asked for). */
  get byId() {
    if (!this.ids) {
      this.ids = new Map();
      const c = this.view.cols, n = this.nodes.length;
      // A compact view's IDs come from its columns, without a node object each.
      for (let i = 0; i < n; i++) this.ids.set(c ? c.str(c.id[i]) : this.nodes[i].id, i);
    }
    return this.ids;
  }

  /** nodesIn returns indices of nodes intersecting a world rectangle. */
  nodesIn(x0, y0, x1, y1) {
    return queryGrid(this.nodeGrid, x0, y0, x1, y1, []);
  }

  /** edgesIn returns indices of edges whose bounds intersect a rectangle. */
  edgesIn(x0, y0, x1, y1) {
    return queryGrid(this.edgeGrid, x0, y0, x1, y1, []);
  }

  /** nodeAt returns the index of the node under a world point, or -1. */
  nodeAt(x, y) {
    const hits = this.nodesIn(x, y, x, y);
    let best = -1;
    for (const i of hits) if (best < 0 || i > best) best = i;
    return best;
  }

  /** groupHeaderAt returns the expanded group whose title strip is at x, y. */
  groupHeaderAt(x, y) {
    let best = null;
    for (const i of queryGrid(this.groupGrid, x, y, x, y, [])) {
      const g = this.groups[i];
      if (g.collapsed) continue;
      if (x >= g.x && x <= g.x + g.w && y >= g.y && y <= g.y + 18) {
        if (!best || g.w * g.h < best.w * best.h) best = g;
      }
    }
    return best;
  }

  textWidth(ctx, s) {
    let w = this.widthCache.get(s);
    if (w === undefined) {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.font = `12px ${this.fontFamily}`;
      w = ctx.measureText(s).width / 12;
      ctx.restore();
      if (this.widthCache.size > 50000) this.widthCache.clear();
      this.widthCache.set(s, w);
    }
    return w;
  }

  /** fit returns s shortened with an ellipsis to fit maxW at font size fs. */
  fitText(ctx, s, fs, maxW) {
    s = String(s);
    const w = this.textWidth(ctx, s) * fs;
    if (w <= maxW) return s;
    const keep = Math.floor((s.length * maxW) / w) - 1;
    if (keep <= 0) return '';
    return s.slice(0, keep) + '…';
  }

  /**
   * draw paints the world rectangle r = {x0, y0, x1, y1} onto ctx, whose
   * transform must already map world to device pixels with scale px
   * (device pixels per world unit) and z (CSS pixels per world unit).
   * opt: {theme, z, px, select, hits, current, changed, changedAlpha, edgeLabels}
   */
  draw(ctx, r, opt) {
    const t = opt.theme;
    const z = opt.z;
    const onePx = 1 / opt.px; // one device pixel in world units
    const cssPx = 1 / z;
    // Group frames behind everything.
    if (z > 0.02) this.drawFrames(ctx, r, opt);
    // Edges.
    const eidx = this.edgesIn(r.x0, r.y0, r.x1, r.y1);
    this.drawEdges(ctx, eidx, opt, onePx, cssPx);
    // Nodes.
    const nidx = this.nodesIn(r.x0, r.y0, r.x1, r.y1);
    const detail = z >= 0.22;
    if (!detail) {
      this.drawBoxes(ctx, nidx, t, onePx, r);
    } else {
      const text = z * 11 >= 4.5;
      for (const i of nidx) this.drawNode(ctx, i, t, text, cssPx);
    }
    if (opt.edgeLabels && z >= 0.55) this.drawEdgeLabels(ctx, eidx, t);
    // Marks: changed, find hits, current hit, selection.
    const mark = (i, color, width, alpha) => {
      const nd = this.nodes[i];
      const pad = Math.max(2 * cssPx, 2);
      ctx.globalAlpha = alpha;
      ctx.strokeStyle = color;
      ctx.lineWidth = Math.max(width * cssPx, onePx);
      ctx.strokeRect(nd.x - pad, nd.y - pad, nd.w + 2 * pad, nd.h + 2 * pad);
      ctx.globalAlpha = 1;
    };
    if (opt.changed && opt.changedAlpha > 0) {
      for (const i of opt.changed) if (this.visible(i, r)) mark(i, t.changed, 4, opt.changedAlpha);
    }
    if (opt.hits) for (const i of opt.hits) if (this.visible(i, r)) mark(i, t.hit, 2, 0.9);
    if (opt.current >= 0 && this.visible(opt.current, r)) mark(opt.current, t.hit, 4, 1);
    if (opt.select >= 0 && this.visible(opt.select, r)) mark(opt.select, t.select, 3, 1);
  }

  visible(i, r) {
    const nd = this.nodes[i];
    return nd && nd.x <= r.x1 && nd.x + nd.w >= r.x0 && nd.y <= r.y1 && nd.y + nd.h >= r.y0;
  }

  drawFrames(ctx, r, opt) {
    const t = opt.theme;
    const cssPx = 1 / opt.z;
    const fs = 11;
    const idx = queryGrid(this.groupGrid, r.x0, r.y0, r.x1, r.y1, []);
    idx.sort((a, b) => a - b); // outer groups first, as the layout lists them
    for (const i of idx) {
      const g = this.groups[i];
      if (g.collapsed) continue;
      if (g.x > r.x1 || g.x + g.w < r.x0 || g.y > r.y1 || g.y + g.h < r.y0) continue;
      if (g.w * opt.z < 6 || g.h * opt.z < 6) continue;
      ctx.fillStyle = t.frameFill;
      ctx.fillRect(g.x, g.y, g.w, g.h);
      ctx.strokeStyle = t.frame;
      ctx.lineWidth = cssPx;
      ctx.strokeRect(g.x, g.y, g.w, g.h);
      if (opt.z * fs >= 5) {
        ctx.fillStyle = t.muted;
        ctx.font = `${fs}px ${FONT}`;
        ctx.textBaseline = 'middle';
        ctx.textAlign = 'left';
        ctx.fillText(this.fitText(ctx, '⊟ ' + g.label, fs, g.w - 8), g.x + 4, g.y + 9);
      }
    }
  }

  drawEdges(ctx, eidx, opt, onePx, cssPx) {
    const t = opt.theme;
    const z = opt.z;
    const minLen = 1.5 * cssPx;
    const smooth = z > 0.3;
    ctx.beginPath();
    let drawn = 0;
    const arrows = z > 0.35;
    const heads = [];
    const pts = this.pts, inv = 1 / this.ptsScale; // exact: the scale is a power of two
    const p = (j) => pts[j] * inv; // a compact view's are scaled integers
    for (const i of eidx) {
      const g = this.edgeGrid;
      if (g.x1[i] - g.x0[i] < minLen && g.y1[i] - g.y0[i] < minLen) continue;
      const s = this.poff[i], k = this.poff[i + 1];
      if (k - s < 4) continue;
      drawn++;
      ctx.moveTo(p(s), p(s + 1));
      if (!smooth || k - s === 4) {
        for (let j = s + 2; j < k; j += 2) ctx.lineTo(p(j), p(j + 1));
      } else {
        // Quadratic curve through the midpoints of the control polygon.
        for (let j = s + 2; j + 3 < k; j += 2) {
          const mx = (p(j) + p(j + 2)) / 2, my = (p(j + 1) + p(j + 3)) / 2;
          ctx.quadraticCurveTo(p(j), p(j + 1), mx, my);
        }
        ctx.lineTo(p(k - 2), p(k - 1));
      }
      if (arrows) heads.push(i);
    }
    if (drawn) {
      ctx.strokeStyle = t.edge;
      ctx.lineWidth = Math.max(cssPx * 1.1, onePx);
      ctx.stroke();
    }
    if (heads.length) {
      ctx.beginPath();
      const s = 4.5;
      for (const i of heads) {
        const k = this.poff[i + 1];
        const x = p(k - 2), y = p(k - 1);
        let dx = x - p(k - 4), dy = y - p(k - 3);
        const len = Math.hypot(dx, dy) || 1;
        dx /= len;
        dy /= len;
        ctx.moveTo(x, y);
        ctx.lineTo(x - dx * s * 1.6 - dy * s, y - dy * s * 1.6 + dx * s);
        ctx.lineTo(x - dx * s * 1.6 + dy * s, y - dy * s * 1.6 - dx * s);
        ctx.closePath();
      }
      ctx.fillStyle = t.edge;
      ctx.fill();
    }
  }

  drawEdgeLabels(ctx, eidx, t) {
    const fs = 9;
    ctx.font = `${fs}px ${FONT}`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const done = new Set();
    for (const i of eidx) {
      const e = this.edges[i];
      if (!e.label || !e.points || e.points.length < 4) continue;
      // One label per tensor leaving a node, however many consumers.
      const key = `${e.from}|${e.value || e.label}`;
      if (done.has(key)) continue;
      done.add(key);
      // Just below the source: edges into one node carry different
      // tensors and would collide near the target; edges out of one node
      // carry the same tensor, so their labels coincide harmlessly.
      const p = e.points;
      const dx = p[2] - p[0], dy = p[3] - p[1];
      const len = Math.hypot(dx, dy) || 1;
      const along = Math.min(12, len / 2);
      const x = p[0] + (dx / len) * along;
      const y = p[1] + (dy / len) * along;
      const w = this.textWidth(ctx, e.label) * fs;
      ctx.fillStyle = t.bg;
      ctx.globalAlpha = 0.85;
      ctx.fillRect(x + 3, y - fs * 0.6, w + 2, fs * 1.2);
      ctx.globalAlpha = 1;
      ctx.fillStyle = t.muted;
      ctx.fillText(e.label, x + 4, y);
    }
  }

  drawBoxes(ctx, nidx, t, onePx, r) {
    // When boxes are about a device pixel or smaller, many fall on the same
    // pixel: draw one box per pixel and colour (an occupancy bitmap), so a
    // zoomed-out 100k-node graph costs a few thousand rectangles.
    let occ = null, ow = 0, oh = 0;
    const px = 1 / onePx;
    if (nidx.length > 5000) {
      ow = Math.ceil((r.x1 - r.x0) * px) + 1;
      oh = Math.ceil((r.y1 - r.y0) * px) + 1;
      if (ow * oh <= 16e6) occ = new Uint8Array(ow * oh);
      else occ = null;
    }
    const byCat = new Map();
    const catCode = new Map();
    for (const i of nidx) {
      if (occ) {
        const nd = this.nodes[i];
        if (nd.w * px < 2 && nd.h * px < 2) {
          const c = this.cats[i];
          let code = catCode.get(c);
          if (code === undefined) catCode.set(c, (code = (catCode.size % 254) + 1));
          const k = Math.floor((nd.y - r.y0) * px) * ow + Math.floor((nd.x - r.x0) * px);
          if (k >= 0 && k < occ.length) {
            if (occ[k] === code) continue;
            occ[k] = code;
          }
        }
      }
      const c = this.cats[i];
      let a = byCat.get(c);
      if (!a) byCat.set(c, (a = []));
      a.push(i);
    }
    for (const [c, a] of byCat) {
      ctx.beginPath();
      for (const i of a) {
        const nd = this.nodes[i];
        ctx.rect(nd.x, nd.y, Math.max(nd.w, onePx), Math.max(nd.h, onePx));
      }
      ctx.fillStyle = t.cat[c] || t.cat.op;
      ctx.fill();
    }
  }

  drawNode(ctx, i, t, text, cssPx) {
    const nd = this.nodes[i];
    const c = this.cats[i];
    const col = t.cat[c] || t.cat.op;
    const { x, y, w, h } = nd;
    const lines = nd.lines || [];
    ctx.lineWidth = cssPx;
    if (nd.kind === 'input' || nd.kind === 'output') {
      roundRect(ctx, x, y, w, h, Math.min(h / 2, 12));
      ctx.fillStyle = col;
      ctx.fill();
      if (text) this.label(ctx, nd.label || nd.name, x, y, w, h, 11, t.headText, true);
      return;
    }
    if (nd.kind === 'stub') {
      roundRect(ctx, x, y, w, h, 4);
      ctx.fillStyle = t.body;
      ctx.fill();
      ctx.setLineDash([3, 2]);
      ctx.strokeStyle = col;
      ctx.stroke();
      ctx.setLineDash([]);
      if (text) this.label(ctx, nd.label || nd.name, x, y, w, h, 10, t.muted, false);
      return;
    }
    if (nd.kind === 'group') {
      roundRect(ctx, x, y, w, h, 6);
      ctx.fillStyle = col;
      ctx.fill();
      ctx.strokeStyle = t.border;
      ctx.stroke();
      if (text) {
        const sub = nd.count ? `${nd.count} nodes${nd.costText ? ' · ' + nd.costText : ''}` : '';
        const size = (nd.lines || [])[1] || ''; // the weights inside: "218M params · 416 MiB"
        if (sub && size && h >= 44) {
          this.label(ctx, '⊞ ' + nd.label, x, y, w, h * 0.45, 11, t.text, true);
          this.label(ctx, sub, x, y + h * 0.36, w, h * 0.32, 10, t.muted, false);
          this.label(ctx, size, x, y + h * 0.62, w, h * 0.32, 10, t.muted, false);
        } else if (sub && h >= 30) {
          this.label(ctx, '⊞ ' + nd.label, x, y, w, h * 0.6, 11, t.text, true);
          this.label(ctx, sub, x, y + h * 0.5, w, h * 0.45, 10, t.muted, false);
        } else {
          this.label(ctx, '⊞ ' + nd.label + (sub ? ` (${sub})` : ''), x, y, w, h, 11, t.text, true);
        }
      }
      return;
    }
    // A model node: coloured title row, then a body with the extra lines,
    // placed with the layout's metric.
    const mt = this.metric;
    const head = lines.length ? Math.min(h, mt.padY + mt.lineHeight + 1) : h;
    roundRect(ctx, x, y, w, h, 4);
    ctx.fillStyle = lines.length ? t.body : col;
    ctx.fill();
    if (lines.length) {
      ctx.save();
      ctx.clip();
      ctx.fillStyle = col;
      ctx.fillRect(x, y, w, head);
      ctx.restore();
    }
    ctx.strokeStyle = t.border;
    ctx.stroke();
    drawMarks(ctx, nd, t, head);
    if (nd.subgraphs) {
      ctx.fillStyle = t.headText;
      ctx.beginPath();
      ctx.arc(x + w - 7, y + head / 2, 3, 0, Math.PI * 2);
      ctx.fill();
    }
    if (!text) return;
    this.label(ctx, nd.label, x, y, w, lines.length ? mt.padY * 2 + mt.lineHeight - 2 : h, 11.5, t.headText, true);
    if (lines.length) {
      ctx.font = `11px ${this.fontFamily}`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      ctx.fillStyle = t.text;
      for (let k = 0; k < lines.length; k++) {
        const cy = y + mt.padY + mt.lineHeight * (k + 1.5);
        if (cy > y + h) break;
        ctx.fillText(this.fitText(ctx, lines[k], 11, w - 2 * mt.padX + 4), x + mt.padX, cy);
      }
    }
  }

  label(ctx, s, x, y, w, h, fs, color, bold) {
    if (!s) return;
    const size = Math.min(fs, h * 0.75);
    ctx.font = `${bold ? '600 ' : ''}${size}px ${this.fontFamily}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = color;
    ctx.fillText(this.fitText(ctx, s, size * (bold ? 1.06 : 1), w - 6), x + w / 2, y + h / 2 + 0.5);
  }
}

/** routes puts the edges' routes in one array: [numbers, offsets]. */
function routes(edges) {
  const off = new Int32Array(edges.length + 1);
  for (let i = 0; i < edges.length; i++) off[i + 1] = off[i] + ((edges[i].points && edges[i].points.length) || 0);
  const pts = new Float64Array(off[edges.length]);
  for (let i = 0; i < edges.length; i++) if (edges[i].points) pts.set(edges[i].points, off[i]);
  return [pts, off];
}

function roundRect(ctx, x, y, w, h, r) {
  r = Math.max(0, Math.min(r, w / 2, h / 2));
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.lineTo(x + w - r, y);
  ctx.arcTo(x + w, y, x + w, y + r, r);
  ctx.lineTo(x + w, y + h - r);
  ctx.arcTo(x + w, y + h, x + w - r, y + h, r);
  ctx.lineTo(x + r, y + h);
  ctx.arcTo(x, y + h, x, y + h - r, r);
  ctx.lineTo(x, y + r);
  ctx.arcTo(x, y, x + r, y, r);
  ctx.closePath();
}
