// Small plots drawn on a canvas: a histogram of a tensor's values and the
// per-channel ranges of a weight. Both scale to the device pixel ratio and
// read their colours from the page's CSS variables.

/** prepare sizes canvas for w×h CSS pixels and returns its context. */
function prepare(canvas, w, h) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return ctx;
}

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/**
 * drawHistogram draws hist ({edges, counts}) as bars, the zero line when
 * zero is inside the range, and returns the number of bars drawn.
 */
export function drawHistogram(canvas, hist, w = 280, h = 96) {
  const ctx = prepare(canvas, w, h);
  const counts = (hist && hist.counts) || [];
  const edges = (hist && hist.edges) || [];
  if (!counts.length) return 0;
  const top = Math.max(...counts, 1);
  const pad = 2;
  const bw = (w - 2 * pad) / counts.length;
  ctx.fillStyle = cssVar('--accent', '#2f6fd6');
  let drawn = 0;
  counts.forEach((c, i) => {
    if (!c) return;
    // Square-root scale: rare values stay visible beside the bulk.
    const bh = Math.max(1, Math.sqrt(c / top) * (h - 2 * pad));
    ctx.fillRect(pad + i * bw, h - pad - bh, Math.max(bw - 1, 1), bh);
    drawn++;
  });
  const lo = edges[0], hi = edges[edges.length - 1];
  if (lo < 0 && hi > 0) {
    const x = pad + ((0 - lo) / (hi - lo)) * (w - 2 * pad);
    ctx.fillStyle = cssVar('--muted', '#5b626d');
    ctx.fillRect(x, 0, 1, h);
  }
  canvas.dataset.bars = String(drawn);
  return drawn;
}

/**
 * drawChannels draws each channel's range (min to max) as a vertical bar
 * with its mean as a dot, channels left to right; returns how many.
 */
export function drawChannels(canvas, ch, w = 280, h = 96) {
  const ctx = prepare(canvas, w, h);
  const lo = Math.min(...ch.min), hi = Math.max(...ch.max);
  const n = ch.min.length;
  if (!n || !(hi >= lo)) return 0;
  const span = hi - lo || 1;
  const pad = 3;
  const y = (v) => pad + (1 - (v - lo) / span) * (h - 2 * pad);
  const step = (w - 2 * pad) / n;
  if (lo < 0 && hi > 0) {
    ctx.fillStyle = cssVar('--line', '#d8dce2');
    ctx.fillRect(0, y(0), w, 1);
  }
  ctx.fillStyle = cssVar('--accent', '#2f6fd6');
  for (let i = 0; i < n; i++) {
    const x = pad + i * step;
    ctx.fillRect(x, y(ch.max[i]), Math.max(step - 0.5, 0.5), Math.max(1, y(ch.min[i]) - y(ch.max[i])));
  }
  ctx.fillStyle = cssVar('--text', '#1a1a1a');
  for (let i = 0; i < n; i++) ctx.fillRect(pad + i * step + step / 2 - 1, y(ch.mean[i]) - 1, 2, 2);
  canvas.dataset.channels = String(n);
  return n;
}
