// Interaction: clicks on the canvas (select, open and close groups, enter
// subgraphs), the toolbar buttons, Quit, and the keyboard.

import { $ } from './dom.js';
import { api } from './api.js';
import { banner } from './render.js';
import { selectNode, clearSelection, enterSubgraph, goUp } from './panels.js';
import { loadGraph, quit } from './loading.js';
import { openFind, closeFind } from './findbar.js';

/**
 * onCanvasClick handles a click on node i (-1: none) or, outside nodes,
 * on an open group's frame: a collapsed group opens, a frame closes its
 * group, a node is selected, empty space clears the selection.
 */
export function onCanvasClick(app, i, group) {
  if (i >= 0) {
    const n = app.scene.nodes[i];
    if (n.kind === 'group') {
      expandGroup(app, n);
      return;
    }
    selectNode(app, i);
    return;
  }
  if (group) {
    collapseGroup(app, group);
    return;
  }
  clearSelection(app);
}

/**
 * onCanvasDblClick enters node i's first subgraph. A node with several
 * (WHILE's condition and body, If's two branches) opens its first; the
 * sidebar lists all of them by name.
 */
export function onCanvasDblClick(app, i) {
  const n = app.scene && app.scene.nodes[i];
  if (!n) return;
  if (n.subgraphs > 0 && n.index >= 0) enterSubgraph(app, n.index, 0, n.subgraphs > 1 ? `${n.label} · subgraph 1 of ${n.subgraphs}` : n.label);
}

/**
 * anchorOn returns a loadGraph anchor keeping group id at screen point
 * (sx, sy) across the re-layout.
 */
function anchorOn(app, id, sx, sy) {
  return (scene) => {
    let x, y;
    const g = scene.groups.find((g) => g.id === id);
    const i = scene.byId.get(id);
    if (g && !g.collapsed) {
      x = g.x;
      y = g.y;
    } else if (i !== undefined) {
      x = scene.nodes[i].x;
      y = scene.nodes[i].y;
    } else return;
    const r = app.renderer;
    r.camX = x - sx / r.zoom;
    r.camY = y - sy / r.zoom;
  };
}

/** expandGroup opens the collapsed group drawn as node n. */
function expandGroup(app, n) {
  const tab = app.cur;
  const r = app.renderer;
  const gid = groupIdOf(app, n);
  tab.collapse.delete(gid);
  if (tab.expand !== 'all') tab.expand.add(gid);
  const sx = (n.x - r.camX) * r.zoom, sy = (n.y - r.camY) * r.zoom;
  loadGraph(app, tab, { camera: r.camera(), anchor: anchorOn(app, gid, sx, sy) });
}

/** groupIdOf is the group ID of a collapsed group's node n. */
function groupIdOf(app, n) {
  const s = app.scene;
  if (s.groups.some((g) => g.id === n.id)) return n.id;
  const g = s.groups.find((g) => g.collapsed && g.label === n.label && Math.abs(g.x - n.x) < 1 && Math.abs(g.y - n.y) < 1);
  return g ? g.id : n.id;
}

/** collapseGroup closes open group g and the groups inside it. */
function collapseGroup(app, g) {
  const tab = app.cur;
  const r = app.renderer;
  const all = app.scene.groups;
  const inside = new Set([g.id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const x of all) if (x.parent && inside.has(x.parent) && !inside.has(x.id)) inside.add(x.id), (grew = true);
  }
  tab.collapse.add(g.id);
  if (tab.expand !== 'all') for (const id of inside) tab.expand.delete(id);
  const sx = (g.x - r.camX) * r.zoom, sy = (g.y - r.camY) * r.zoom;
  loadGraph(app, tab, { camera: r.camera(), anchor: anchorOn(app, g.id, sx, sy) });
}

/** initToolbar wires the toolbar's view buttons, watch switch and Quit. */
export function initToolbar(app) {
  const r = app.renderer;
  $('btn-fit').addEventListener('click', () => r.fit());
  $('btn-zoom-in').addEventListener('click', () => r.zoomAt(1.25));
  $('btn-zoom-out').addEventListener('click', () => r.zoomAt(0.8));
  $('btn-find').addEventListener('click', openFind);
  $('btn-model').addEventListener('click', () => clearSelection(app));
  $('btn-labels').addEventListener('click', () => {
    r.edgeLabels = !r.edgeLabels;
    $('btn-labels').setAttribute('aria-pressed', String(r.edgeLabels));
    r.request();
  });
  $('watch-all').addEventListener('change', () => {
    api.watchAll($('watch-all').checked).catch((e) => banner(`Could not change watching: ${e.message}`));
  });
  $('btn-quit').addEventListener('click', () => {
    if (window.confirm('Quit modelpeek? Every open model closes and this page stops working.')) quit(app);
  });
}

/**
 * initKeys wires the keyboard: Ctrl+F find, F fit, +/- zoom, arrows pan,
 * Escape closes find or unselects, Backspace leaves a subgraph.
 */
export function initKeys(app) {
  window.addEventListener('keydown', (e) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && (e.key === 'f' || e.key === 'F')) {
      e.preventDefault();
      openFind();
      return;
    }
    const tag = (document.activeElement && document.activeElement.tagName) || '';
    if (tag === 'INPUT' || tag === 'TEXTAREA') return;
    if (mod) return;
    if (onKey(app, e.key)) e.preventDefault();
  });
}

/** onKey runs the command of an unmodified key; false when it has none. */
function onKey(app, key) {
  const r = app.renderer;
  const step = 80;
  switch (key) {
    case 'f':
    case 'F':
      r.fit();
      break;
    case '+':
    case '=':
      r.zoomAt(1.25);
      break;
    case '-':
    case '_':
      r.zoomAt(0.8);
      break;
    case 'ArrowLeft':
      r.pan(step, 0);
      break;
    case 'ArrowRight':
      r.pan(-step, 0);
      break;
    case 'ArrowUp':
      r.pan(0, step);
      break;
    case 'ArrowDown':
      r.pan(0, -step);
      break;
    case 'Escape':
      if (!$('find').hidden) closeFind(app);
      else clearSelection(app);
      break;
    case 'Backspace':
      goUp(app, 1);
      break;
    default:
      return false;
  }
  return true;
}
