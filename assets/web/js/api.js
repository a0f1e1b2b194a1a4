// The server API, same origin.

import { WIRE_TYPE, PACKED_TYPE, packing, inflate } from './wire.js';

/** ApiError carries a message a user can read and the HTTP status. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function errorFrom(res) {
  let text = '';
  try {
    text = await res.text();
  } catch (e) {
    text = '';
  }
  let msg = text.trim();
  try {
    const j = JSON.parse(text);
    if (j && typeof j.error === 'string') msg = j.error;
    else if (j && typeof j.message === 'string') msg = j.message;
  } catch (e) {
    // plain text body
  }
  if (!msg) msg = res.statusText || ('HTTP ' + res.status);
  if (res.status === 413) msg = 'The file is too large to upload. ' + msg;
  return new ApiError(msg, res.status);
}

async function request(method, url, body) {
  let res;
  try {
    const init = { method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError('The modelpeek server is not reachable. Is it still running?', 0);
  }
  return decode(res);
}

/** decode turns a fetch Response into its JSON (or text) value or an ApiError. */
export async function decode(res) {
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) return res.json();
  if (type.includes(PACKED_TYPE)) return unpack(await res.arrayBuffer(), res.status);
  if (type.includes(WIRE_TYPE)) return res.arrayBuffer();
  return res.text();
}

/** unpack inflates a packed compact view; what fails is an ApiError. */
async function unpack(gz, status) {
  try {
    return await inflate(gz);
  } catch (e) {
    throw new ApiError(`The server's reply could not be unpacked: ${e.message}`, status);
  }
}

/**
 * settle awaits a reply prefetch.js started and decoded ({res, value},
 * {res, gz}, {res, err} or {res}) and returns its value (a packed view
 * inflated) or throws an ApiError.
 */
export async function settle(p) {
  let got;
  try {
    got = await p;
  } catch (e) {
    throw new ApiError('The modelpeek server is not reachable. Is it still running?', 0);
  }
  if ('gz' in got) return unpack(got.gz, got.res.status);
  if ('value' in got) return got.value;
  if (got.err) throw new ApiError(`The server's reply is not valid JSON: ${got.err.message}`, got.res.status);
  return decode(got.res);
}

const enc = encodeURIComponent;

/** The API calls. */
export const api = {
  models: () => request('GET', '/api/models'),
  // brief leaves the weight list out of the summary (counted by dtype).
  model: (id, brief) => request('GET', `/api/models/${enc(id)}${brief ? '?brief=1' : ''}`),
  // cached asks only for a view laid out already (null when it is not).
  graph: (id, path, expand, collapse, wire, cached) => {
    let q = `?path=${enc(path || '')}`;
    if (expand) q += `&expand=${enc(expand)}`;
    if (collapse) q += `&collapse=${enc(collapse)}`;
    if (wire) q += packing() ? '&wire=1&gz=1' : '&wire=1';
    if (cached) q += '&cached=1';
    return request('GET', `/api/models/${enc(id)}/graph${q}`);
  },
  diff: (id, against) => request('GET', `/api/models/${enc(id)}/diff?against=${enc(against)}&view=1`),
  previousGraph: (id, expand) => request('GET', `/api/models/${enc(id)}/previous/graph?path=${expand ? `&expand=${enc(expand)}` : ''}`),
  node: (id, path, index) => request('GET', `/api/models/${enc(id)}/node?path=${enc(path || '')}&index=${index}`),
  tensor: (id, path, name) => request('GET', `/api/models/${enc(id)}/tensors/${enc(name)}?path=${enc(path || '')}`),
  stats: (id, path, name) => request('GET', `/api/models/${enc(id)}/stats/${enc(name)}?path=${enc(path || '')}`),
  channels: (id, path, name) => request('GET', `/api/models/${enc(id)}/channels/${enc(name)}?path=${enc(path || '')}`),
  values: (id, path, name, offset, count) => request('GET', `/api/models/${enc(id)}/values/${enc(name)}?path=${enc(path || '')}&offset=${offset}&count=${count}`),
  npyURL: (id, path, name) => `/api/models/${enc(id)}/npy/${enc(name)}?path=${enc(path || '')}`,
  params: (id) => request('GET', `/api/models/${enc(id)}/paramcount`),
  close: (id) => request('DELETE', `/api/models/${enc(id)}`),
  watch: (id, on) => request('POST', `/api/models/${enc(id)}/watch`, { on }),
  watchAll: (on) => request('POST', '/api/watch', { on }),
  quit: () => request('POST', '/api/quit'),
};

/**
 * upload sends one file as a raw body with its name in X-Filename, calling
 * progress(fraction) as bytes go out. It resolves to the server's answer.
 */
export function upload(file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/upload');
    xhr.withCredentials = true;
    xhr.setRequestHeader('X-Filename', encodeURIComponent(file.name));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && progress) progress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch (e) {
          reject(new ApiError('The server sent an answer I do not understand.', xhr.status));
        }
        return;
      }
      let msg = xhr.responseText.trim();
      try {
        const j = JSON.parse(msg);
        if (j && j.error) msg = j.error;
      } catch (e) {
        // plain text
      }
      if (xhr.status === 413) msg = `${file.name} is too large to upload. ${msg}`;
      reject(new ApiError(msg || `Uploading ${file.name} failed (HTTP ${xhr.status}).`, xhr.status));
    });
    xhr.addEventListener('error', () => reject(new ApiError(`Uploading ${file.name} failed: the server is not reachable.`, 0)));
    xhr.addEventListener('abort', () => reject(new ApiError(`Uploading ${file.name} was cancelled.`, 0)));
    xhr.send(file);
  });
}
