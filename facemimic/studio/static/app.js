// FaceMimic studio page: camera -> WebSocket -> meters, overlay, plots, avatar, outputs.
// Plain ES module, no bundler. The server does every computation; this file only draws.
import { Plot } from "./plot.js";
import { drawOverlay } from "./overlay.js";
import { Avatar3D } from "./avatar3d.js";

const $ = (id) => document.getElementById(id);
const FRAME_MAGIC = [0x46, 0x4d, 0x46, 0x31]; // "FMF1", see facemimic/studio/live.py
// Two frames in flight: the server tracks one while the next is encoded and sent, so the frame
// rate is not capped by the round trip; never more, so frames cannot queue up (latency stays low).
const MAX_IN_FLIGHT = 2;
const state = {
  ws: null, stream: null, running: false, inFlight: 0, frameId: 0, sentAt: new Map(),
  info: null, meters: [], last: null, recording: false, tuning: {}, tuneShape: null, sendChain: Promise.resolve(),
};
// Numbers the browser tests and benchmarks/studio_latency.py read.
window.studio = { frames: 0, latencies: [], errors: [], last: null, outputs: null, messages: [], history: [] };

const eyesPlot = new Plot($("plot-eyes"), 10, [[0, 1], [0, 1], [-1, 1], [-1, 1]]);
const headPlot = new Plot($("plot-head"), 10, [[-45, 45], [-45, 45], [-45, 45]]);

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = !text;
  if (text) window.studio.errors.push(text);
}

async function loadInfo() {
  const r = await fetch("/api/info");
  state.info = await r.json();
  buildMeters(state.info.regions);
  buildRegionSwitches(state.info.regions);
  buildSmoothing();
  if (state.info.vendor) {
    // Loaded on request: WebGL without a GPU costs CPU that tracking needs on a small laptop.
    $("avatar3d-note").textContent = "3D avatar: press Test head, or drop your .vrm/.glb on the panel."
      + (state.info.vrm_library ? "" : " (three-vrm is not installed: a .vrm loads as plain glTF; to add it: "
        + state.info.vendor_hint + ")");
  } else {
    $("avatar3d").hidden = true;
    $("avatar3d-note").textContent = "3D avatar: three.js and three-vrm are not installed; the studio runs "
      + "2D only. To add them: " + state.info.vendor_hint;
  }
  refreshFiles();
}

function buildMeters(regions) {
  const box = $("meters");
  box.textContent = "";
  const index = new Map(state.info.ue_names.map((n, i) => [n, i]));
  for (const [region, names] of Object.entries(regions)) {
    const h = document.createElement("h3");
    h.textContent = region;
    box.append(h);
    for (const name of names) {
      const row = document.createElement("div");
      row.className = "meter";
      row.dataset.name = name;
      row.innerHTML = `<span class="name" title="${name}">${name}</span>`
        + `<span class="bar" role="meter" aria-label="${name}" aria-valuemin="0" aria-valuemax="1">`
        + `<b class="cal"></b><b class="sent"></b><b class="raw"></b></span><span class="val">0.00</span>`;
      box.append(row);
      const [cal, sent, raw] = row.querySelectorAll("b");
      row.tabIndex = 0;
      row.onclick = () => selectShape(name);
      row.onkeydown = (e) => { if (e.key === "Enter") selectShape(name); };
      state.meters.push({ i: index.get(name), cal, sent, raw, bar: row.querySelector(".bar"),
                          val: row.querySelector(".val") });
    }
  }
}

// -- 3D avatar ------------------------------------------------------------------------------------
async function start3D(url, label) {
  try {
    state.avatar3d = state.avatar3d || await Avatar3D.create($("avatar3d"));
    $("avatar3d-note").textContent = `loading ${label}…`;
    const targets = await state.avatar3d.load(url);
    state.avatar3dLabel = label;
    send({ type: "avatar3d", targets, combinations: state.avatar3d.combinations, meshes: state.avatar3d.meshNames });
    // the create view's designer offers the model loaded here (static/create/designer3d.js)
    document.dispatchEvent(new CustomEvent("studio:avatar3d", { detail: { url, label } }));
  } catch (e) {
    $("avatar3d-note").textContent = `3D avatar: ${e.message || e}`;
  }
}

// The server refuses a body over its limit unread (413, naming the file); the page says so at once
// instead of after sending it, in the server's words (security.size_words). The create view uses it.
function sizeWords(n) {
  for (const [unit, size] of [["MB", 2 ** 20], ["KB", 1024]]) if (n >= size) return `${+(n / size).toPrecision(3)} ${unit}`;
  return `${n} bytes`;
}
window.studio.oversize = (file) => {
  const limit = state.info && state.info.max_upload_bytes;
  return limit && file.size > limit ? `${file.name}: upload larger than ${sizeWords(limit)}` : "";
};
function tooLarge(file) {
  const problem = window.studio.oversize(file);
  if (problem) showError(problem);
  return Boolean(problem);
}

async function uploadModel(file) {
  if (tooLarge(file)) return;
  const r = await fetch(`/api/upload/${encodeURIComponent(file.name)}`, { method: "PUT", body: file });
  const body = await r.json();
  if (!r.ok) return showError(body.error);
  start3D(`/files/${encodeURI(body.path)}`, body.path);
}

function buildRegionSwitches(regions) {
  for (const box of document.querySelectorAll(".regions")) {
    box.textContent = "";
    for (const region of Object.keys(regions)) {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.checked = true;
      input.dataset.region = region;
      input.onchange = () => send({ type: "regions", to: box.dataset.output,
        off: [...box.querySelectorAll("input")].filter((i) => !i.checked).map((i) => i.dataset.region) });
      label.append(input, ` ${region}`);
      box.append(label);
    }
  }
}

// -- tuning ------------------------------------------------------------------------------------
const TUNE_KEYS = ["gain", "floor", "ceiling", "curve"];
function selectShape(name) {
  state.tuneShape = name;
  $("tune-shape").textContent = name;
  document.querySelectorAll(".meter.selected").forEach((r) => r.classList.remove("selected"));
  document.querySelector(`.meter[data-name="${name}"]`)?.classList.add("selected");
  const t = state.tuning[name] || { gain: 1, floor: 0, ceiling: 1, curve: 1 };
  for (const k of TUNE_KEYS) { $(`tune-${k}`).value = t[k]; $(`tune-${k}-v`).textContent = Number(t[k]).toFixed(2); }
}
for (const k of TUNE_KEYS) {
  $(`tune-${k}`).oninput = () => { $(`tune-${k}-v`).textContent = Number($(`tune-${k}`).value).toFixed(2); };
  $(`tune-${k}`).onchange = () => {
    if (!state.tuneShape) return showError("choose a shape first: click its meter");
    const entry = Object.fromEntries(TUNE_KEYS.map((key) => [key, Number($(`tune-${key}`).value)]));
    send({ type: "tune", link: $("tune-link").checked, shapes: { [state.tuneShape]: entry } });
  };
}

// -- smoothing per face region (saved in the profile, as `track --profile` reads it) ----------------
const SMOOTH_REGIONS = ["eyes", "brows", "mouth", "head"];
const SMOOTH_CHOICES = ["preset", "off", "light", "strong", "raw", "custom"];
function buildSmoothing() {
  const box = $("smooth-regions");
  for (const region of SMOOTH_REGIONS) {
    const label = document.createElement("label");
    label.htmlFor = `smooth-${region}`;
    label.textContent = region;
    const sel = document.createElement("select");
    sel.id = `smooth-${region}`;
    for (const c of SMOOTH_CHOICES) sel.add(new Option(c, c));
    const custom = document.createElement("span");
    custom.className = "custom";
    custom.hidden = true;
    custom.innerHTML = `<label>min cutoff (Hz) <input type="number" id="smooth-${region}-mc" min="0.01" step="0.1" value="1" `
      + `aria-label="${region} min cutoff (Hz)"></label><label>beta <input type="number" id="smooth-${region}-beta" `
      + `min="0" step="0.5" value="5" aria-label="${region} beta"></label>`;
    const changed = () => {
      custom.hidden = sel.value !== "custom";
      let v = sel.value === "preset" ? null : sel.value;
      if (sel.value === "custom") {
        v = { min_cutoff: Number($(`smooth-${region}-mc`).value), beta: Number($(`smooth-${region}-beta`).value) };
      }
      send({ type: "smoothing", regions: { [region]: v } });
    };
    sel.onchange = changed;
    custom.querySelectorAll("input").forEach((i) => { i.onchange = changed; });
    box.append(label, sel, custom);
  }
}
function showSmoothing(regions) {
  for (const region of SMOOTH_REGIONS) {
    const v = (regions || {})[region];
    const sel = $(`smooth-${region}`);
    if (!sel) continue;
    sel.value = v == null ? "preset" : (typeof v === "string" ? v : "custom");
    sel.nextElementSibling.hidden = sel.value !== "custom";
    if (v && typeof v === "object") {
      // Why skip the focused field: an echo of an earlier change must not overwrite what the user is typing.
      for (const [key, val] of [["mc", v.min_cutoff], ["beta", v.beta]]) {
        const input = $(`smooth-${region}-${key}`);
        if (input !== document.activeElement) input.value = val;
      }
    }
  }
}

function pct(v) { return `${Math.max(0, Math.min(1, v ?? 0)) * 100}%`; }

function drawMeters(m) {
  for (const meter of state.meters) {
    const s = m.sent[meter.i] ?? 0;
    meter.cal.style.width = pct(m.weights[meter.i]);
    meter.sent.style.width = pct(s);
    meter.raw.style.width = pct(m.raw[meter.i]);
    meter.val.textContent = s.toFixed(2);
    meter.bar.setAttribute("aria-valuenow", s.toFixed(2));
  }
}

// -- WebSocket ---------------------------------------------------------------------------------
function connect() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws/live`);
    ws.onopen = () => { $("conn").textContent = "connected"; $("conn").className = "pill ok"; resolve(ws); };
    ws.onerror = () => reject(new Error("WebSocket failed"));
    ws.onclose = () => { $("conn").textContent = "disconnected"; $("conn").className = "pill"; state.ws = null; };
    ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
    state.ws = ws;
  });
}

function send(cmd) {
  if (state.ws && state.ws.readyState === 1) state.ws.send(JSON.stringify(cmd));
}

function onMessage(m) {
  window.studio.messages.push(m.type);
  if (window.studio.messages.length > 200) window.studio.messages.shift();
  switch (m.type) {
    case "frame": return onFrame(m);
    case "avatar2d": return showAvatar(m.svg);
    case "outputs": return showOutputs(m);
    case "skipped": state.inFlight = Math.max(0, state.inFlight - 1); state.sentAt.delete(m.id); return;
    case "error":
      state.inFlight = Math.max(0, state.inFlight - 1);
      if (state.play) state.play.pending = false;
      return showError(m.message);
    case "playback": return onPlayback(m);
    case "calibrating": $("calib-note").textContent = `hold a neutral face… ${m.left.toFixed(1)} s`; return;
    case "profile": return onProfile(m);
    case "take": return onTake(m);
    case "tuning":
      Object.assign(state.tuning, m.shapes);
      if (state.tuneShape) selectShape(state.tuneShape);  // the sliders show what was saved
      $("tune-note").textContent = `saved into ${m.path}`;
      return refreshFiles(m.path);
    case "smoothing":
      showSmoothing(m.regions);
      $("smooth-note").textContent = `saved into ${m.path}`;
      window.studio.smoothing = m;
      return refreshFiles(m.path);
    case "regions": return;
    case "avatar3d": {
      const vrm = state.avatar3d && state.avatar3d.kind === "vrm";
      $("avatar3d-note").textContent = `${state.avatar3dLabel}: ${m.mapped} ${vrm ? "VRM expressions (three-vrm; gaze "
        + "by lookAt)" : "morph targets"} driven through the export alias table`
        + `${m.unmapped.length ? `, ${m.unmapped.length} not mapped (${m.unmapped.slice(0, 4).join(", ")}`
          + `${m.unmapped.length > 4 ? " …" : ""})` : ""}`;
      window.studio.avatar3d = { ...m, kind: state.avatar3d ? state.avatar3d.kind : null };
      return;
    }
    case "recording": $("record-note").textContent = `recording… ${m.frames} frames`; return;
  }
}

function onFrame(m) {
  const sentAt = state.sentAt.get(m.id);
  state.sentAt.delete(m.id);
  state.inFlight = Math.max(0, state.inFlight - 1);
  state.last = m;
  const live = !state.play;  // while a take plays, it (not the camera) drives meters and avatars
  if (m.present && live) drawMeters(m);
  if (state.avatar3d && live) {
    state.avatar3d.update(m);
    const st = state.avatar3d.state();
    window.studio.avatar3dState = st;
    if (st.expressions) {  // each expression's [min, max] so far (the browser tests read it)
      const range = window.studio.avatar3dRange ||= {};
      const vals = { ...st.expressions, "lookAt.yaw": st.lookAt?.yaw ?? 0, "lookAt.pitch": st.lookAt?.pitch ?? 0 };
      for (const [k, v] of Object.entries(vals)) {
        range[k] = range[k] ? [Math.min(range[k][0], v), Math.max(range[k][1], v)] : [v, v];
      }
    }
  }
  drawOverlay($("overlay"), $("video"), m, {
    mesh: $("show-mesh").checked, axes: $("show-axes").checked, gaze: $("show-gaze").checked });
  const now = performance.now() / 1000;
  if (m.present) {
    eyesPlot.push(now, [m.eyes.left.openness, m.eyes.right.openness,
      (m.eyes.left.gaze[0] + m.eyes.right.gaze[0]) / 2, (m.eyes.left.gaze[1] + m.eyes.right.gaze[1]) / 2]);
    headPlot.push(now, [m.head.yaw, m.head.pitch, m.head.roll]);
  }
  eyesPlot.draw(now);
  headPlot.draw(now);
  if (sentAt !== undefined) {
    const ms = performance.now() - sentAt;  // camera frame grabbed -> weights drawn
    const lat = window.studio.latencies;
    lat.push(ms);
    if (lat.length > 5000) lat.shift();
    $("latency").textContent = `latency ${ms.toFixed(0)} ms · capture ${m.timing.capture_ms?.toFixed(1)} ms`;
  }
  window.studio.frames += 1;
  window.studio.last = m;
  if (m.present) {
    const h = window.studio.history;  // [capture time (s), mean eye openness]
    h.push([m.t, (m.eyes.left.openness + m.eyes.right.openness) / 2]);
    if (h.length > 3000) h.shift();
  }
  updateFps();
}

let fpsWindow = [];
function updateFps() {
  const now = performance.now();
  fpsWindow.push(now);
  while (fpsWindow.length && now - fpsWindow[0] > 1000) fpsWindow.shift();
  $("fps").textContent = `${fpsWindow.length} fps`;
  window.studio.fps = fpsWindow.length;
}

let avatarUrl = null;
function showAvatar(svg) {
  // A blob: URL, not innerHTML: the SVG is shown as a picture and can never run script.
  const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  $("avatar2d").src = url;
  if (avatarUrl) URL.revokeObjectURL(avatarUrl);
  avatarUrl = url;
}

function showOutputs(m) {
  window.studio.outputs = m;
  for (const t of ["vrchat", "vmc"]) {
    const s = m[t];
    const box = $(`${t}-status`);
    if (!s) { box.textContent = "off"; box.className = "status"; continue; }
    const err = s.errors ? ` · receiver errors ${s.errors}${s.last_error ? ` (${s.last_error})` : ""}` : "";
    box.textContent = `${s.target} · ${s.fps.toFixed(1)} fps · ${s.messages_per_s.toFixed(0)} msg/s · `
      + `${s.messages} messages${err}${s.note ? " · " + s.note : ""}`;
    box.className = s.errors ? "status bad" : "status";
  }
}

// -- camera --------------------------------------------------------------------------------------
const grab = document.createElement("canvas");

async function listCameras() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const sel = $("camera-device");
  const keep = sel.value;
  sel.length = 1;
  for (const d of devices.filter((d) => d.kind === "videoinput")) {
    const o = new Option(d.label || `camera ${sel.length}`, d.deviceId);
    sel.add(o);
  }
  sel.value = keep;
}

async function startCamera() {
  const [w, h] = $("camera-size").value.split("x").map(Number);
  const video = { width: { ideal: w }, height: { ideal: h } };
  if ($("camera-device").value) video.deviceId = { exact: $("camera-device").value };
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
  } catch (e) {
    return showError(`camera: ${e.message || e.name}`);
  }
  const v = $("video");
  v.srcObject = state.stream;
  await v.play();
  if (!state.ws) await connect();
  sendSettings();
  state.running = true;
  $("start").textContent = "Stop camera";
  $("start").classList.add("on");
  listCameras();
  pump();
}

function stopCamera() {
  state.running = false;
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
  $("start").textContent = "Start camera";
  $("start").classList.remove("on");
}

// At most MAX_IN_FLIGHT frames on their way: the next camera frame is grabbed when a slot frees.
function pump() {
  if (!state.running) return;
  const v = $("video");
  const next = () => (v.requestVideoFrameCallback ? v.requestVideoFrameCallback(pump) : requestAnimationFrame(pump));
  if (state.inFlight >= MAX_IN_FLIGHT || !state.ws || state.ws.readyState !== 1 || v.readyState < 2) return next();
  const [w, h] = [v.videoWidth, v.videoHeight];
  grab.width = w; grab.height = h;
  grab.getContext("2d").drawImage(v, 0, 0, w, h);
  const t0 = performance.now();
  const id = ++state.frameId;
  state.inFlight += 1;
  state.sentAt.set(id, t0);
  const encoded = new Promise((resolve) => grab.toBlob(resolve, "image/jpeg", 0.85));
  // Sends are chained: two encodings may finish out of order, the frames must not.
  state.sendChain = state.sendChain.then(async () => {
    const jpeg = new Uint8Array(await (await encoded).arrayBuffer());
    const msg = new Uint8Array(16 + jpeg.length);
    const view = new DataView(msg.buffer);
    FRAME_MAGIC.forEach((b, i) => view.setUint8(i, b));
    view.setUint32(4, id, true);
    view.setFloat64(8, t0 / 1000, true);
    msg.set(jpeg, 16);
    if (state.ws && state.ws.readyState === 1) state.ws.send(msg); else state.inFlight -= 1;
  });
  next();
}

// -- settings, outputs ---------------------------------------------------------------------------
function sendSettings() {
  send({ type: "capture", smoothing: $("smoothing").value });
  send({ type: "avatar2d", style: $("avatar-style").value });
  sendOutput("vrchat");
  sendOutput("vmc");
}

function sendOutput(to) {
  const on = $(`${to}-on`).checked;
  const cmd = { type: "output", to, enabled: on };
  if (on) {
    cmd.host = $(`${to}-host`).value.trim();
    cmd.port = Number($(`${to}-port`).value);
    if (to === "vrchat") {
      cmd.prefix = $("vrchat-prefix").value;
      cmd.binary_preset = $("vrchat-binary").checked ? "jerry" : null;
      cmd.avatar_config = $("vrchat-auto").checked ? "auto" : null;
    } else {
      cmd.perfect_sync = $("vmc-sync").checked;
    }
  }
  if (on || state.ws) send(cmd);
}

// -- calibration, profiles, takes ----------------------------------------------------------------
function onProfile(m) {
  state.tuning = m.tuning || {};
  showSmoothing(m.smoothing);
  if (state.tuneShape) selectShape(state.tuneShape);
  $("calib-note").textContent = m.path ? `profile ${m.path} applied` : "no profile";
  refreshFiles(m.path);
}

function onTake(m) {
  if (m.trimmed_from) {
    $("player-note").textContent = `saved ${m.path} (${m.frames} frames)`;
    window.studio.trimmed = m;
  } else {
    $("record-note").textContent = `saved ${m.path} (${m.frames} frames)`;
  }
  refreshFiles();
}

// -- take playback: the server answers the take's frame at a time (one request in flight, the latest wins)
function onPlayback(m) {
  window.studio.playback = m;
  if (!m.path) { state.play = null; $("player").hidden = true; return; }
  if (m.start !== undefined) {
    state.play = { path: m.path, start: m.start, end: m.end, playing: false, pending: false, want: null };
    $("player").hidden = false;
    $("player-name").textContent = m.path;
    Object.assign($("player-scrub"), { min: m.start, max: m.end, value: m.start });
    $("player-in-v").value = m.start.toFixed(2);
    $("player-out-v").value = m.end.toFixed(2);
    $("player-note").textContent = `${m.frames} frames, ${(m.end - m.start).toFixed(2)} s`;
  }
  const p = state.play;
  p.pending = false;
  if (m.frame.present) drawMeters(m.frame);
  if (state.avatar3d) state.avatar3d.update(m.frame);
  if (m.svg) showAvatar(m.svg);
  $("player-time").textContent = `${m.t.toFixed(2)} s`;
  if (!p.playing) $("player-scrub").value = m.t;
  if (p.want !== null) { const t = p.want; p.want = null; seek(t); }
}

function seek(t) {
  const p = state.play;
  if (!p) return;
  if (p.pending) { p.want = t; return; }
  p.pending = true;
  send({ type: "playback", time: t });
}

function playTick() {
  const p = state.play;
  if (!p || !p.playing) return;
  const t = p.from + (performance.now() - p.t0) / 1000;
  if (t >= p.end) { seek(p.end); return stopPlaying(); }
  $("player-scrub").value = t;
  seek(t);
  requestAnimationFrame(playTick);
}

function stopPlaying() {
  if (state.play) state.play.playing = false;
  $("player-play").textContent = "▶ Play";
}

$("player-play").onclick = () => {
  const p = state.play;
  if (!p) return;
  if (p.playing) return stopPlaying();
  let from = Number($("player-scrub").value);
  if (from >= p.end) from = p.start;
  Object.assign(p, { playing: true, from, t0: performance.now() });
  $("player-play").textContent = "❚❚ Pause";
  requestAnimationFrame(playTick);
};
$("player-scrub").oninput = () => { stopPlaying(); seek(Number($("player-scrub").value)); };
$("player-in").onclick = () => { $("player-in-v").value = Number($("player-scrub").value).toFixed(2); };
$("player-out").onclick = () => { $("player-out-v").value = Number($("player-scrub").value).toFixed(2); };
$("player-save").onclick = () => send({ type: "trim", start: Number($("player-in-v").value),
                                        end: Number($("player-out-v").value) });
$("player-close").onclick = () => { stopPlaying(); send({ type: "playback", path: null }); };

async function refreshFiles(selected) {
  const r = await fetch("/api/files");
  const files = (await r.json()).files.map((f) => f.path);
  const sel = $("profile-list");
  const keep = selected ?? sel.value;
  sel.length = 1;
  // profiles and takes: the studio's own (profiles/, takes/) and those added with "Add a file" or a drop,
  // which the upload keeps at the workspace's top (a file added there must show up to be used)
  const ours = (p, folder) => p.startsWith(folder) || !p.includes("/");
  for (const p of files.filter((p) => ours(p, "profiles/") && p.endsWith(".json"))) sel.add(new Option(p, p));
  sel.value = files.includes(keep) ? keep : "";
  const takes = $("takes");
  takes.textContent = "";
  // (an added track may be any track format; the studio's takes are .jsonl)
  for (const p of files.filter((p) => p.startsWith("takes/") ? p.endsWith(".jsonl") : !p.includes("/") && /\.(jsonl|csv|npz)$/.test(p))) {
    const li = document.createElement("li");
    const open = document.createElement("button");
    open.textContent = "▶";
    open.title = `play ${p} on the avatars`;
    open.setAttribute("aria-label", `play ${p}`);
    open.onclick = () => { stopPlaying(); send({ type: "playback", path: p }); };
    li.append(open, `${p.replace(/^takes\//, "")} `);
    for (const fmt of state.info.export_formats) {
      const a = document.createElement("a");
      a.href = `/api/export/${encodeURI(p)}?format=${fmt}`;
      a.textContent = fmt;
      a.download = "";
      li.append(a);
    }
    takes.append(li);
  }
}

// Any other file: uploaded and read by the CLI's own reader on the server (pictures and videos by
// the capture stage's source opening); a bad file shows the CLI's one-line error here.
async function uploadFile(file) {
  if (tooLarge(file)) return;
  $("media-note").textContent = `checking ${file.name}…`;
  const r = await fetch(`/api/upload/${encodeURIComponent(file.name)}`, { method: "PUT", body: file });
  const body = await r.json();
  window.studio.upload = { status: r.status, ...body };
  if (!r.ok) { $("media-note").textContent = ""; return showError(body.error); }
  showError("");
  $("media-note").textContent = `saved ${body.path} (${body.kind})`;
  refreshFiles();
}

// -- wiring ------------------------------------------------------------------------------------
$("media-file").onchange = () => { if ($("media-file").files[0]) uploadFile($("media-file").files[0]); };
document.addEventListener("dragover", (e) => e.preventDefault());
document.addEventListener("drop", (e) => {
  e.preventDefault();
  for (const f of e.dataTransfer.files) {
    if (/\.(vrm|glb)$/i.test(f.name)) uploadModel(f); else uploadFile(f);
  }
});
$("model-file").onchange = () => { if ($("model-file").files[0]) uploadModel($("model-file").files[0]); };
$("testhead").onclick = () => state.info.vendor && start3D("/api/testhead.glb", "the exporters' test head");
$("avatar3d").ondragover = (e) => e.preventDefault();
$("avatar3d").ondrop = (e) => { e.preventDefault(); e.stopPropagation(); if (e.dataTransfer.files[0]) uploadModel(e.dataTransfer.files[0]); };
$("start").onclick = () => (state.running ? stopCamera() : startCamera());
$("smoothing").onchange = () => send({ type: "capture", smoothing: $("smoothing").value });
$("avatar-style").onchange = () => send({ type: "avatar2d", style: $("avatar-style").value });
for (const t of ["vrchat", "vmc"]) {
  for (const el of document.querySelectorAll(`#out-${t} input`)) el.onchange = () => sendOutput(t);
}
$("calibrate").onclick = () => {
  if (!state.running) return showError("start the camera first: calibration records your resting face");
  send({ type: "calibrate", name: $("profile-name").value.trim() || "me", seconds: 3 });
};
$("profile-list").onchange = () => send({ type: "profile", path: $("profile-list").value || null });
$("record").onclick = () => {
  if (!state.running && !state.recording) return showError("start the camera first");
  state.recording = !state.recording;
  $("record").classList.toggle("on", state.recording);
  $("record").textContent = state.recording ? "■ Stop" : "● Record";
  send({ type: "record", on: state.recording });
};
document.addEventListener("keydown", (e) => {
  if (e.target.matches("input, select, textarea") || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === " ") { e.preventDefault(); $("start").click(); }
});

window.studioReady = connect().then(() => loadInfo()).then(() => sendSettings())
  .catch((e) => showError(String(e.message || e)));
