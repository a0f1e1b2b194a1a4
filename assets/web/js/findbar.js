// The find bar: search the shown graph as the user types, list the hits,
// and go from hit to hit (Enter, Shift+Enter, the arrows or a click in the
// list; choosing a hit closes the list over the graph).

import { $, el, clear, show, button } from './dom.js';
import { search } from './find.js';
import { loadGraph } from './loading.js';
import { selectNode } from './panels.js';

/** maxHits bounds the hits counted; maxListed those listed. */
const maxHits = 5000;
const maxListed = 200;

/** openFind shows the find bar and its list, and focuses the input. */
export function openFind() {
  show($('find'), true);
  show($('find-results'), true);
  $('find-input').focus();
  $('find-input').select();
}

/** closeFind hides the find bar and the hit marks. */
export function closeFind(app) {
  show($('find'), false);
  const r = app.renderer;
  r.hits = null;
  r.current = -1;
  r.request();
}

/**
 * runFind searches the shown scene for the input's text, marks the hits
 * and lists them; with jump it goes to the first hit.
 */
export function runFind(app, jump) {
  const q = $('find-input').value;
  const list = $('find-results');
  const r = app.renderer;
  clear(list);
  if (!app.scene || !q.trim()) {
    app.find = { hits: [], pos: -1 };
    $('find-count').textContent = '';
    r.hits = null;
    r.current = -1;
    r.request();
    return;
  }
  const hits = search(app.scene, q, maxHits);
  app.find = { hits, pos: -1 };
  r.hits = hits.map((h) => h.node);
  $('find-count').textContent = hits.length ? `${hits.length}${hits.length >= maxHits ? '+' : ''} found` : 'not found';
  if (hiddenInGroups(app)) list.append(expandButton(app));
  hits.slice(0, maxListed).forEach((h, k) => {
    const b = button('', `Show ${h.text}`, () => gotoHit(app, k), 'find-result');
    b.append(el('span', '', h.text), el('span', 'what', h.what));
    list.append(b);
  });
  r.request();
  if (jump && hits.length) gotoHit(app, 0);
}

/** hiddenInGroups reports whether collapsed groups hide nodes from find. */
function hiddenInGroups(app) {
  const st = app.scene.view.stats || {};
  return app.cur && app.cur.expand !== 'all' && st.totalNodes > st.modelNodes + (st.inlinedNodes || 0);
}

/** expandButton offers to open every group and search again. */
function expandButton(app) {
  return button('Search inside collapsed groups too', 'Expand every group and search again', () => {
    app.cur.expand = 'all';
    loadGraph(app, app.cur, {}).then(() => runFind(app, true));
  }, 'find-result find-expand');
}

/**
 * gotoHit centres and selects hit k (modulo the hit count) and closes the
 * list, keeping the bar open for the next Enter.
 */
export function gotoHit(app, k) {
  const h = app.find.hits;
  if (!h.length) return;
  k = ((k % h.length) + h.length) % h.length;
  app.find.pos = k;
  const i = h[k].node;
  app.renderer.current = i;
  app.renderer.centerOn(i, 0.9);
  selectNode(app, i);
  $('find-count').textContent = `${k + 1} of ${h.length}`;
  const items = $('find-results').querySelectorAll('.find-result:not(.find-expand)');
  for (let j = 0; j < items.length; j++) items[j].classList.toggle('current', j === k);
  show($('find-results'), false);
}

/**
 * initFind wires the find bar. Typing searches after a short pause (the
 * bar's own timer) and opens the list again.
 */
export function initFind(app) {
  const input = $('find-input');
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    show($('find-results'), true);
    timer = setTimeout(() => runFind(app, false), 120);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(timer);
      if (app.find.pos < 0 && !app.find.hits.length) runFind(app, false);
      gotoHit(app, app.find.pos + (e.shiftKey ? -1 : 1));
    } else if (e.key === 'Escape') {
      e.preventDefault();
      clearTimeout(timer);
      closeFind(app);
    }
  });
  $('find-next').addEventListener('click', () => gotoHit(app, app.find.pos + 1));
  $('find-prev').addEventListener('click', () => gotoHit(app, app.find.pos - 1));
  $('find-close').addEventListener('click', () => {
    clearTimeout(timer);
    closeFind(app);
  });
}
