// The compare view's controls: its DOM (bar, two panes, change list), the
// toolbar's Compare… chooser, the tabs' context menu (Compare with…), and
// its keys (P, N previous and next change, O overlay, F fit, Escape).

import { $, el, button, show, clear } from './dom.js';

/**
 * buildView makes the compare view's elements (hidden) inside #main, its
 * bar's buttons running actions (see initCompareUI).
 */
export function buildView(actions) {
  const ui = {};
  const canvasPane = (side) => {
    const c = el('canvas');
    c.setAttribute('aria-label', `Model ${side.toUpperCase()} of the comparison`);
    const label = el('div', 'cmp-label');
    const pane = el('div', 'cmp-pane', label, el('div', 'cmp-canvas', c));
    pane.dataset.side = side;
    return [pane, c, label];
  };
  const [paneA, canvasA, labelA] = canvasPane('a');
  const [paneB, canvasB, labelB] = canvasPane('b');
  Object.assign(ui, { canvasA, canvasB, labelA, labelB });
  ui.title = el('span', 'cmp-title');
  ui.summary = el('span', 'cmp-summary');
  ui.pos = el('span', 'cmp-pos');
  ui.error = el('div', 'cmp-error');
  ui.error.setAttribute('role', 'alert');
  ui.list = el('ol', 'cmp-list');
  ui.list.setAttribute('aria-label', 'Changes');
  ui.prev = button('◀', 'Previous change (P)', () => actions.step(-1), 'cmp-prev');
  ui.next = button('▶', 'Next change (N)', () => actions.step(1), 'cmp-next');
  ui.mode = button('Overlay', 'One graph with the changes drawn over it (O)', () => actions.toggleMode(), 'cmp-mode');
  ui.mode.setAttribute('aria-pressed', 'false');
  ui.close = button('Close', 'Leave the comparison (Esc)', () => actions.close(), 'cmp-close');
  const bar = el('div', 'cmp-bar', ui.title, ui.summary, el('span', 'spacer'), ui.prev, ui.pos, ui.next, ui.mode, ui.close);
  ui.root = el('div', '', bar, ui.error, el('div', 'cmp-panes', paneA, paneB), ui.list);
  ui.root.id = 'compare';
  ui.root.dataset.state = 'closed';
  show(ui.root, false);
  show(ui.error, false);
  $('main').insertBefore(ui.root, $('sidebar'));
  return ui;
}

/**
 * initCompareUI wires the toolbar button, the tab context menu and the
 * keys to actions {open(a, b), close(), step(dir), toggleMode(), fit(),
 * clear()}.
 */
export function initCompareUI(app, actions) {
  const btn = $('btn-compare');
  if (btn) btn.addEventListener('click', () => openChooser(app, actions, app.cur && app.cur.id));
  $('tabs').addEventListener('contextmenu', (e) => {
    const t = e.target.closest && e.target.closest('.tab');
    if (!t || !t.dataset.id) return;
    e.preventDefault();
    tabMenu(app, actions, t.dataset.id, e.clientX, e.clientY);
  });
  // A tab click while comparing leaves the comparison first.
  $('tabs').addEventListener('click', () => app.compare && actions.close(), true);
  window.addEventListener('keydown', (e) => onKey(app, actions, e), true);
}

/** onKey runs the compare view's keys while it is open. */
function onKey(app, actions, e) {
  if (!app.compare || e.ctrlKey || e.metaKey || e.altKey) return;
  const tag = (document.activeElement && document.activeElement.tagName) || '';
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return;
  const keys = {
    n: () => actions.step(1),
    N: () => actions.step(1),
    p: () => actions.step(-1),
    P: () => actions.step(-1),
    o: () => actions.toggleMode(),
    O: () => actions.toggleMode(),
    f: () => actions.fit(),
    F: () => actions.fit(),
    Escape: () => actions.clear(),
  };
  const fn = keys[e.key];
  if (!fn) return;
  e.preventDefault();
  e.stopImmediatePropagation();
  fn();
}

/** popup shows a floating box, closed by a click elsewhere or Escape. */
function popup(id, x, y, ...children) {
  const old = $(id);
  if (old) old.remove();
  const box = el('div', 'cmp-popup', ...children);
  box.id = id;
  box.style.left = `${Math.max(0, x)}px`;
  box.style.top = `${Math.max(0, y)}px`;
  document.body.append(box);
  const away = (e) => {
    if (e.type === 'keydown' && e.key !== 'Escape') return;
    if (e.type === 'pointerdown' && box.contains(e.target)) return;
    box.remove();
    window.removeEventListener('pointerdown', away, true);
    window.removeEventListener('keydown', away, true);
  };
  window.addEventListener('pointerdown', away, true);
  window.addEventListener('keydown', away, true);
  return box;
}

/** targets lists what model a can be compared with: [{value, label}]. */
function targets(app, a) {
  const out = [];
  const ta = app.tabs.get(a);
  if (ta && ta.info.previous) out.push({ value: 'previous', label: `previous version of ${ta.info.name}` });
  for (const id of app.order) if (id !== a) out.push({ value: id, label: app.tabs.get(id).info.name || id });
  return out;
}

/** tabMenu is the context menu of model a's tab. */
function tabMenu(app, actions, a, x, y) {
  const items = targets(app, a).map((t) =>
    button(`Compare with ${t.label}`, '', () => {
      $('cmp-menu').remove();
      actions.open(a, t.value);
    }, 'cmp-menu-item'),
  );
  const more = button('Compare with…', 'Choose both models', () => {
    $('cmp-menu').remove();
    openChooser(app, actions, a);
  }, 'cmp-menu-item');
  if (!items.length) items.push(el('div', 'muted', 'Open another model (or save this one again) to compare.'));
  popup('cmp-menu', x, y, ...items, more);
}

/** openChooser asks for the two models to compare, A preset to a. */
function openChooser(app, actions, a) {
  const selA = el('select');
  selA.id = 'cmp-select-a';
  const selB = el('select');
  selB.id = 'cmp-select-b';
  for (const id of app.order) {
    const o = el('option', '', app.tabs.get(id).info.name || id);
    o.value = id;
    o.selected = id === a;
    selA.append(o);
  }
  const fillB = () => {
    clear(selB);
    for (const t of targets(app, selA.value)) {
      const o = el('option', '', t.label);
      o.value = t.value;
      selB.append(o);
    }
    go.disabled = !selB.options.length;
  };
  const go = button('Compare', 'Show both side by side', () => {
    $('cmp-chooser').remove();
    actions.open(selA.value, selB.value);
  }, 'cmp-go');
  selA.addEventListener('change', fillB);
  const r = $('btn-compare') ? $('btn-compare').getBoundingClientRect() : { left: 40, bottom: 40 };
  popup('cmp-chooser', r.left - 200, r.bottom + 4, el('label', '', 'A ', selA), el('label', '', 'B ', selB), go);
  fillB();
}
