// Export the whole graph as SVG text or a PNG image.

import { FONT } from './scene.js';

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function num(v) {
  return Math.round(v * 100) / 100;
}

/** toSVG renders every node, edge and group frame of a Scene as SVG text. */
export function toSVG(scene, t, edgeLabels) {
  const b = scene.bounds;
  const pad = 10;
  const x0 = b.x0 - pad, y0 = b.y0 - pad;
  const w = b.x1 - b.x0 + 2 * pad, h = b.y1 - b.y0 + 2 * pad;
  const out = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>\n`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${num(x0)} ${num(y0)} ${num(w)} ${num(h)}" width="${num(w)}" height="${num(h)}" font-family="${esc(FONT)}">\n`);
  out.push(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="${t.edge}"/></marker></defs>\n`);
  out.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${num(w)}" height="${num(h)}" fill="${t.bg}"/>\n`);
  out.push('<g class="groups">\n');
  for (const g of scene.groups) {
    if (g.collapsed) continue;
    out.push(`<g><rect x="${num(g.x)}" y="${num(g.y)}" width="${num(g.w)}" height="${num(g.h)}" fill="${t.frameFill}" stroke="${t.frame}"/>`);
    out.push(`<text x="${num(g.x + 4)}" y="${num(g.y + 13)}" font-size="11" fill="${t.muted}">${esc(g.label)}</text></g>\n`);
  }
  out.push('</g>\n<g class="edges" fill="none">\n');
  for (const e of scene.edges) {
    const p = e.points || [];
    if (p.length < 4) continue;
    let d = `M${num(p[0])},${num(p[1])}`;
    for (let k = 2; k < p.length; k += 2) d += `L${num(p[k])},${num(p[k + 1])}`;
    out.push(`<path d="${d}" stroke="${t.edge}" marker-end="url(#arrow)"/>\n`);
    if (edgeLabels && e.label) {
      const dx = p[2] - p[0], dy = p[3] - p[1];
      const len = Math.hypot(dx, dy) || 1;
      const along = Math.min(12, len / 2);
      out.push(`<text x="${num(p[0] + (dx / len) * along + 4)}" y="${num(p[1] + (dy / len) * along + 3)}" font-size="9" fill="${t.muted}">${esc(e.label)}</text>\n`);
    }
  }
  out.push('</g>\n<g class="nodes">\n');
  scene.nodes.forEach((n, i) => {
    const col = t.cat[scene.cats[i]] || t.cat.op;
    const r = n.kind === 'input' || n.kind === 'output' ? Math.min(n.h / 2, 12) : 4;
    const lines = n.lines || [];
    const head = lines.length ? Math.min(n.h / (1 + lines.length) + 2, 24) : n.h;
    out.push(`<g class="node ${esc(n.kind)}" data-id="${esc(n.id)}">`);
    out.push(`<rect x="${num(n.x)}" y="${num(n.y)}" width="${num(n.w)}" height="${num(n.h)}" rx="${r}" fill="${lines.length || n.kind === 'stub' ? t.body : col}" stroke="${n.kind === 'stub' ? col : t.border}"${n.kind === 'stub' ? ' stroke-dasharray="3 2"' : ''}/>`);
    if (lines.length) out.push(`<rect x="${num(n.x)}" y="${num(n.y)}" width="${num(n.w)}" height="${num(head)}" rx="${r}" fill="${col}"/>`);
    const title = n.kind === 'group' ? `${n.label}${n.count ? ` (${n.count} nodes)` : ''}` : n.label || n.name || '';
    const fg = n.kind === 'stub' || n.kind === 'group' ? t.text : t.headText;
    out.push(`<text x="${num(n.x + n.w / 2)}" y="${num(n.y + head / 2 + 4)}" font-size="11" font-weight="600" text-anchor="middle" fill="${fg}">${esc(title)}</text>`);
    const lh = lines.length ? (n.h - head) / lines.length : 0;
    lines.forEach((l, k) => {
      out.push(`<text x="${num(n.x + 4)}" y="${num(n.y + head + lh * (k + 0.5) + 3)}" font-size="10" fill="${t.text}">${esc(l)}</text>`);
    });
    out.push('</g>\n');
  });
  out.push('</g>\n</svg>\n');
  return out.join('');
}

/**
 * toPNG draws the whole Scene onto an offscreen canvas, as large as memory
 * allows (at most 2 device pixels per unit, 16384 pixels a side, 32
 * megapixels), and resolves to a PNG Blob.
 */
export function toPNG(scene, t, edgeLabels) {
  const b = scene.bounds;
  const pad = 10;
  const w = b.x1 - b.x0 + 2 * pad, h = b.y1 - b.y0 + 2 * pad;
  const s = Math.min(2, 16384 / w, 16384 / h, Math.sqrt(32e6 / (w * h)));
  const cw = Math.max(1, Math.ceil(w * s)), ch = Math.max(1, Math.ceil(h * s));
  const canvas = document.createElement('canvas');
  canvas.width = cw;
  canvas.height = ch;
  const ctx = canvas.getContext('2d', { alpha: false });
  ctx.fillStyle = t.bg;
  ctx.fillRect(0, 0, cw, ch);
  const x0 = b.x0 - pad, y0 = b.y0 - pad;
  ctx.setTransform(s, 0, 0, s, -x0 * s, -y0 * s);
  scene.draw(ctx, { x0, y0, x1: x0 + w, y1: y0 + h }, { theme: t, z: s, px: s, select: -1, hits: null, current: -1, changed: null, changedAlpha: 0, edgeLabels });
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The image is too large to export as PNG.'))), 'image/png');
  });
}
