// The reload highlight: what the new version of a model changed, as the
// server's comparison engine sees it (GET .../diff?against=previous, the
// same notion of "changed" as the compare view and `modelpeek diff`).
// When the server keeps no previous version (uploads, large or
// multi-file models) or a subgraph is shown, diff.js's comparison of the
// two drawn views is the fallback.

import { $ } from './dom.js';
import { api } from './api.js';
import { diffViews, summary } from './diff.js';
import { changes } from './render.js';

/** engineWait is how long a drawn reload waits for the engine's answer. */
const engineWait = 150;

/**
 * reloadDiff starts asking the engine what tab's reload changed, or
 * returns null when its answer would not apply (a subgraph is shown).
 * The result has within(ms), resolving when the answer is in or ms
 * passed, and settled, the answer once in ({diff} or {err}).
 */
export function reloadDiff(tab) {
  if (tab.path.length || tab.root) return null;
  const r = { settled: null };
  r.p = api.diff(tab.id, 'previous').then(
    (diff) => (r.settled = { diff }),
    (err) => (r.settled = { err }),
  );
  r.within = (ms) => Promise.race([r.p, new Promise((res) => setTimeout(res, ms))]);
  return r;
}

/** waitEngine waits briefly for the engine's answer (see engineWait). */
export function waitEngine(r) {
  return r ? r.within(engineWait) : Promise.resolve();
}

/**
 * showReloadChanges highlights in scene what tab's reload changed and
 * shows the summary: the engine's answer r when it applies to this
 * version, else the views' comparison, upgraded to the engine's when it
 * arrives later.
 */
export function showReloadChanges(app, tab, scene, old, view, r) {
  if (r && r.settled) {
    if (applyEngine(app, tab, scene, r.settled, true)) return;
  } else if (r) {
    r.p.then(() => app.scene === scene && applyEngine(app, tab, scene, r.settled, false));
  }
  const d = diffViews(old, view);
  const marks = [...d.added, ...d.changed].map((id) => scene.byId.get(id)).filter((i) => i !== undefined);
  app.renderer.highlight(marks, 4000);
  say(summary(d), 'views');
}

/**
 * applyEngine shows the engine's answer got when it is about tab's
 * current version and reports whether it did. fresh starts the
 * highlight; otherwise the running highlight's marks are replaced.
 */
function applyEngine(app, tab, scene, got, fresh) {
  const v = got && got.diff && got.diff.view;
  if (!v || v.version_b !== tab.version) return false;
  const at = (i) => scene.byId.get('n' + i);
  const marks = [...v.added, ...v.changed.map((c) => c.b)].map(at).filter((i) => i !== undefined);
  const r = app.renderer;
  if (fresh) r.highlight(marks, 4000);
  else if (r.changed) {
    r.changed = marks;
    r.request();
  }
  say(summary({ added: v.added, changed: v.changed, removed: v.removed.length }), 'engine');
  return true;
}

/** say shows the change summary and records where it came from. */
function say(text, source) {
  changes(text);
  $('changes').dataset.source = source;
}
