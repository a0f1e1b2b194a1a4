// GraphCanvas: the on-screen renderer. It owns the camera (pan and zoom),
// draws the visible part of a Scene on demand, crisp at any devicePixelRatio,
// and turns pointer input into pan, zoom, click and double-click.

import { theme } from './colors.js';

const MIN_ZOOM = 1e-4;
const MAX_ZOOM = 8;

/** GraphCanvas draws a Scene into a canvas element. */
export class GraphCanvas {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {object} on callbacks: click(nodeIndex, group), dblclick(nodeIndex), change()
   */
  constructor(canvas, on) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.on = on;
    this.scene = null;
    this.camX = 0;
    this.camY = 0;
    this.zoom = 1;
    this.select = -1;
    this.hits = null;
    this.current = -1;
    this.changed = null;
    this.changedUntil = 0;
    this.edgeLabels = true; // shapes on edges, on by default
    this.theme = theme();
    this.pending = false;
    this.lastFrameMs = 0;
    this.cssW = 0;
    this.cssH = 0;
    this.pointers = new Map();
    this.dpr = 0; // sized by the first draw or the observer's first call,
    // not here: reading the layout while the page's modules run forces one
    new ResizeObserver(() => {
      if (!this.scene) {
        this.dpr = 0; // sized by the first draw of a scene
        return;
      }
      this.resize();
      this.draw();
    }).observe(canvas.parentElement);
    // Zooming the page or moving to another screen changes the pixel ratio.
    window.addEventListener('resize', () => {
      this.resize();
      this.request();
    });
    const watchRatio = () => {
      if (!window.matchMedia) return;
      const mq = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
      mq.addEventListener(
        'change',
        () => {
          this.resize();
          this.request();
          watchRatio();
        },
        { once: true },
      );
    };
    watchRatio();
    if (window.matchMedia) {
      window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
        this.theme = theme();
        this.request();
      });
    }
    this.bindInput();
  }

  resize() {
    const box = this.canvas.parentElement.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.dpr = dpr;
    this.cssW = Math.max(1, box.width);
    this.cssH = Math.max(1, box.height);
    const w = Math.round(this.cssW * dpr), h = Math.round(this.cssH * dpr);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.canvas.style.width = this.cssW + 'px';
    this.canvas.style.height = this.cssH + 'px';
  }

  /**
   * warm sizes the canvas and paints it in the page's colour before the
   * first scene, so that its backing store exists and the compositor has
   * taken it by then: in a software-drawn browser making the store was
   * about 20 ms of the first scene's draw, and showing the canvas for the
   * first time about 20 ms of the frame after it. For the page's idle
   * moments (it reads the layout); draw hides the canvas again if it is
   * drawn with no scene.
   */
  warm() {
    if (this.scene) return;
    this.resize();
    this.clear();
    this.canvas.classList.remove('blank');
  }

  /** clear paints the whole canvas in the page's background colour. */
  clear() {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.fillStyle = this.theme.bg;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** setScene replaces what is drawn; keepCamera leaves the viewport alone. */
  setScene(scene, keepCamera) {
    if (!this.dpr) this.resize(); // home() needs the size
    this.scene = scene;
    this.select = -1;
    this.hits = null;
    this.current = -1;
    this.changed = null;
    if (!keepCamera) this.home();
    this.draw();
  }

  /**
   * home is the first view of a graph: the whole graph when it is readable
   * that way, else its top at a readable zoom (tall networks).
   */
  home() {
    if (!this.scene) return;
    const b = this.scene.bounds;
    const w = Math.max(1, b.x1 - b.x0), h = Math.max(1, b.y1 - b.y0);
    const pad = 24;
    const fitAll = Math.min((this.cssW - 2 * pad) / w, (this.cssH - 2 * pad) / h, 1);
    if (fitAll >= 0.45) {
      this.fit();
      return;
    }
    const z = clampZoom(Math.max(0.45, Math.min(1, (this.cssW - 2 * pad) / w)));
    this.zoom = z;
    this.camX = b.x0 + w / 2 - this.cssW / 2 / z;
    this.camY = b.y0 - pad / z;
    this.request();
  }

  /** fit shows the whole graph, capped at 100 % zoom for small graphs. */
  fit() {
    if (!this.scene) return;
    const b = this.scene.bounds;
    const w = Math.max(1, b.x1 - b.x0), h = Math.max(1, b.y1 - b.y0);
    const pad = 24;
    const z = Math.min((this.cssW - 2 * pad) / w, (this.cssH - 2 * pad) / h, 1);
    this.zoom = clampZoom(z);
    this.camX = b.x0 + w / 2 - this.cssW / 2 / this.zoom;
    this.camY = b.y0 + h / 2 - this.cssH / 2 / this.zoom;
    this.request();
  }

  /** zoomAt multiplies the zoom by f keeping the screen point sx, sy fixed. */
  zoomAt(f, sx, sy) {
    if (sx === undefined) {
      sx = this.cssW / 2;
      sy = this.cssH / 2;
    }
    const wx = this.camX + sx / this.zoom, wy = this.camY + sy / this.zoom;
    this.zoom = clampZoom(this.zoom * f);
    this.camX = wx - sx / this.zoom;
    this.camY = wy - sy / this.zoom;
    this.request();
  }

  /** pan moves the view by dx, dy CSS pixels. */
  pan(dx, dy) {
    this.camX -= dx / this.zoom;
    this.camY -= dy / this.zoom;
    this.request();
  }

  /** centerOn puts a node in the middle, zooming in to readable size. */
  centerOn(i, minZoom) {
    const nd = this.scene && this.scene.nodes[i];
    if (!nd) return;
    if (minZoom && this.zoom < minZoom) this.zoom = minZoom;
    this.camX = nd.x + nd.w / 2 - this.cssW / 2 / this.zoom;
    this.camY = nd.y + nd.h / 2 - this.cssH / 2 / this.zoom;
    this.request();
  }

  /** camera returns the viewport state, to restore it after a reload. */
  camera() {
    return { x: this.camX, y: this.camY, zoom: this.zoom };
  }

  setCamera(c) {
    this.camX = c.x;
    this.camY = c.y;
    this.zoom = clampZoom(c.zoom);
    this.request();
  }

  /** highlight marks nodes as changed for ms milliseconds, fading out. */
  highlight(indices, ms) {
    this.changed = indices;
    this.changedMs = ms;
    this.changedUntil = performance.now() + ms;
    this.request();
  }

  request() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  /** draw paints the current viewport now. */
  draw() {
    const ctx = this.ctx;
    const t = this.theme;
    const start = performance.now();
    // Without a scene the canvas is hidden rather than painted: the page's
    // background is the same colour, and a painted canvas costs its first
    // frame (its backing store and the copy to the compositor, about 30 ms
    // in a software-drawn browser) before the graph is even in.
    this.canvas.classList.toggle('blank', !this.scene);
    if (!this.scene) return;
    // Not sized yet, or the window moved to a screen with another pixel ratio.
    if ((window.devicePixelRatio || 1) !== this.dpr) this.resize();
    const dpr = this.dpr;
    this.clear();
    const z = this.zoom;
    const px = z * dpr;
    ctx.setTransform(px, 0, 0, px, -this.camX * px, -this.camY * px);
    const r = { x0: this.camX, y0: this.camY, x1: this.camX + this.cssW / z, y1: this.camY + this.cssH / z };
    let alpha = 0;
    const now = performance.now();
    if (this.changed && now < this.changedUntil) {
      alpha = Math.min(1, (this.changedUntil - now) / (this.changedMs * 0.4));
    }
    this.scene.draw(ctx, r, {
      theme: t,
      z,
      px,
      select: this.select,
      hits: this.hits,
      current: this.current,
      changed: this.changed,
      changedAlpha: alpha,
      edgeLabels: this.edgeLabels,
    });
    this.lastFrameMs = performance.now() - start;
    if (alpha > 0) this.request();
    if (this.on.change) this.on.change();
  }

  toWorld(sx, sy) {
    return [this.camX + sx / this.zoom, this.camY + sy / this.zoom];
  }

  bindInput() {
    const c = this.canvas;
    let down = null;
    let pinch = null;
    c.addEventListener('pointerdown', (e) => {
      c.setPointerCapture(e.pointerId);
      this.pointers.set(e.pointerId, { x: e.offsetX, y: e.offsetY });
      if (this.pointers.size === 2) {
        const [a, b] = [...this.pointers.values()];
        pinch = { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        down = null;
      } else {
        down = { x: e.offsetX, y: e.offsetY, moved: false };
      }
    });
    c.addEventListener('pointermove', (e) => {
      const p = this.pointers.get(e.pointerId);
      if (!p) return;
      const dx = e.offsetX - p.x, dy = e.offsetY - p.y;
      p.x = e.offsetX;
      p.y = e.offsetY;
      if (pinch && this.pointers.size === 2) {
        const [a, b] = [...this.pointers.values()];
        const d = Math.hypot(a.x - b.x, a.y - b.y);
        const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
        if (pinch.d > 0) this.zoomAt(d / pinch.d, mx, my);
        this.pan(mx - pinch.x, my - pinch.y);
        pinch = { d, x: mx, y: my };
        return;
      }
      if (down) {
        if (Math.abs(e.offsetX - down.x) + Math.abs(e.offsetY - down.y) > 4) down.moved = true;
        if (down.moved) {
          c.classList.add('panning');
          this.pan(dx, dy);
        }
      }
    });
    const up = (e) => {
      this.pointers.delete(e.pointerId);
      if (this.pointers.size < 2) pinch = null;
      c.classList.remove('panning');
      if (down && !down.moved && e.type === 'pointerup') this.click(e.offsetX, e.offsetY, false);
      down = null;
    };
    c.addEventListener('pointerup', up);
    c.addEventListener('pointercancel', up);
    c.addEventListener('dblclick', (e) => this.click(e.offsetX, e.offsetY, true));
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        let dy = e.deltaY;
        if (e.deltaMode === 1) dy *= 16;
        else if (e.deltaMode === 2) dy *= this.cssH;
        if (e.shiftKey && !e.ctrlKey) {
          this.pan(-e.deltaX, -dy);
          return;
        }
        const k = e.ctrlKey ? 0.01 : 0.0018;
        this.zoomAt(Math.exp(-dy * k), e.offsetX, e.offsetY);
      },
      { passive: false },
    );
  }

  click(sx, sy, dbl) {
    if (!this.scene) return;
    const [wx, wy] = this.toWorld(sx, sy);
    const i = this.scene.nodeAt(wx, wy);
    if (i >= 0) {
      if (dbl) this.on.dblclick && this.on.dblclick(i);
      else this.on.click && this.on.click(i, null);
      return;
    }
    const g = this.scene.groupHeaderAt(wx, wy);
    if (!dbl) this.on.click && this.on.click(-1, g);
  }
}

function clampZoom(z) {
  if (!isFinite(z) || z <= 0) return 1;
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
}
