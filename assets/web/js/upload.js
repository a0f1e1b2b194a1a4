// Opening files from the page: drag and drop anywhere, the Open… button,
// and the sample model button. Files are uploaded one by one with a
// progress bar, then the first opened model is shown.

import { $, show } from './dom.js';
import { api, upload } from './api.js';
import { banner, showError } from './render.js';
import { syncModels, switchTo } from './panels.js';
import { openCompare } from './compare.js';

/** uploadFiles uploads files and shows the first model they opened. */
export async function uploadFiles(app, files) {
  files = [...files];
  if (!files.length) return;
  const box = $('progress');
  const bar = $('progress-bar');
  const text = $('progress-text');
  show(box, true);
  const opened = [];
  let failed = null;
  for (const f of files) {
    text.textContent = `Uploading ${f.name}`;
    bar.value = 0;
    try {
      const r = await upload(f, (p) => (bar.value = p));
      opened.push(...((r && r.ids) || []));
    } catch (e) {
      failed = e.message;
    }
  }
  show(box, false);
  try {
    syncModels(app, await api.models());
  } catch (e) {
    failed = failed || e.message;
  }
  if (files.length === 2 && opened.length === 2) {
    // Two files dropped at once are compared.
    await openCompare(app, opened[0], opened[1]);
    if (failed) banner(failed);
  } else if (opened.length) {
    await switchTo(app, opened[0]);
    if (failed) banner(failed);
  } else if (failed) {
    show($('empty'), false);
    showError(app, failed);
  }
}

/** hasFiles reports whether a drag event carries files. */
function hasFiles(e) {
  return e.dataTransfer && [...(e.dataTransfer.types || [])].includes('Files');
}

/** initDrop shows the drop overlay while files are dragged over the page. */
function initDrop(app) {
  let depth = 0; // dragenter minus dragleave: the overlay's children fire too
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    show($('drop'), true);
  });
  window.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) show($('drop'), false);
  });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    show($('drop'), false);
    if (e.dataTransfer && e.dataTransfer.files.length) uploadFiles(app, e.dataTransfer.files);
  });
}

/** initUpload wires drag and drop, Open… and the sample button. */
export function initUpload(app) {
  initDrop(app);
  const input = $('file-input');
  $('btn-open').addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    uploadFiles(app, input.files);
    input.value = '';
  });
  $('btn-sample').addEventListener('click', async () => {
    try {
      const res = await fetch('sample.onnx');
      if (!res.ok) throw new Error('the sample is missing');
      const blob = await res.blob();
      await uploadFiles(app, [new File([blob], 'sample.onnx')]);
    } catch (e) {
      showError(app, `Could not open the sample model: ${e.message}`);
    }
  });
}
