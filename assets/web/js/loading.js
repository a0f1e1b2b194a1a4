// Loading: the first model list and graph (taken from prefetch.js), graph
// requests, live reload over the server's event stream, and quitting.

import { $, show } from './dom.js';
import { api, settle } from './api.js';
import { Scene } from './scene.js';
import { setState, showError, hideError, banner, updateStatus, showQuit } from './render.js';
import { syncModels, switchTo, showEmpty, renderTabs, renderBreadcrumb, loadInfo, openDetail, clearSelection } from './panels.js';
import { runFind } from './findbar.js';
import { decodeWire, isWire } from './wire.js';
import { startCompare, refreshCompare } from './compare.js';
import { reloadDiff, waitEngine, showReloadChanges } from './reloadmarks.js';

/**
 * loadGraph fetches and draws the current graph of tab. opts.camera keeps a
 * viewport; opts.reload marks a live reload (keep the old graph on error);
 * opts.anchor(scene) may move the camera before the first frame.
 */
export async function loadGraph(app, tab, opts) {
  tab.pending = (tab.pending || 0) + 1; // see onModelEvent
  try {
    return await loadGraphNow(app, tab, opts || {});
  } finally {
    tab.pending--;
  }
}

/** loadGraphNow is loadGraph's work. */
async function loadGraphNow(app, tab, opts) {
  const seq = ++app.loadSeq;
  if (!opts.reload) {
    hideError();
    show($('nograph'), false);
    setState(app, 'loading');
  }
  const engine = opts.reload && tab.view ? reloadDiff(tab) : null;
  let view;
  const stopInterim = opts.reload ? null : interimView(app, tab, seq);
  try {
    performance.mark('graph-fetch');
    const pre = await takePrefetched(app, tab);
    view = pre ? await settle(Promise.resolve(pre)) : await api.graph(tab.id, tab.pathString(), tab.expandParam(), tab.collapseParam(), app.wire);
    if (seq !== app.loadSeq) return; // another load took over: no decoding
    if (isWire(view)) view = decodeWire(view);
    performance.mark('graph-parsed');
  } catch (e) {
    if (seq !== app.loadSeq) return;
    return graphFailed(app, tab, opts, e);
  } finally {
    if (stopInterim) stopInterim(); // the answer is in, or another load took over
  }
  await waitEngine(engine);
  if (seq !== app.loadSeq || app.cur !== tab) return;
  const old = tab.view;
  tab.view = view;
  let scene;
  try {
    scene = await drawGraph(app, view, opts, seq);
  } catch (e) {
    // A view that cannot be drawn (a damaged string table is found when
    // its strings are first read) is an error shown, not a page left
    // loading.
    if (seq !== app.loadSeq) return;
    tab.view = old;
    return graphFailed(app, tab, opts, e);
  }
  if (!scene) return; // another load took over while drawing
  renderBreadcrumb(app, tab);
  keepSelection(app, scene, opts.reload);
  if (opts.reload && old) showReloadChanges(app, tab, scene, old, view, engine);
  if (!$('find').hidden) runFind(app, false);
  updateStatus(app);
}

/**
 * interimAfterMs is how long a view may take before an interim one shows;
 * interimEveryMs how often the page asks again while there is none yet.
 */
const interimAfterMs = 300;
const interimEveryMs = 400;

/**
 * interimView shows, while the view tab wants is still being laid out (a
 * big graph with every group open takes seconds), the graph's default
 * view once the server has it laid out (it lays it out first when a model
 * loads, and before such a view of a big graph: server/interim.go): the
 * page shows the model's shape early, the state stays "loading" and a
 * note says every node is on its way. It asks with ?cached=1, which never
 * starts a layout, again every interimEveryMs until there is one (a model
 * still being read has none). It returns the function that stops it,
 * called when the wanted view is in.
 */
function interimView(app, tab, seq) {
  if (!tab.expandParam() && !tab.collapseParam()) return null; // the default view is the one wanted
  let stopped = false;
  let timer = 0;
  const wanted = () => !stopped && seq === app.loadSeq && app.cur === tab;
  const ask = async () => {
    let view;
    try {
      view = await api.graph(tab.id, tab.pathString(), '', '', app.wire, true);
      if (view && isWire(view)) view = decodeWire(view);
    } catch (e) {
      return; // only an interim: the wanted view's answer says what failed
    }
    if (!wanted()) return;
    if (!view) {
      timer = setTimeout(ask, interimEveryMs);
      return;
    }
    const scene = new Scene(view, false);
    app.scene = scene;
    app.renderer.setScene(scene, false);
    app.graphEl.dataset.interim = '1';
    performance.mark('interim');
  };
  timer = setTimeout(ask, interimAfterMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * graphFailed handles a graph request's error e: a reload falls back to the
 * main graph or keeps the last good version; otherwise the error shows.
 */
function graphFailed(app, tab, opts, e) {
  if (opts.reload && (tab.path.length || tab.root)) {
    // The open subgraph is gone: go back to the main graph.
    tab.path = [];
    tab.root = '';
    return loadGraph(app, tab, opts);
  }
  if (opts.reload && app.scene) {
    banner(`The new version could not be shown: ${e.message}. Showing the last good version.`);
    return;
  }
  app.scene = null;
  app.renderer.setScene(null);
  showError(app, friendly(e.message, tab));
  renderBreadcrumb(app, tab);
  updateStatus(app);
}

/**
 * drawGraph makes view the shown scene, draws it and returns the scene
 * (null when load seq was overtaken meanwhile). A large graph is drawn
 * progressively: its boxes first, then, after a frame, edges and frames.
 */
async function drawGraph(app, view, opts, seq) {
  const r = app.renderer;
  const big = (view.nodes || []).length >= progressiveNodes(app);
  const scene = new Scene(view, big);
  performance.mark('scene-built');
  app.scene = scene;
  r.setScene(scene, !!opts.camera);
  if (opts.camera) r.setCamera(opts.camera);
  if (opts.anchor) opts.anchor(scene);
  r.draw();
  if (big) {
    performance.mark('first-frame');
    await nextFrame();
    if (seq !== app.loadSeq) return null;
    scene.finish();
    r.draw();
  }
  performance.mark('drawn');
  const st = view.stats || {};
  hideError();
  show($('nograph'), !(view.nodes && view.nodes.length));
  setState(app, 'ready', st.modelNodes ?? 0, st.modelEdges ?? 0);
  return scene;
}

/**
 * progressiveNodes is the node count from which a graph is drawn in two
 * steps (?progressive=N changes it, for tests).
 */
function progressiveNodes(app) {
  const n = parseInt(app.params.get('progressive') || '', 10);
  return n > 0 ? n : 20000;
}

/**
 * nextFrame resolves after the browser has shown a frame (or 100 ms on,
 * as a hidden page gets no frames).
 */
function nextFrame() {
  return new Promise((resolve) => {
    let done = false;
    const go = () => {
      if (done) return;
      done = true;
      setTimeout(resolve, 0);
    };
    requestAnimationFrame(go);
    setTimeout(go, 100);
  });
}

/**
 * keepSelection selects the previously selected node in the new scene when
 * it still exists (by ID, else by name: IDs are stable within a version
 * only), and otherwise clears the selection.
 */
function keepSelection(app, scene, reload) {
  if (!app.selectedId) return;
  let i = scene.byId.get(app.selectedId);
  if (i === undefined && app.selectedName) {
    const k = scene.nodes.findIndex((n) => n.name === app.selectedName);
    if (k >= 0) {
      i = k;
      app.selectedId = scene.nodes[k].id;
    }
  }
  if (i === undefined) {
    clearSelection(app);
    return;
  }
  app.renderer.select = i;
  if (reload) openDetail(app, i);
}

/**
 * takePrefetched returns the first graph response prefetch.js started, when
 * it is the one wanted now (used once).
 */
async function takePrefetched(app, tab) {
  const pf = window.modelpeekPrefetch;
  if (!pf || !pf.graph) return null;
  const p = pf.graph;
  pf.graph = null;
  // Still on its way: warm the fonts and the canvas meanwhile (once), in
  // a task of its own. A reply that is in but not yet handed over (its
  // task queued behind the modules' start) goes first, and the warming
  // is then left out (the first drawing does that work): run at once, it
  // held such a 2,000-node page up by 15-40 ms.
  const warmFonts = pf.warmFonts;
  pf.warmFonts = null;
  if (!pf.graphIn && warmFonts) {
    setTimeout(() => {
      if (pf.graphIn) return;
      warmFonts();
      app.renderer.warm();
    }, 0);
  }
  const got = await p;
  if (!got || got.id !== tab.id || tab.path.length || tab.root) return null;
  if (pf.expand !== (tab.expand === 'all') || pf.wire !== app.wire) return null;
  if ((tab.expand !== 'all' && tab.expand.size) || tab.collapse.size) return null;
  return got;
}

/** friendly words an error about tab's model for the page. */
export function friendly(msg, tab) {
  const name = (tab && tab.info && tab.info.name) || 'this model';
  if (!msg) return `Could not show ${name}.`;
  // Decoder errors often start with the file name already.
  if (msg.startsWith(name + ': ')) msg = msg.slice(name.length + 2);
  return `Could not show ${name}: ${msg}`;
}

/**
 * onModelEvent handles a model's reload event ({id, version, error}): an
 * error keeps the last good graph, a new version reloads the shown graph
 * (or drops a hidden tab's view).
 */
export function onModelEvent(app, ev) {
  const tab = app.tabs.get(ev.id);
  if (!tab) return;
  if (ev.error) {
    tab.info = Object.assign({}, tab.info, { error: ev.error });
    renderTabs(app);
    if (app.cur === tab) {
      if (app.scene) banner(`${tab.info.name || 'The model'} changed but could not be read: ${ev.error}. Showing the last good version.`);
      else showError(app, friendly(ev.error, tab));
    }
    return;
  }
  if (ev.version !== undefined && ev.version <= tab.version && !tab.info.error) return;
  // The model's first load ended while the page's first graph request
  // waited for it (the server answers once the model is loaded): that
  // answer is of this version, so asking again would lay out and decode
  // the same view twice (seconds, for a big graph).
  const firstLoad = !tab.version && !tab.view && tab.pending > 0 && !tab.info.error;
  tab.version = ev.version || tab.version + 1;
  tab.info = Object.assign({}, tab.info, { error: '', version: tab.version });
  renderTabs(app);
  refreshCompare(app, tab.id);
  if (app.cur !== tab) {
    tab.view = null;
    return;
  }
  banner('');
  // The model's properties (and the sidebar's parameter and cost figures,
  // seconds of server work for a big graph) are asked for once the graph
  // is drawn, not beside its layout: switchTo does so after the first
  // load, and a reload after its graph.
  if (firstLoad) return;
  loadGraph(app, tab, { camera: app.scene ? app.renderer.camera() : null, reload: true }).finally(() => {
    if (app.cur === tab) loadInfo(app, tab);
  });
}

/**
 * connectEvents follows the server's event stream: "models" (the list) and
 * "model" (one model reloaded). When the stream breaks because the server
 * is gone (after Quit, here or in the tray), the page says so.
 */
function connectEvents(app) {
  if (!window.EventSource) return;
  const es = new EventSource('/api/events', { withCredentials: true });
  es.addEventListener('models', (m) => {
    try {
      syncModels(app, JSON.parse(m.data));
      if (!app.cur && app.order.length) switchTo(app, app.order[0]);
    } catch (e) {
      console.warn('bad models event', e);
    }
  });
  es.addEventListener('model', (m) => {
    try {
      onModelEvent(app, JSON.parse(m.data));
    } catch (e) {
      console.warn('bad model event', e);
    }
  });
  es.addEventListener('error', async () => {
    if (app.quitting || !(await reachable())) {
      es.close();
      showQuit(app);
    }
  });
}

/** reachable reports whether the server still answers. */
async function reachable() {
  try {
    await fetch('/api/models', { credentials: 'same-origin', cache: 'no-store' });
    return true;
  } catch (e) {
    return false;
  }
}

/**
 * quit asks the server to quit modelpeek (POST /api/quit) and then shows
 * that it has; an error goes to the banner.
 */
export async function quit(app) {
  app.quitting = true;
  try {
    await api.quit();
  } catch (e) {
    app.quitting = false;
    banner(`Could not quit modelpeek: ${e.message}`);
    return;
  }
  showQuit(app);
}

/**
 * start shows the first model: the one in ?model=, else the first open
 * one, else the empty page; then it follows the event stream.
 */
export async function start(app) {
  performance.mark('start');
  let list;
  try {
    const pf = window.modelpeekPrefetch;
    list = pf && pf.list ? await settle(pf.list) : await api.models();
    performance.mark('list');
  } catch (e) {
    showError(app, e.message);
    return;
  }
  syncModels(app, list || []);
  performance.mark('synced');
  connectEvents(app);
  if (startCompare(app)) return;
  const want = app.params.get('model');
  if (want && app.tabs.has(want)) await switchTo(app, want);
  else if (want) {
    showError(app, `The model "${want}" is not open. It may have been closed; open it again from the tray or drop the file here.`);
  } else if (app.order.length) await switchTo(app, app.order[0]);
  else showEmpty(app);
}
