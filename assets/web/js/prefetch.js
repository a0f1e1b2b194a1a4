// Starts the first requests (the model list and the first graph) while the
// page and the viewer's modules are still loading. It is a classic script
// at the top of <head>, so it runs as soon as it arrives; main.js picks the
// promises up from window.modelpeekPrefetch.
(() => {
  const params = new URLSearchParams(location.search);
  const expand = params.get('expand') === 'all' ? '&expand=all' : '';
  const want = params.get('model');
  const get = (url) => fetch(url, { credentials: 'same-origin' });
  const list = get('/api/models');
  // Without ?model= the first open model is shown: chain on the list.
  const first = want
    ? Promise.resolve(want)
    : list.then((r) => (r.ok ? r.clone().json() : [])).then((l) => (Array.isArray(l) && l.length ? l[0].id : null));
  const graph = first
    .then((id) => (id ? get(`/api/models/${encodeURIComponent(id)}/graph?path=${expand}`).then((res) => ({ id, res })) : null))
    .catch(() => null);
  window.modelpeekPrefetch = { list, graph, expand: expand !== '' };

  // Draw a little text offscreen so that font loading and glyph
  // rasterisation happen while the modules and the graph are on their way
  // (the fonts are those of scene.js and the layout's text metric).
  const ctx = document.createElement('canvas').getContext('2d');
  const mono = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
  const sans = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
  for (const f of [`600 11.5px ${mono}`, `11px ${mono}`, `9px ${sans}`, `11px ${sans}`]) {
    ctx.font = f;
    ctx.fillText('Conv 0123456789×', 0, 8);
  }
})();
