// modelpeek viewer: tabs of open models, the graph canvas, sidebar, find,
// subgraphs, groups, export, drag-and-drop upload and live reload.
//
// main.js creates the page's one App (state.js) and its renderer, wires
// the modules to the page and starts loading. The modules each do one job
// and get the App as their first argument:
//   render.js       renderer, graph state attributes, notices, status bar, export
//   loading.js      graph requests, prefetch, live reload (event stream), quit
//   panels.js       tabs, breadcrumb, sidebar, selection
//   interaction.js  canvas clicks, toolbar, keyboard
//   findbar.js      the find bar
//   upload.js       drag and drop, Open…, the sample
//   parammap.js     the parameter map (treemap of the weights)
//   compare.js      the compare view (two models side by side or overlaid)
//   cost.js         cost figures, heaviest nodes, the heat map

import { $ } from './dom.js';
import { App } from './state.js';
import { createRenderer, initExport } from './render.js';
import { start } from './loading.js';
import { onCanvasClick, onCanvasDblClick, initToolbar, initKeys } from './interaction.js';
import { initFind } from './findbar.js';
import { initUpload } from './upload.js';
import { initParamMap } from './parammap.js';
import { initCompare } from './compare.js';
import { initEdgeInfo } from './edgeinfo.js';
import { initCost } from './cost.js';

const app = new App(new URLSearchParams(location.search), $('graph'));
app.renderer = createRenderer(app, {
  click: (i, group) => onCanvasClick(app, i, group),
  dblclick: (i) => onCanvasDblClick(app, i),
});
initFind(app);
initExport(app);
initUpload(app);
initParamMap(app);
initToolbar(app);
initCost(app);
initKeys(app);
initCompare(app);
initEdgeInfo(app);
window.modelpeek = testHook(app);
performance.mark('modules');
start(app);

/**
 * testHook is the test and debugging hook (window.modelpeek): read access
 * to the viewport and the view, and camera moves.
 */
function testHook(app) {
  const r = app.renderer;
  const indexOf = (id) => {
    const i = app.scene && app.scene.byId.get(id);
    return i === undefined || i === null ? -1 : i;
  };
  return {
    get zoom() {
      return r.zoom;
    },
    camera: () => r.camera(),
    state: () => ({ model: app.cur && app.cur.id, path: app.cur ? app.cur.pathString() : '', selected: app.selectedId, frameMs: r.lastFrameMs }),
    nodeScreenPos: (id) => {
      const i = indexOf(id);
      if (i < 0) return null;
      const n = app.scene.nodes[i];
      return { x: (n.x + n.w / 2 - r.camX) * r.zoom, y: (n.y + n.h / 2 - r.camY) * r.zoom };
    },
    setCamera: (c) => r.setCamera(c),
    worldToScreen: (x, y) => ({ x: (x - r.camX) * r.zoom, y: (y - r.camY) * r.zoom }),
    centerOn: (id, zoom) => {
      const i = indexOf(id);
      if (i < 0) return false;
      r.centerOn(i, zoom);
      r.zoom = zoom || r.zoom;
      r.centerOn(i);
      r.draw();
      return true;
    },
    draw: () => {
      r.draw();
      return r.lastFrameMs;
    },
    view: () => app.scene && app.scene.view,
  };
}
