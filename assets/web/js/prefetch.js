// Starts the first requests (the model list and the first graph) while the
// rest of the viewer's modules are still loading. It imports nothing, so
// it runs as soon as it arrives; main.js picks the promises up.

const params = new URLSearchParams(location.search);
const expand = params.get('expand') === 'all' ? '&expand=all' : '';
const want = params.get('model');

function get(url) {
  return fetch(url, { credentials: 'same-origin' });
}

const list = get('/api/models');
const graph = (want ? Promise.resolve(want) : list.then((r) => (r.ok ? r.clone().json() : [])).then((l) => (l && l.length ? l[0].id : null)))
  .then((id) => (id ? get(`/api/models/${encodeURIComponent(id)}/graph?path=${expand}`).then((res) => ({ id, res })) : null))
  .catch(() => null);

window.modelpeekPrefetch = { list, graph, expand: expand !== '' };
