// The compact view (layout/wire.go, EncodeWire): a string table and
// columns of numbers, asked for with ?wire=1. decodeWire turns it into a
// View with the JSON's fields, without an object per number or string
// (strings are decoded when first read):
// nodes and edges are small objects that read the columns through getters
// (fields the JSON leaves out read as undefined), made when first read
// (lazyList), groups likewise, and view.cols keeps the columns for the
// scene's fast paths. The int columns, the route points and the string
// offsets are decoded in place, in the reply's own buffer (which the view
// then keeps): fresh
// memory is what a decode pays most for, a page fault per 4 KiB first
// touched (25 ms for the 8 MB of a 100,000-node view's ints in a VM,
// against 2 ms for the sums themselves).

/** WIRE_TYPE is the compact view's content type. */
export const WIRE_TYPE = 'application/vnd.modelpeek.view';

const MAGIC = 0x3357504d; // "MPW3" little-endian

/**
 * PACKED_TYPE is the compact view sent gzipped as the body itself (?gz=1,
 * server/wire.go): the browser carries 0.4 MB instead of the 17 MB of a
 * 100,000-node view, which took it about 350 ms to hand to the page, and
 * the page inflates it (inflate) in about a third of that time.
 */
export const PACKED_TYPE = WIRE_TYPE + '+gzip';

/**
 * packing reports whether the page asks for packed views: it can inflate
 * them, and the address does not say ?gz=0 (the tests' way to take the
 * other road).
 */
export function packing() {
  return typeof DecompressionStream === 'function' && new URLSearchParams(location.search).get('gz') !== '0';
}

/**
 * inflate returns the bytes gzip member gz holds, as an ArrayBuffer: into
 * one buffer of the size its trailer gives (deflate inflates at most
 * 1032-fold, which bounds what a bad trailer may ask for), grown if the
 * bytes run past it. The bytes go in as one chunk of a stream of the
 * page's own, not through a Blob's stream (the browser's blob store): a
 * 2,000-node view inflated in 4-11 ms instead of 9-47 ms in a page's
 * load (a 100,000-node one took as long either way there, about 110 ms).
 */
export async function inflate(gz) {
  const told = gz.byteLength >= 18 ? new DataView(gz).getUint32(gz.byteLength - 4, true) : 0;
  let out = new Uint8Array(Math.min(told, 1032 * gz.byteLength));
  let at = 0;
  const input = new ReadableStream({
    start(c) {
      c.enqueue(new Uint8Array(gz));
      c.close();
    },
  });
  const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > out.length) {
      const grown = new Uint8Array(Math.max(2 * out.length, at + value.length));
      grown.set(out.subarray(0, at));
      out = grown;
    }
    out.set(value, at);
    at += value.length;
  }
  return at === out.length ? out.buffer : out.buffer.slice(0, at);
}

/** isWire reports whether x is an undecoded compact view. */
export function isWire(x) {
  return x instanceof ArrayBuffer;
}

/** decodeWire decodes a compact view (an ArrayBuffer) into a View. */
export function decodeWire(buf) {
  const dv = new DataView(buf);
  if (buf.byteLength < 8 || dv.getUint32(0, true) !== MAGIC) throw new Error('not a compact view');
  const hlen = dv.getUint32(4, true);
  const h = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, hlen)));
  const n = h.nodes, m = h.edges, g = h.groups;
  let at = (8 + hlen + 7) & ~7;
  const nInts = 11 * n + 1 + h.lines + 6 * m + 1 + 5 * g;
  const ints = runningSum(new Int32Array(buf, at, nInts));
  at = (at + 4 * nInts + 7) & ~7;
  const nCoords = 4 * n + h.points + 4 * g;
  const coords = readCoords(buf, at, 4 * n, h.points, 4 * g, h.scale);
  at += (h.scale ? 4 : 8) * nCoords;
  const strings = new Strings(buf, at, h.strings, h.stringBytes, h.stringBlock);
  const cols = columns(h, ints, coords);
  cols.str = (k) => strings.get(k);
  const view = h.view;
  view.cols = cols;
  view.nodes = lazyList(n, (i) => new WireNode(cols, i));
  view.edges = lazyList(m, (i) => new WireEdge(cols, i));
  view.groups = lazyList(g, (i) => new WireGroup(cols, i));
  const x = h.extras || {};
  for (const [name, list] of [['nodes', view.nodes], ['edges', view.edges], ['groups', view.groups]]) {
    for (const [field, s] of Object.entries(x[name] || {})) {
      for (let k = 0; k < s.i.length; k++) list[s.i[k]][field] = s.v[k];
    }
  }
  return view;
}

/**
 * lazyList is an array of n items, each made by make(i) when first read
 * and then kept. Made up front, the node and edge objects of a
 * 100,000-node view were a large part of its decoding (the garbage
 * collector copied them all while the page waited), yet a page reads
 * few of them: the scene draws from the columns, and a hover, a find or
 * a panel reads a handful. Indexing, length, for-of and the array
 * methods work as on an array.
 */
function lazyList(n, make) {
  const items = new Array(n).fill(undefined); // packed, not a sparse array
  return new Proxy(items, {
    get(t, p, r) {
      if (typeof p === 'string') {
        const c = p.charCodeAt(0);
        if (c >= 48 && c <= 57) {
          const i = +p;
          if (i < n) return t[i] === undefined ? (t[i] = make(i)) : t[i];
        }
      }
      return Reflect.get(t, p, r);
    },
  });
}

/** runningSum restores the int32 columns from their deltas, in place. */
function runningSum(d) {
  let x = 0;
  for (let i = 0, n = d.length; i < n; i++) d[i] = x = (x + d[i]) | 0;
  return d;
}

/**
 * readCoords returns the coordinate columns: the nodes' (nn numbers) and
 * the groups' (ng) as Float64Arrays, and the routes' points (np, the most
 * numbers) restored in place, as multiples of 1/scale ({boxes, pts,
 * groups, scale}: a point is pts[k] / scale, exactly, scale being a power
 * of two).
 */
function readCoords(buf, at, nn, np, ng, scale) {
  if (!scale) {
    // Float64 as they are: views on the reply, which the view keeps.
    const all = new Float64Array(buf, at, nn + np + ng);
    return { boxes: all.subarray(0, nn), pts: all.subarray(nn, nn + np), groups: all.subarray(nn + np), scale: 1 };
  }
  const d = new Int32Array(buf, at, nn + np + ng);
  const boxes = new Float64Array(nn), groups = new Float64Array(ng);
  // x and y alternate: number i is the sum of the deltas two apart up to it.
  const sum = [0, 0];
  const next = (i) => (sum[i & 1] = (sum[i & 1] + d[i]) | 0);
  for (let i = 0; i < nn; i++) boxes[i] = next(i) / scale;
  for (let i = nn; i < nn + np; i++) d[i] = next(i);
  for (let i = 0; i < ng; i++) groups[i] = next(nn + np + i) / scale;
  return { boxes, pts: d.subarray(nn, nn + np), groups, scale };
}

/**
 * Strings is the string table, decoded a block of strings at a time when
 * one of them is first read: a first drawing of a big view reads few of
 * its strings, and decoding all of them (10 MB of text at 100,000 nodes,
 * with the copies the browser makes) was the largest part of its
 * decoding. A block's UTF-8 text is decoded in one call (a call per
 * string cost a 100,000-node view hundreds of milliseconds when all were
 * read). The strings are front-coded (wire.go): each is the first
 * prefix[k] units of the string before it, then its own suffix, a
 * substring of the block's text at its UTF-16 offsets; a string is made
 * when first read, with those before it in its block that it needs, and
 * kept.
 */
class Strings {
  constructor(buf, at, count, size, block) {
    if (!(block > 0) || block & (block - 1)) throw new Error('the string table has no valid block size');
    const nb = Math.ceil(count / block);
    this.len = new Uint32Array(buf, at, count); // UTF-16 lengths; a decoded block's become its ends
    this.blockAt = new Uint32Array(buf, at + 4 * count, nb + 1); // byte offsets in the text
    if (this.blockAt[nb] !== size) throw new Error('the string table does not match its size');
    this.text = new Uint8Array(buf, at + 4 * (count + nb + 1), size);
    this.prefix = new Uint8Array(buf, at + 4 * (count + nb + 1) + size, count);
    this.shift = Math.log2(block);
    this.block = block;
    this.blocks = new Array(nb); // per block: [text, cache], made when first read
  }

  get(k) {
    const b = this.blocks[k >> this.shift] || this.decode(k >> this.shift);
    const i = k & (this.block - 1);
    if (b.cache[i] !== undefined) return b.cache[i];
    // Back to a string that is whole or made already, then forward.
    let j = i;
    while (this.prefix[k - i + j] && b.cache[j - 1] === undefined) j--;
    for (; j <= i; j++) {
      const kk = k - i + j;
      const suffix = b.text.substring(j ? this.len[kk - 1] : 0, this.len[kk]);
      const p = this.prefix[kk];
      b.cache[j] = p ? b.cache[j - 1].slice(0, p) + suffix : suffix;
    }
    return b.cache[i];
  }

  /** decode decodes block b and turns its strings' lengths into their ends. */
  decode(b) {
    const from = b * this.block, to = Math.min(this.len.length, from + this.block);
    const text = new TextDecoder().decode(this.text.subarray(this.blockAt[b], this.blockAt[b + 1]));
    let x = 0;
    for (let k = from; k < to; k++) this.len[k] = x += this.len[k];
    if (x !== text.length) throw new Error('the string table does not match its lengths');
    if (this.prefix[from]) throw new Error('the string table starts a block with a prefix');
    return (this.blocks[b] = { text, cache: new Array(to - from) });
  }
}

/** columns slices the int32 and coordinate columns, in wire.go's order. */
function columns(h, ints, coords) {
  const n = h.nodes, m = h.edges, g = h.groups;
  let ic = 0;
  const col = (k) => ints.subarray(ic, (ic += k));
  const c = {};
  [c.id, c.kind, c.label, c.name, c.cat, c.group, c.source, c.index, c.subgraphs, c.count] = Array.from({ length: 10 }, () => col(n));
  c.lstart = col(n + 1);
  c.lines = col(h.lines);
  [c.from, c.to, c.value, c.elabel, c.dtype] = Array.from({ length: 5 }, () => col(m));
  c.pstart = col(m + 1);
  [c.gid, c.glabel, c.gparent, c.gcoll, c.gcount] = Array.from({ length: 5 }, () => col(g));
  [c.x, c.y, c.w, c.h] = [0, 1, 2, 3].map((k) => coords.boxes.subarray(k * n, (k + 1) * n));
  // The routes' numbers: a point is pts[k] / ptsScale.
  [c.pts, c.ptsScale] = [coords.pts, coords.scale];
  [c.gx, c.gy, c.gw, c.gh] = [0, 1, 2, 3].map((k) => coords.groups.subarray(k * g, (k + 1) * g));
  return c;
}

/** WireGroup is one group of a decoded view, reading the columns. */
class WireGroup {
  constructor(c, i) {
    this.c = c;
    this.i = i;
  }
  get id() { return this.c.str(this.c.gid[this.i]); }
  get label() { return this.c.str(this.c.glabel[this.i]); }
  get parent() { return opt(this.c, this.c.gparent[this.i]); }
  get collapsed() { return this.c.gcoll[this.i] === 1; }
  get count() { return this.c.gcount[this.i]; }
  get x() { return this.c.gx[this.i]; }
  get y() { return this.c.gy[this.i]; }
  get w() { return this.c.gw[this.i]; }
  get h() { return this.c.gh[this.i]; }
  toJSON() {
    // The JSON's field order, parent only when there is one.
    const { id, label, parent, collapsed, count, x, y, w, h } = this;
    return withOwn(this, parent === undefined ? { id, label, collapsed, count, x, y, w, h } : { id, label, parent, collapsed, count, x, y, w, h });
  }
}

// opt reads an omitempty string: undefined when empty, as in the JSON.
const opt = (c, k) => (k ? c.str(k) : undefined);

/** WireNode is one node of a decoded view, reading the columns. */
class WireNode {
  constructor(c, i) {
    this.c = c;
    this.i = i;
  }
  get id() { return this.c.str(this.c.id[this.i]); }
  get kind() { return this.c.str(this.c.kind[this.i]); }
  get label() { return this.c.str(this.c.label[this.i]); }
  get name() { return opt(this.c, this.c.name[this.i]); }
  get category() { return opt(this.c, this.c.cat[this.i]); }
  get group() { return opt(this.c, this.c.group[this.i]); }
  get source() { return opt(this.c, this.c.source[this.i]); }
  get index() { return this.c.index[this.i]; }
  get subgraphs() { return this.c.subgraphs[this.i] || undefined; }
  get count() { return this.c.count[this.i] || undefined; }
  get x() { return this.c.x[this.i]; }
  get y() { return this.c.y[this.i]; }
  get w() { return this.c.w[this.i]; }
  get h() { return this.c.h[this.i]; }
  get lines() {
    const c = this.c, a = c.lstart[this.i], b = c.lstart[this.i + 1];
    if (a === b) return undefined;
    const out = new Array(b - a);
    for (let k = a; k < b; k++) out[k - a] = c.str(c.lines[k]);
    return out;
  }
  toJSON() {
    return withOwn(this, { id: this.id, kind: this.kind, label: this.label, name: this.name, category: this.category, lines: this.lines,
      x: this.x, y: this.y, w: this.w, h: this.h, group: this.group, index: this.index, subgraphs: this.subgraphs, source: this.source, count: this.count });
  }
}

/** WireEdge is one edge of a decoded view, reading the columns. */
class WireEdge {
  constructor(c, i) {
    this.c = c;
    this.i = i;
  }
  get from() { return end(this.c, this.c.from[this.i]); }
  get to() { return end(this.c, this.c.to[this.i]); }
  get value() { return opt(this.c, this.c.value[this.i]); }
  get label() { return opt(this.c, this.c.elabel[this.i]); }
  get dtype() { return opt(this.c, this.c.dtype[this.i]); }
  /** points is the route's numbers (x, y pairs). */
  get points() {
    const c = this.c, p = c.pts.subarray(c.pstart[this.i], c.pstart[this.i + 1]);
    return c.ptsScale === 1 && p instanceof Float64Array ? p : Float64Array.from(p, (x) => x / c.ptsScale);
  }
  toJSON() {
    return withOwn(this, { from: this.from, to: this.to, value: this.value, label: this.label, dtype: this.dtype, points: Array.from(this.points) });
  }
}

// end reads an edge end: a node's position, or -1-string index.
function end(c, v) {
  return v >= 0 ? c.str(c.id[v]) : c.str(-1 - v);
}

// withOwn adds o's own fields (the extras) to the JSON form j.
function withOwn(o, j) {
  for (const k of Object.keys(o)) if (k !== 'c' && k !== 'i') j[k] = o[k];
  return j;
}
