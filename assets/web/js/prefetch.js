// Starts the first requests (the model list and the first graph) while the
// page and the viewer's modules are still loading, and decodes their JSON
// as soon as each arrives. It is a classic script
// at the top of <head>, so it runs as soon as it arrives; main.js picks the
// promises up from window.modelpeekPrefetch.
(() => {
  const params = new URLSearchParams(location.search);
  const expand = params.get('expand') === 'all' ? '&expand=all' : '';
  const wire = params.get('wire') !== '0'; // the compact view (wire.js)
  // packed: the compact view as gzip bytes the page inflates (wire.js's
  // packing; the modules inflate it, api.js's settle).
  const packed = wire && typeof DecompressionStream === 'function' && params.get('gz') !== '0';
  const want = params.get('model');
  const get = (url) => fetch(url, { credentials: 'same-origin' });
  // parse starts decoding a JSON reply as soon as it arrives, while the
  // modules are still loading: {res, value} when decoded, {res, gz} for a
  // packed view (the modules inflate it), {res, err} when the body cannot
  // be read, {res} when main.js must read the error itself.
  const parse = (res) => {
    const type = res.headers.get('Content-Type') || '';
    if (!res.ok || res.status === 204) return { res };
    if (type.includes('json')) return res.json().then((value) => ({ res, value }), (err) => ({ res, err }));
    if (type.includes('vnd.modelpeek.view+gzip')) return res.arrayBuffer().then((gz) => ({ res, gz }), (err) => ({ res, err }));
    if (type.includes('vnd.modelpeek.view')) return res.arrayBuffer().then((value) => ({ res, value }), (err) => ({ res, err }));
    return { res };
  };
  const graphOf = (id) =>
    id ? get(`/api/models/${encodeURIComponent(id)}/graph?path=${expand}${packed ? '&wire=1&gz=1' : wire ? '&wire=1' : ''}`).then(parse).then((p) => ({ id, ...p })) : null;
  // The graph first (the token exchange names the model in the URL); only
  // without ?model= does it wait for the list (the first open model).
  // The compare view (?compare=) asks for its own graphs.
  const comparing = !!params.get('compare');
  performance.mark('prefetch');
  const named = want && !comparing ? graphOf(want) : null;
  const list = get('/api/models').then(parse);
  const graph = comparing
    ? Promise.resolve(null)
    : (named || list.then((p) => graphOf(Array.isArray(p.value) && p.value.length ? p.value[0].id : null))).catch(() => null);
  // Nobody may wait for the list when main.js fails to load.
  list.catch(() => {});
  const pf = { list, graph, expand: expand !== '', wire };
  // graphIn: the graph's reply is in (loading.js warms the canvas and the
  // fonts only while it is not).
  graph.then(() => {
    pf.graphIn = true;
  });
  window.modelpeekPrefetch = pf;

  // warmFonts draws a little text offscreen, so that font loading and
  // glyph rasterisation happen while the graph is on its way (the fonts
  // are those of scene.js and the layout's text metric). loading.js calls
  // it only while it waits for the graph: run at once, it held up the
  // viewer's start by as long as it took.
  window.modelpeekPrefetch.warmFonts = () => {
    const ctx = document.createElement('canvas').getContext('2d');
    const mono = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
    const sans = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
    for (const f of [`600 11.5px ${mono}`, `11px ${mono}`, `9px ${sans}`, `11px ${sans}`]) {
      ctx.font = f;
      ctx.fillText('Conv 0123456789×', 0, 8);
    }
  };
})();
