// FaceMimic studio, create half (issue #14): the expression designer and "animate a portrait".
// Plain ES module, loaded beside app.js; it adds a Live/Create switch to the header and its own
// <main>. Every computation is a server call (/api/create/*: the generator, the animator); this
// file only draws and keeps the designer's edits (undo/redo) until they are saved.

import { TIMELINE_HTML, buildTimeline } from "./timeline.js";
import { ANIMATE_HTML, buildAnimate, portraitFace, showFaces } from "./animate.js";
import { buildDesigner3D, picked3D, show3D } from "./designer3d.js";
import { buildStills, markPicked as markStill, showStills, stillThumb } from "./stills.js";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};
// What the browser tests read.
window.studioCreate = { errors: [], saved: [], variations: 0, jobs: [] };

const S = {
  info: null, create: null, ueIndex: new Map(), result: null, design: null, picked: 0,
  edits: {}, undo: [], redo: [], drawing: false, redraw: false,
};

function showError(text) {
  const box = $("create-error");
  box.textContent = text || "";
  box.hidden = !text;
  if (text) window.studioCreate.errors.push(text);
}

async function api(method, url, body, raw = false) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.body = raw ? body : JSON.stringify(body);
    if (!raw) opts.headers["content-type"] = "application/json";
  }
  const r = await fetch(url, opts);
  const data = await r.json().catch(() => ({ error: `${url}: HTTP ${r.status}` }));
  if (!r.ok || data.error) throw new Error(data.error || (data.detail && JSON.stringify(data.detail)) || r.status);
  return data;
}

// -- layout -------------------------------------------------------------------------------------
function buildPage() {
  const link = el("link", { rel: "stylesheet", href: "/static/create/create.css" });
  document.head.append(link);
  const live = document.querySelector("main");
  live.id = live.id || "live-main";
  const nav = el("nav", { className: "views", ariaLabel: "studio views" },
    el("button", { id: "view-live", type: "button", className: "on", textContent: "Live" }),
    el("button", { id: "view-create", type: "button", textContent: "Create", title: "Design expressions, animate a portrait" }));
  document.querySelector("header h1").after(nav);
  const main = el("main", { id: "create-main", hidden: true });
  main.innerHTML = DESIGNER_HTML + TIMELINE_HTML + ANIMATE_HTML + ANALYSE_HTML;
  live.after(main);
  // stays in view wherever the page is scrolled (an upload fails far below the top); a click dismisses it
  const banner = el("div", { id: "create-error", className: "error", role: "alert", hidden: true, title: "click to dismiss" });
  banner.onclick = () => showError("");
  main.before(banner);
  const show = (create) => {
    live.hidden = create; main.hidden = !create;
    $("view-live").classList.toggle("on", !create); $("view-create").classList.toggle("on", create);
    if (!create) showError("");
  };
  $("view-live").onclick = () => show(false);
  $("view-create").onclick = () => show(true);
  if (location.hash === "#create") show(true);
}

const DESIGNER_HTML = `
<section class="panel wide" id="designer-panel" aria-labelledby="h-designer">
  <h2 id="h-designer">Expression designer</h2>
  <form id="d-form" class="row">
    <label class="grow">Prompt <input id="d-prompt" value="a bit disgusted but amused" size="34"
      title="a feeling in words: degree words ('very', 'a bit') and compounds ('X but Y') work"></label>
    <label>Intensity <input id="d-intensity" type="number" min="0" max="1" step="0.05" placeholder="auto"></label>
    <label>Asymmetry <input id="d-asymmetry" type="number" min="-1" max="1" step="0.1" value="0"></label>
    <label>Style <select id="d-style"><option value="">from prompt</option></select></label>
    <label>Variations <input id="d-variations" type="number" min="1" max="16" value="4"></label>
    <label>Seed <input id="d-seed" type="number" placeholder="random"></label>
    <label>Model <select id="d-model" title="the shipped generator, or one trained below (Analyse → Learn)"><option value="">shipped</option></select></label>
    <label>Avatar <select id="d-avatar"></select></label>
    <button id="d-generate" type="submit">Generate</button>
  </form>
  <p id="d-meaning" class="muted" aria-live="polite"></p>
  <div class="designer-views">
    <div id="d-variations-box" class="variations" role="listbox" aria-label="variations"><p class="muted empty">Press
      <b>Generate</b>: the prompt's variations appear here side by side; click one, then adjust it with the sliders.</p></div>
    <figure class="portrait-view">
      <label title="a photo uploaded in Animate a portrait (its face and crop are the ones chosen there)">On my portrait
        <select id="d-portrait"><option value="">(none: upload one below)</option></select></label>
      <img id="d-still" alt="the picked variation on your portrait (drawn by the animator)" hidden>
      <figcaption id="d-still-note" class="muted"></figcaption>
    </figure>
  </div>
  <div class="designer-edit">
    <div>
      <div class="row">
        <button id="d-undo" type="button" title="Undo (Ctrl+Z)" disabled>Undo</button>
        <button id="d-redo" type="button" title="Redo (Ctrl+Shift+Z)" disabled>Redo</button>
        <button id="d-reset" type="button" title="Forget the edits of this variation">Reset variation</button>
        <label><input type="checkbox" id="d-link" checked> link left/right</label>
        <span id="d-edit-note" class="muted">generate variations first, then the sliders adjust the picked one</span>
      </div>
      <div id="d-sliders" class="sliders"></div>
    </div>
    <div class="save-box">
      <h3>Library</h3>
      <div class="row">
        <label>Name <input id="d-name" value="my-expression" size="16"></label>
        <button id="d-save" type="button">Save</button>
      </div>
      <ul id="d-library" class="takes"></ul>
    </div>
  </div>
</section>`;

const ANALYSE_HTML = `
<section class="panel wide" id="analyse-panel" aria-labelledby="h-analyse">
  <h2 id="h-analyse">Analyse <small>the emotion timeline of a take, a track or a video (facemimic analyze)</small></h2>
  <div class="row">
    <label class="grow">File <input id="y-source" list="a-files" placeholder="takes/… .jsonl, timelines/… .jsonl, videos/… .mp4"></label>
    <button id="y-run" type="button">Analyse</button>
    <label title="a video of a face: it goes to videos/ and is analysed">or upload a video <input id="y-upload" type="file" accept="video/*"></label>
    <span id="y-note" class="muted" aria-live="polite"></span>
  </div>
  <div class="analyse-plot">
    <canvas id="y-plot" width="1200" height="220" aria-label="basic emotion probabilities over time; hover for details"></canvas>
    <canvas id="y-va" width="1200" height="80" aria-label="valence and arousal over time"></canvas>
    <div id="y-segments" class="segments"></div>
    <div id="y-tip" class="tip" role="status" hidden></div>
  </div>
  <p id="y-legend" class="legend"></p>
  <h3 class="sub">Learn my face</h3>
  <p class="muted">Drag across the plot to mark a span, name the state it shows, add it; then label
    (a dataset, as <code>facemimic label</code>) and train (<code>facemimic train</code>). The model
    appears in the designer's model choice.</p>
  <div class="row">
    <span id="l-span" class="muted">no span marked</span>
    <label>State <input id="l-state" value="happy" size="12" list="l-states"></label>
    <datalist id="l-states"></datalist>
    <button id="l-add" type="button">Add span</button>
  </div>
  <ul id="l-spans" class="takes"></ul>
  <div class="row">
    <label>Name <input id="l-name" value="my-face" size="14"></label>
    <button id="l-label" type="button">Label</button>
    <label>Epochs <input id="l-epochs" type="number" min="1" max="50" value="6"></label>
    <button id="l-train" type="button">Train</button>
    <button id="l-cancel" type="button" hidden title="stop after the current epoch; no model is written">Cancel</button>
    <span id="l-note" class="muted" aria-live="polite"></span>
  </div>
  <canvas id="l-loss" width="480" height="120" aria-label="training loss per epoch"></canvas>
</section>`;

// -- designer -----------------------------------------------------------------------------------
function buildDesigner() {
  for (const s of S.create.styles) $("d-style").append(el("option", { value: s, textContent: s }));
  for (const s of S.create.avatar_styles) $("d-avatar").append(el("option", { value: s, textContent: s }));
  const box = $("d-sliders");
  const groups = Object.entries(S.info.regions);
  groups.push(["Eyes, gaze and head", Object.keys(S.create.pose_keys)]);
  for (const [region, names] of groups) {
    const g = el("fieldset", { className: "slider-group" }, el("legend", { textContent: region }));
    for (const name of names) {
      const [lo, hi] = S.create.pose_keys[name] || [0, 1];
      const input = el("input", { type: "range", min: lo, max: hi, step: (hi - lo) / 100, value: lo });
      input.dataset.name = name;
      input.setAttribute("aria-label", name);
      const val = el("span", { className: "val", textContent: "0.00" });
      input.oninput = () => setEdit(name, Number(input.value));
      g.append(el("label", { className: "slider", title: name }, el("span", { className: "name", textContent: name }), input, val));
    }
    box.append(g);
  }
  $("d-form").onsubmit = (ev) => { ev.preventDefault(); generate(); };
  $("d-portrait").onchange = portraitChanged;
  $("d-undo").onclick = undo;
  $("d-redo").onclick = redo;
  $("d-reset").onclick = () => { pushUndo(); delete S.edits[S.picked]; afterEdit(); };
  $("d-save").onclick = save;
  document.addEventListener("keydown", (ev) => {
    if ($("create-main").hidden || !(ev.ctrlKey || ev.metaKey) || ev.key.toLowerCase() !== "z") return;
    if (ev.target.tagName === "INPUT" && ev.target.type !== "range") return;
    ev.preventDefault();
    ev.shiftKey ? redo() : undo();
  });
}

function designFromForm() {
  const num = (id) => ($(id).value === "" ? null : Number($(id).value));
  return { prompt: $("d-prompt").value, intensity: num("d-intensity"), asymmetry: num("d-asymmetry") || 0,
           style: $("d-style").value || null, variations: num("d-variations") || 1, seed: num("d-seed"),
           model: $("d-model").value || null };
}

async function generate() {
  showError("");
  try {
    const design = designFromForm();
    const result = await api("POST", "/api/create/express", { ...design, avatar_style: $("d-avatar").value });
    // The seed used is kept: saving regenerates exactly these variations.
    S.design = { ...design, seed: result.seed };
    $("d-seed").placeholder = `random (last ${result.seed})`;
    S.result = result; S.edits = {}; S.undo = []; S.redo = []; S.picked = 0;
    $("d-meaning").textContent = `${result.meaning} · intensity ${result.intensity} · style ${result.style} · seed ${result.seed} · model ${result.model}`;
    drawVariations();
    pick(0);
    window.studioCreate.variations = result.variations.length;
  } catch (e) { showError(e.message); }
}

function drawVariations() {
  const box = $("d-variations-box");
  box.textContent = "";
  S.result.variations.forEach((v, i) => {
    const img = el("img", { alt: `variation ${i + 1}`, width: 200, height: 200 });
    setSvg(img, v.svg);
    const card = el("button", { type: "button", className: "variation", title: "pick this variation, then adjust it" },
      img, el("span", { textContent: `#${i + 1}` }));
    card.setAttribute("role", "option");
    card.dataset.index = i;
    card.onclick = () => pick(i);
    box.append(card);
  });
  show3D();  // the variations on the 3D avatar, when one is loaded
  showStills().catch((e) => showError(e.message));  // ... and on the chosen portrait
}

function setSvg(img, svg) {
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
}

// The portrait, or its face (the animate panel's face picker and crop), changed: draw them again.
function portraitChanged() {
  drawStill().catch((e) => showError(e.message));
  showStills().catch((e) => showError(e.message));  // every variation on it, side by side
}

// What a still is drawn on: the chosen photo, with the face and crop chosen in the animate panel.
function portrait() {
  const source = $("d-portrait").value;
  return { source, ...portraitFace(source) };
}

// The picked variation on the chosen portrait: one frame from the animator (JPEG).
async function drawStill() {
  const on = portrait(), { source } = on, img = $("d-still"), picked = S.picked, key = JSON.stringify(on);
  if (!source || !S.result) { img.hidden = true; return; }
  const t = performance.now();
  $("d-still-note").textContent = S.stillReady === key ? "" : "preparing the portrait (a few seconds, once)…";
  const r = await fetch("/api/create/still", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...currentPose(S.picked), ...on, size: 512 }) });
  if (!r.ok) {
    $("d-still-note").textContent = "";
    throw new Error((await r.json()).error);
  }
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await r.blob());
  img.hidden = false;
  stillThumb(picked, img).catch(() => {});  // its thumbnail among the variations follows
  S.stillReady = key;
  const ms = performance.now() - t;
  // the server draws the square around the face when the whole photo leaves the face too small
  const crop = r.headers.get("x-still-crop") || on.crop;
  const face = on.face === null ? "the largest face" : `face #${on.face}`;
  $("d-still-note").textContent = `variation #${S.picked + 1} on ${face}`
    + (crop === "face" ? (on.crop === "face" ? ", square around it" : ", square around it (too small in the whole photo)") : "")
    + ` · ${ms.toFixed(0)} ms · AI-generated preview · face and crop: the Animate panel's`;
  window.studioCreate.stillOn = { ...on, drawn: crop };
  window.studioCreate.stills = (window.studioCreate.stills || 0) + 1;
  window.studioCreate.stillMs = ms;
}

function pick(i) {
  S.picked = i;
  document.querySelectorAll(".variation").forEach((c) => c.setAttribute("aria-selected", String(Number(c.dataset.index) === i)));
  syncSliders();
  drawStill().catch((e) => showError(e.message));
  picked3D();
  markStill();
}

function currentPose(i) {
  const v = S.result.variations[i];
  const pose = { weights: v.weights.slice(), openness: v.openness.slice(),
                 gaze: v.gaze.map((g) => g.slice()), head: v.head.slice() };
  for (const [k, x] of Object.entries(S.edits[i] || {})) {
    if (S.ueIndex.has(k)) pose.weights[S.ueIndex.get(k)] = x;
    else if (k === "EyeOpennessLeft") pose.openness[0] = x;
    else if (k === "EyeOpennessRight") pose.openness[1] = x;
    else if (k === "GazeX" || k === "GazeY") { const j = k === "GazeX" ? 0 : 1; pose.gaze[0][j] = x; pose.gaze[1][j] = x; }
    else pose.head[["HeadYaw", "HeadPitch", "HeadRoll"].indexOf(k)] = x;
  }
  return pose;
}

function poseValue(pose, k) {
  if (S.ueIndex.has(k)) return pose.weights[S.ueIndex.get(k)];
  if (k === "EyeOpennessLeft") return pose.openness[0];
  if (k === "EyeOpennessRight") return pose.openness[1];
  if (k === "GazeX") return pose.gaze[0][0];
  if (k === "GazeY") return pose.gaze[0][1];
  return pose.head[["HeadYaw", "HeadPitch", "HeadRoll"].indexOf(k)];
}

function syncSliders() {
  if (!S.result) return;
  const pose = currentPose(S.picked);
  const edited = S.edits[S.picked] || {};
  for (const input of document.querySelectorAll("#d-sliders input")) {
    const v = poseValue(pose, input.dataset.name);
    input.value = v;
    input.nextElementSibling.textContent = Number(v).toFixed(2);
    input.parentElement.classList.toggle("edited", input.dataset.name in edited);
  }
  $("d-undo").disabled = !S.undo.length;
  $("d-redo").disabled = !S.redo.length;
  const n = Object.keys(edited).length;
  $("d-edit-note").textContent = `variation #${S.picked + 1}` + (n ? `, ${n} shape(s) adjusted` : "");
}

function partner(name) {
  if (!$("d-link").checked) return null;
  const m = name.match(/^(.*)(Left|Right)(.*)$/);
  if (!m) return null;
  const other = m[1] + (m[2] === "Left" ? "Right" : "Left") + m[3];
  return S.ueIndex.has(other) || other in S.create.pose_keys ? other : null;
}

const snapshot = () => JSON.stringify(S.edits);
function pushUndo() { S.undo.push(snapshot()); S.redo = []; }

function setEdit(name, value) {
  if (!S.result) return;
  pushUndo();
  const e = (S.edits[S.picked] ||= {});
  e[name] = value;
  const other = partner(name);
  if (other) e[other] = value;
  afterEdit();
}

function undo() { if (!S.undo.length) return; S.redo.push(snapshot()); S.edits = JSON.parse(S.undo.pop()); afterEdit(); }
function redo() { if (!S.redo.length) return; S.undo.push(snapshot()); S.edits = JSON.parse(S.redo.pop()); afterEdit(); }

function afterEdit() {
  syncSliders();
  redraw();
}

// One drawing request in flight; a change during it asks for one more (the latest pose).
async function redraw() {
  if (S.drawing) { S.redraw = true; return; }
  S.drawing = true;
  try {
    do {
      S.redraw = false;
      const i = S.picked;
      const { svg } = await api("POST", "/api/create/pose", { ...currentPose(i), avatar_style: $("d-avatar").value });
      setSvg(document.querySelector(`.variation[data-index="${i}"] img`), svg);
      show3D(i);  // not awaited: the 3D avatar follows on its own
      if (i === S.picked) await drawStill();
    } while (S.redraw);
  } catch (e) { showError(e.message); } finally { S.drawing = false; }
}

async function save() {
  showError("");
  if (!S.design) return showError("generate variations first");
  const name = $("d-name").value.trim();
  try {
    const r = await api("POST", `/api/create/library/${encodeURIComponent(name)}`, { ...S.design, edits: S.edits });
    window.studioCreate.saved.push(r.path);
    await refreshLibrary();
  } catch (e) { showError(e.message); }
}

async function refreshLibrary() {
  const { expressions } = await api("GET", "/api/create/library");
  const list = $("d-library");
  list.textContent = "";
  for (const x of expressions) {
    const li = el("li", {}, el("b", { textContent: x.name }),
      el("span", { className: "muted", textContent: ` "${x.prompt}" seed ${x.seed}, ${x.variations} pose(s)${x.edited ? ", adjusted" : ""} ` }));
    for (const f of S.info.export_formats) {
      const a = el("a", { href: `/api/export/${x.path}?format=${f}`, textContent: f, download: `${x.name}.${f}` });
      a.dataset.format = f;
      li.append(a);
    }
    const open = el("button", { type: "button", className: "open", textContent: "Open", title: "back into the designer, edits included" });
    open.onclick = () => openDesign(x).catch((e) => showError(e.message));
    li.append(open, " ");
    const vrm = el("a", { href: `/api/create/library/${encodeURIComponent(x.name)}/vrm`, textContent: "VRM expressions",
                          download: `${x.name}.vrm`, title: "each variation as a VRM expression (on the test head)" });
    vrm.dataset.format = "vrm-expressions";
    li.append(vrm);
    li.dataset.name = x.name;
    list.append(li);
  }
}

// A saved expression back in the designer: the same prompt, options and seed, then its edits.
async function openDesign(x) {
  $("d-prompt").value = x.prompt;
  $("d-intensity").value = x.intensity ?? "";
  $("d-asymmetry").value = x.asymmetry ?? 0;
  $("d-style").value = x.style || "";
  $("d-variations").value = x.variations;
  $("d-seed").value = x.seed;
  $("d-name").value = x.name;
  $("d-model").value = x.model || "";
  await generate();
  S.edits = JSON.parse(JSON.stringify(x.edits || {}));
  for (const i of Object.keys(S.edits)) { S.picked = Number(i); await redraw(); }
  pick(Number(Object.keys(S.edits)[0] ?? 0));
}

// -- analyse ------------------------------------------------------------------------------------
const EMOTION_COLOURS = ["#8b93a3", "#ffd166", "#5aa9ff", "#d77bff", "#7ee2b8", "#ff6b6b", "#9bd35a", "#ffb35a"];

function buildAnalyse() {
  const analyse = () => runAnalysis().catch((e) => { $("y-note").textContent = ""; showError(e.message); });
  $("y-run").onclick = analyse;
  $("y-upload").onchange = () => upload($("y-upload"), (path) => {
    $("y-source").value = path;
    listUploads().catch((e) => showError(e.message));
    analyse();
  });
  emptyCanvas($("y-plot"), "Pick a take, a track or a video above (or upload a video), then Analyse: its emotions over time appear here.");
  emptyCanvas($("l-loss"), "Train: the loss appears here after each epoch.");
  for (const c of [$("y-plot"), $("y-va")]) {
    c.onmousemove = (ev) => { hoverAnalysis(ev, c); if (S.drag) { S.drag[1] = timeAt(ev, c); showSpan(); } };
    c.onmouseleave = () => { $("y-tip").hidden = true; };
    c.onmousedown = (ev) => { if (S.analysis) { S.drag = [timeAt(ev, c), timeAt(ev, c)]; showSpan(); } };
    c.onmouseup = (ev) => { if (S.drag) { S.drag[1] = timeAt(ev, c); S.marked = [...S.drag].sort((a, b) => a - b); S.drag = null; showSpan(); } };
  }
  S.spans = [];
  $("l-add").onclick = () => {
    if (!S.marked || S.marked[1] - S.marked[0] < 0.05) return showError("drag across the plot to mark a span first");
    S.spans.push([+S.marked[0].toFixed(2), +S.marked[1].toFixed(2), $("l-state").value.trim()]);
    drawSpans();
  };
  $("l-label").onclick = () => labelSpans().catch((e) => showError(e.message));
  $("l-train").onclick = () => trainModel().catch((e) => showError(e.message));
}

// What a plot shows before there is anything to plot.
function emptyCanvas(c, text) {
  const g = c.getContext("2d");
  g.fillStyle = "#0f1116"; g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = "#8b93a3"; g.font = "13px sans-serif";
  g.fillText(text, 12, 24);
}

function timeAt(ev, canvas) {
  const a = S.analysis, r = canvas.getBoundingClientRect();
  const f = Math.max(0, Math.min(1, (ev.clientX - r.left) / r.width));
  return a.time[0] + f * (a.time.at(-1) - a.time[0]);
}

function showSpan() {
  const span = S.drag || S.marked;
  if (!span) return;
  const [a, b] = [...span].sort((p, q) => p - q);
  $("l-span").textContent = `span ${a.toFixed(2)}–${b.toFixed(2)} s`;
  drawAnalysis();
  const c = $("y-plot"), g = c.getContext("2d"), t0 = S.analysis.time[0], t1 = S.analysis.time.at(-1);
  const x = (t) => ((t - t0) / Math.max(t1 - t0, 1e-6)) * c.width;
  g.fillStyle = "#5aa9ff33";
  g.fillRect(x(a), 0, x(b) - x(a), c.height);
}

function drawSpans() {
  $("l-spans").replaceChildren(...S.spans.map(([a, b, st], i) => {
    const del = el("button", { type: "button", textContent: "remove" });
    del.onclick = () => { S.spans.splice(i, 1); drawSpans(); };
    return el("li", {}, `${a.toFixed(2)}–${b.toFixed(2)} s = ${st} `, del);
  }));
  window.studioCreate.spansLabelled = S.spans.slice();
}

async function labelSpans() {
  showError("");
  if (!S.analysis) return showError("analyse a file first");
  const r = await api("POST", `/api/create/label/${encodeURIComponent($("l-name").value.trim())}`,
    { source: S.analysis.source, spans: S.spans });
  S.dataset = r.dataset;
  $("l-note").textContent = `${r.dataset}: ${r.frames} frames (${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(", ")})`;
  window.studioCreate.dataset = r;
}

async function trainModel() {
  showError("");
  if (!S.dataset) return showError("label some spans first");
  const job = await api("POST", `/api/create/train/${encodeURIComponent($("l-name").value.trim())}`,
    { dataset: S.dataset, epochs: Number($("l-epochs").value) });
  await followTraining(job);
}

// A training run that was going when the page was (re)loaded: follow it again.
async function resumeTraining() {
  const { jobs } = await api("GET", "/api/create/train/jobs");
  const job = jobs.find((j) => j.state === "running");
  if (job) await followTraining(job);
}

// The loss curve, redrawn after each epoch while the run goes on; then the model in the designer's list.
async function followTraining(job) {
  const live = (window.studioCreate.lossLive = []);  // the curve as drawn while training (epochs shown)
  $("l-cancel").hidden = false;
  $("l-cancel").onclick = () => api("POST", `/api/create/train/job/${job.id}/cancel`)
    .then(() => { $("l-note").textContent = "cancelling: the current epoch ends first…"; })
    .catch((e) => showError(e.message));
  while (job.state === "running") {
    if (!$("l-note").textContent.startsWith("cancelling")) {
      $("l-note").textContent = `training ${job.model}: epoch ${job.losses.length}/${job.epochs}`;
    }
    drawLoss(job);
    if (live.at(-1) !== job.losses.length) live.push(job.losses.length);
    await new Promise((r) => setTimeout(r, 300));
    job = await api("GET", `/api/create/train/job/${job.id}`);
  }
  drawLoss(job);
  $("l-cancel").hidden = true;
  window.studioCreate.training = job;
  if (job.state === "failed") return showError(job.error);
  if (job.state === "cancelled") {
    $("l-note").textContent = `cancelled after epoch ${job.losses.length} of ${job.epochs}; no model written`;
    return;
  }
  $("l-note").textContent = `trained ${job.model} (loss ${job.losses.at(-1)}); choose it in the designer's Model`;
  await refreshModels();
}

function drawLoss(job) {
  const c = $("l-loss"), g = c.getContext("2d"), L = job.losses;
  g.fillStyle = "#0f1116"; g.fillRect(0, 0, c.width, c.height);
  if (!L.length) {
    g.fillStyle = "#8b93a3"; g.font = "13px sans-serif";
    return g.fillText(`training: epoch 1 of ${job.epochs} (its loss appears when it ends)`, 12, 24);
  }
  const hi = Math.max(...L), lo = Math.min(...L), n = Math.max(job.epochs, 2);
  g.strokeStyle = "#5aa9ff"; g.lineWidth = 2; g.beginPath();
  L.forEach((v, i) => {
    const x = 10 + (i / (n - 1)) * (c.width - 20), y = c.height - 10 - ((v - lo) / Math.max(hi - lo, 1e-9)) * (c.height - 20);
    i ? g.lineTo(x, y) : g.moveTo(x, y);
  });
  g.stroke();
  g.fillStyle = "#8b93a3"; g.font = "11px sans-serif";
  g.fillText(`loss ${L.at(-1)} (epoch ${L.length}/${job.epochs})`, 10, 14);
}

async function refreshModels() {
  const { models } = await api("GET", "/api/create/models");
  const sel = $("d-model"), keep = sel.value;
  sel.replaceChildren(el("option", { value: "", textContent: "shipped" }),
    ...models.map((m) => el("option", { value: m.path, textContent: m.name })));
  sel.value = keep;
}

async function runAnalysis() {
  showError("");
  $("y-note").textContent = "analysing…";
  const a = await api("POST", "/api/create/analyse", { source: $("y-source").value.trim() });
  S.analysis = a;
  $("l-states").replaceChildren(...a.basic_names.map((n) => el("option", { value: n })));
  window.studioCreate.analysis = { source: a.source, frames: a.time.length, segments: a.segments, csv: a.csv };
  $("y-note").replaceChildren(`${a.time.length} frames · `, el("a", { href: `/files/${a.csv}`, download: a.csv.split("/").pop(), textContent: "CSV" }));
  $("y-legend").replaceChildren(...a.basic_names.flatMap((n, i) => {
    const sw = el("i"); sw.style.background = EMOTION_COLOURS[i];
    return [sw, n];
  }), " · valence (solid), arousal (dashed)");
  drawAnalysis();
}

function drawAnalysis() {
  const a = S.analysis, c = $("y-plot"), g = c.getContext("2d"), W = c.width, H = c.height;
  const t0 = a.time[0] ?? 0, t1 = a.time.at(-1) ?? 1, x = (t) => ((t - t0) / Math.max(t1 - t0, 1e-6)) * (W - 2) + 1;
  g.clearRect(0, 0, W, H);
  g.fillStyle = "#0f1116"; g.fillRect(0, 0, W, H);
  a.basic_names.forEach((_, k) => {
    g.strokeStyle = EMOTION_COLOURS[k]; g.lineWidth = 2; g.beginPath();
    let pen = false;
    a.time.forEach((t, i) => {
      const p = a.basic[i][k];
      if (p === null) { pen = false; return; }
      const y = H - 4 - p * (H - 8);
      pen ? g.lineTo(x(t), y) : g.moveTo(x(t), y);
      pen = true;
    });
    g.stroke();
  });
  const v = $("y-va"), h = v.getContext("2d"), VH = v.height;
  h.fillStyle = "#0f1116"; h.fillRect(0, 0, W, VH);
  h.strokeStyle = "#2b303b"; h.beginPath(); h.moveTo(0, VH / 2); h.lineTo(W, VH / 2); h.stroke();
  for (const [series, dash] of [[a.valence, []], [a.arousal, [6, 4]]]) {
    h.setLineDash(dash); h.strokeStyle = "#e4e6eb"; h.lineWidth = 1.5; h.beginPath();
    let pen = false;
    a.time.forEach((t, i) => {
      if (series[i] === null) { pen = false; return; }
      const y = VH / 2 - series[i] * (VH / 2 - 4);
      pen ? h.lineTo(x(t), y) : h.moveTo(x(t), y);
      pen = true;
    });
    h.stroke();
  }
  h.setLineDash([]);
  const seg = $("y-segments");
  seg.replaceChildren(...a.segments.map((s) => {
    const b = el("span", { textContent: s.state, title: `${s.start.toFixed(2)}–${s.end.toFixed(2)} s: ${s.state} ${s.probability} (${s.detail})` });
    b.style.left = `${(100 * (s.start - t0)) / Math.max(t1 - t0, 1e-6)}%`;
    b.style.width = `${(100 * (s.end - s.start)) / Math.max(t1 - t0, 1e-6)}%`;
    b.style.background = EMOTION_COLOURS[a.basic_names.indexOf(s.state)] + "55";
    return b;
  }));
}

// Hover: the frame under the pointer, its probabilities, valence/arousal and strongest AUs.
function hoverAnalysis(ev, canvas) {
  const a = S.analysis;
  if (!a || !a.time.length) return;
  const r = canvas.getBoundingClientRect();
  const t = a.time[0] + ((ev.clientX - r.left) / r.width) * (a.time.at(-1) - a.time[0]);
  let i = 0;
  while (i + 1 < a.time.length && a.time[i + 1] <= t) i++;
  const tip = $("y-tip");
  tip.hidden = false;
  tip.style.left = `${ev.clientX - r.left + 12}px`;
  tip.style.top = `${ev.clientY - canvas.parentElement.getBoundingClientRect().top + 12}px`;
  if (!a.present[i]) { tip.textContent = `${a.time[i].toFixed(2)} s: no face`; return; }
  const probs = a.basic_names.map((n, k) => [n, a.basic[i][k]]).sort((p, q) => q[1] - p[1]);
  // the strongest action units, with their FACS names (AU12 lip corner puller 0.61)
  const aus = a.au_names.map((n, k) => [`${n} ${a.au_titles[k]}`, a.aus[i][k]]).filter((p) => p[1] > 0.1)
    .sort((p, q) => q[1] - p[1]).slice(0, 4);
  tip.replaceChildren(
    el("b", { textContent: `${a.time[i].toFixed(2)} s` }), el("br"),
    ...probs.slice(0, 4).flatMap(([n, p]) => [`${n} ${(100 * p).toFixed(0)}%`, el("br")]),
    `states: ${a.top[i].map(([n, p]) => `${n} ${(100 * p).toFixed(0)}%`).join(", ")}`, el("br"),
    `valence ${a.valence[i]?.toFixed(2)}, arousal ${a.arousal[i]?.toFixed(2)}`, el("br"),
    `AUs: ${aus.map(([n, v]) => `${n} ${v.toFixed(2)}`).join(", ") || "none"}`);
  tip.dataset.frame = i;
}

// -- uploads (the animate panel, the designer's portrait, the timeline's recording) ---------------
// Photos and recordings uploaded earlier (the workspace keeps them) are offered again after a reload.
// The workspace's .vrm/.glb files (uploads, `facemimic avatar3d` outputs) added to a <select> that
// does not list them yet: the designer's and the timeline's 3D model choosers.
async function listModels(select) {
  const { files } = await api("GET", "/api/files");
  for (const f of files) {
    if (/\.(vrm|glb)$/i.test(f.path) && !select.querySelector(`option[value="${CSS.escape(f.path)}"]`)) {
      select.append(el("option", { value: f.path, textContent: f.path }));
    }
  }
}

async function listUploads() {
  const { files } = await api("GET", "/api/files");
  // the value box suggests workspace tracks and videos (for the track and video drivers)
  $("a-files").replaceChildren(...files.filter((f) => /\.(jsonl|csv|npz)$/.test(f.path) && !f.path.startsWith("jobs/")
    || f.path.startsWith("videos/")).map((f) => el("option", { value: f.path })));
  for (const f of files) {
    if (f.path.startsWith("portraits/") && !$("a-source").querySelector(`option[value="${CSS.escape(f.path)}"]`)) {
      $("a-source").prepend(el("option", { value: f.path, textContent: f.path.split("/").pop() }));
    }
    if (f.path.startsWith("audio/")) S.audio = f.path;
    if (f.path.startsWith("portraits/") && !$("d-portrait").querySelector(`option[value="${CSS.escape(f.path)}"]`)) {
      $("d-portrait").append(el("option", { value: f.path, textContent: f.path.split("/").pop() }));
    }
  }
  const none = $("d-portrait").options[0];
  none.textContent = $("d-portrait").options.length > 1 ? "(none)" : "(none: upload one below)";
  if (!S.sourcePicked) $("a-source").value = $("a-source").options[0].value;
}

async function upload(input, done) {
  showError("");
  const file = input.files[0];
  if (!file) return;
  const problem = window.studio.oversize(file);  // said at once, in the server's words (app.js)
  if (problem) { showError(problem); input.value = ""; return; }
  try {
    const r = await api("PUT", `/api/create/upload/${encodeURIComponent(file.name)}`, file, true);
    done(r.path);
  } catch (e) { showError(e.message); input.value = ""; }
}

// -- start --------------------------------------------------------------------------------------
async function init() {
  buildPage();
  [S.info, S.create] = await Promise.all([api("GET", "/api/info"), api("GET", "/api/create/info")]);
  S.info.ue_names.forEach((n, i) => S.ueIndex.set(n, i));
  buildDesigner();
  buildDesigner3D({ api, showError, listModels, info: S.info, count: () => (S.result ? S.result.variations.length : 0),
                    pose: currentPose, picked: () => S.picked });
  buildStills({ count: () => (S.result ? S.result.variations.length : 0), pose: currentPose, picked: () => S.picked, pick,
                portrait });
  buildTimeline({ api, showError, upload, setSvg, listModels, info: S.info, avatarStyle: () => $("d-avatar").value });
  buildAnimate({ api, showError, upload, listUploads, create: S.create, shared: S, timelineName: () => $("t-name").value,
                 faceChanged: () => { if ($("d-portrait").value) portraitChanged(); } });
  buildAnalyse();
  await Promise.all([refreshLibrary(), listUploads(), refreshModels()]);
  resumeTraining().catch((e) => showError(e.message));
  showFaces().catch((e) => showError(e.message));
}

window.studioCreate.ready = init().catch((e) => showError(String(e.message || e)));
