// The compare view's change list: every added, removed and changed node
// in data-path order, shown as a list with a current entry that the
// buttons and the P and N keys step through.

import { el, clear } from './dom.js';

/**
 * buildItems lists the changes of a diff (GET .../diff?view=1) drawn on
 * scenes sa (A) and sb (B): {kind, a, b (scene indices, -1 when not
 * drawn), ia, ib (model node indices, -1 for none), name, op, changes,
 * weights}, ordered along B's nodes; a removed node sits after the B
 * match of the nearest matched node before it in A. Changed weights of
 * no changed node come last.
 */
export function buildItems(diff, sa, sb) {
  const v = diff.view;
  const at = (scene, i) => (i >= 0 ? scene.byId.get('n' + i) ?? -1 : -1);
  const node = (scene, k) => (k >= 0 ? scene.nodes[k] : null);
  const items = [];
  const add = (kind, ia, ib, key, changes, weights) => {
    const a = at(sa, ia), b = at(sb, ib);
    const n = node(sb, b) || node(sa, a);
    const name = (n && (n.name || n.label)) || `node ${ib >= 0 ? ib : ia}`;
    items.push({ kind, a, b, ia, ib, key, name, op: (n && n.label) || '', changes: changes || [], weights: weights || [] });
  };
  const bOfA = new Map(v.pairs.map(([a, b]) => [a, b]));
  for (const c of v.changed) add('changed', c.a, c.b, c.b, c.changes, c.weights);
  for (const j of v.added) add('added', -1, j, j);
  for (const i of v.removed) {
    let k = i - 1;
    while (k >= 0 && !bOfA.has(k)) k--;
    add('removed', i, -1, (k >= 0 ? bOfA.get(k) : -1) + 0.5);
  }
  items.sort((x, y) => x.key - y.key);
  // Changed weights no changed node reads (unused, or read where no node
  // is drawn) are listed last, on their own.
  const covered = new Set(v.changed.flatMap((c) => c.weights));
  diff.weights.changed.forEach((w, k) => {
    if (!covered.has(k)) items.push({ kind: 'changed', a: -1, b: -1, ia: -1, ib: -1, key: Infinity, name: `weight ${w.a}`, op: '', changes: [], weights: [k] });
  });
  return items;
}

/** ChangeList shows the items and keeps the current one. */
export class ChangeList {
  /**
   * @param {HTMLElement} box the list element
   * @param {HTMLElement} pos where "k / n" is written
   * @param {function(object, number)} onPick called with the item made current
   */
  constructor(box, pos, onPick) {
    this.box = box;
    this.pos = pos;
    this.onPick = onPick;
    this.items = [];
    this.cur = -1;
  }

  /** set replaces the items; none is current. */
  set(items) {
    this.items = items;
    this.cur = -1;
    clear(this.box);
    items.forEach((it, k) => {
      const li = el('li', `cmp-item ${it.kind}`, el('span', 'cmp-kind', it.kind), el('span', 'cmp-name', it.name));
      if (it.changes.length) li.title = it.changes.join('\n');
      li.dataset.kind = it.kind;
      li.addEventListener('click', () => this.pick(k));
      this.box.append(li);
    });
    this.render();
  }

  /** step moves to the next (dir 1) or previous (dir -1) change, wrapping. */
  step(dir) {
    const n = this.items.length;
    if (!n) return;
    const k = this.cur < 0 ? (dir > 0 ? 0 : n - 1) : (this.cur + dir + n) % n;
    this.pick(k);
  }

  /** pick makes item k current. */
  pick(k) {
    if (k < 0 || k >= this.items.length) return;
    this.cur = k;
    this.render();
    const li = this.box.children[k];
    if (li && li.scrollIntoView) li.scrollIntoView({ block: 'nearest' });
    this.onPick(this.items[k], k);
  }

  /** current returns the current item or null. */
  current() {
    return this.cur >= 0 ? this.items[this.cur] : null;
  }

  /** render marks the current entry and writes the position. */
  render() {
    [...this.box.children].forEach((li, k) => li.classList.toggle('current', k === this.cur));
    const n = this.items.length;
    this.pos.textContent = n ? `${this.cur >= 0 ? this.cur + 1 : '–'} / ${n}` : 'no changes';
  }
}
