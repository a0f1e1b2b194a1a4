// Small DOM helpers. Model strings always go to the DOM as text nodes,
// never as markup.

/** el creates an element with a class and children (strings become text). */
export function el(tag, cls, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

/** clear removes every child of e. */
export function clear(e) {
  while (e.firstChild) e.removeChild(e.firstChild);
}

/** $ returns the element with the given id. */
export function $(id) {
  return document.getElementById(id);
}

/** show toggles the hidden attribute. */
export function show(e, on) {
  e.hidden = !on;
}

/** button creates a button that runs fn on click. */
export function button(label, title, fn, cls) {
  const b = el('button', cls || '', label);
  b.type = 'button';
  if (title) b.title = title;
  b.addEventListener('click', fn);
  return b;
}

/** download saves a Blob under a file name. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
