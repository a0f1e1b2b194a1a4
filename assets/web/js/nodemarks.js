// Marks drawn on a node box beyond its text: a fused activation
// ("CONV_2D + RELU6", TFLite) gets a band in the activation colour along
// the bottom of its title row, so it reads as part of the operation.

/** drawMarks paints node nd's marks; head is its title row's height. */
export function drawMarks(ctx, nd, theme, head) {
  if (nd.kind !== 'op' || !nd.label || nd.label.indexOf(' + ') < 0) return;
  const band = Math.min(3, head / 5);
  ctx.fillStyle = theme.cat.activation || '#9b2d2d';
  ctx.fillRect(nd.x + 1, nd.y + head - band, nd.w - 2, band);
}
