// FaceMimic studio, create half: "animate a portrait" (issue #14 §3). Its own ES module, imported by
// create.js (which lays out the page and passes its helpers in). The photo's faces come from the
// animator's own finder (/api/create/faces: numbered as `facemimic animate --face N`); jobs run in
// the server's queue, and their changes and the running job's latest frame arrive over one
// WebSocket (/api/create/jobs/ws); while it is down the page polls the job list instead.

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};
// "hear the words" where the recogniser cannot run (its library needs AVX-512; no wheel): the box stays,
// the job then recognises phones and warns; the label says so before the user asks
export function noRecogniserHint(label, reason) {
  if (!reason) return;
  label.title = `${label.title}. Not on this machine: ${reason}; the lips follow recognised phones instead`;
  label.append(el("span", { className: "muted no-recogniser", textContent: " (phones here)" }));
}

// The page's helpers (create.js): api, showError, upload, listUploads, create (/api/create/info),
// shared (create.js's state: sourcePicked, audio), timelineName(), faceChanged() (the designer's
// portrait follows the face and crop chosen here).
let C = null;
const A = { jobs: new Map(), frames: new Map(), faces: null, socket: null, poll: null, retry: null };

export const ANIMATE_HTML = `
<section class="panel wide" id="animate-panel" aria-labelledby="h-animate">
  <h2 id="h-animate">Animate a portrait <small>videos are marked as AI-generated</small></h2>
  <form id="a-form" class="row">
    <label>Photo <input id="a-photo" type="file" accept="image/*"></label>
    <label>Source <select id="a-source"><option value="avatar">built-in avatar</option></select></label>
    <label>Driver <select id="a-driver">
      <option value="say">typed text (built-in voice)</option>
      <option value="expression">expression or timeline</option>
      <option value="audio">audio recording</option>
      <option value="timeline">a timeline built above (its name)</option>
      <option value="track">a track file (a take, a saved expression)</option>
      <option value="video">a driving video (reenactment)</option></select></label>
    <label class="grow"><span id="a-value-label">Text</span> <input id="a-value" value="Hello, I am a synthetic face." size="36" list="a-files"></label>
    <datalist id="a-files"></datalist>
    <label>Mood <input id="a-mood" placeholder="(optional)" size="10"></label>
    <label>Size <select id="a-size"></select></label>
    <label>Crop <select id="a-crop"><option value="fit">whole photo</option><option value="face">square around the face</option></select></label>
    <label>Face # <input id="a-face" type="number" min="0" placeholder="largest" title="group photos: face number, 0 = leftmost (or pick a face below)"></label>
    <label>Seed <input id="a-seed" type="number" placeholder="random" title="generator seed (same seed, same motion)"></label>
    <label><input type="checkbox" id="a-calibrate" checked> calibrate</label>
    <label title="re-track every frame and correct it (animate --refine); off: about 4x faster"><input type="checkbox" id="a-refine" checked> refine</label>
    <button id="a-start" type="submit">Animate</button>
  </form>
  <div id="a-picker" class="face-picker" hidden>
    <span class="muted" id="a-faces-note"></span> <span class="warn" id="a-fit-warn" role="status"></span>
    <div id="a-faces" role="listbox" aria-label="faces in the photo (as animate --face N numbers them)"></div>
  </div>
  <div class="row"><label>Audio <input id="a-audio" type="file" accept="audio/*"></label>
    <label title="no transcript: hear the recording's English words first, then align them (animate --transcribe; far more exact lip closures on real voices)"><input type="checkbox" id="a-hear"> hear the words</label>
    <span class="muted">for the "audio recording" driver; the text box is then its transcript (optional)</span>
    <label>Driving video <input id="a-video" type="file" accept="video/*"></label></div>
  <ul id="a-jobs" class="jobs" aria-live="polite"></ul>
</section>`;

export function buildAnimate(context) {
  C = context;
  for (const s of C.create.sizes) $("a-size").append(el("option", { value: s, textContent: `${s} px`, selected: s === 512 }));
  $("a-size").append(el("option", { value: "original", textContent: "original", disabled: true,
                                    title: "the photo's own pixels (animate --size at the photo's resolution)" }));
  for (const s of C.create.avatar_styles.filter((x) => x !== "default")) {
    $("a-source").append(el("option", { value: `avatar:${s}`, textContent: `avatar: ${s}` }));
  }
  $("a-source").onchange = () => {
    C.shared.sourcePicked = true;
    $("a-face").value = "";  // a face number belongs to its photo
    showFaces().catch((e) => C.showError(e.message));
    C.faceChanged();
  };
  $("a-photo").onchange = () => C.upload($("a-photo"), (path) => {
    if (!$("a-source").querySelector(`option[value="${CSS.escape(path)}"]`)) {
      $("a-source").prepend(el("option", { value: path, textContent: path.split("/").pop() }));
    }
    $("a-source").value = path;
    $("a-face").value = "";  // a face number belongs to its photo
    C.shared.sourcePicked = true;
    C.listUploads();
    showFaces().catch((e) => C.showError(e.message));
    C.faceChanged();
  });
  $("a-audio").onchange = () => C.upload($("a-audio"), (path) => { C.shared.audio = path; setDriver("audio"); });
  $("a-video").onchange = () => C.upload($("a-video"), (path) => {
    setDriver("video"); $("a-value").value = path; C.listUploads();
  });
  // Each driver keeps its own text in the value box: a line typed for the voice, left in the box,
  // would otherwise be sent as a recording's transcript (and the recording aligned to it).
  const values = {};
  let shown = $("a-driver").value;
  const setDriver = (driver) => { $("a-driver").value = driver; $("a-driver").onchange(); };
  $("a-driver").onchange = () => {
    values[shown] = $("a-value").value;
    shown = $("a-driver").value;
    $("a-value").value = values[shown] ?? "";
    // the box's label says what it holds for this driver
    $("a-value-label").textContent = { say: "Text", expression: "Expression", audio: "Transcript", timeline: "Timeline",
                                       track: "Track file", video: "Video file" }[$("a-driver").value];
    $("a-value").placeholder = { say: "text to say", expression: "happy, or neutral 0.5s > surprised 1s",
                                 audio: "transcript (optional)", timeline: "timeline name",
                                 track: "takes/… .jsonl, expressions/… .jsonl", video: "videos/… .mp4" }[$("a-driver").value];
    if ($("a-driver").value === "timeline") $("a-value").value = C.timelineName();
    hearChanged();
  };
  // the words are the transcript or heard, not both: the transcript box rests while hearing
  const hearChanged = () => { $("a-value").disabled = $("a-driver").value === "audio" && $("a-hear").checked; };
  $("a-hear").onchange = hearChanged;
  noRecogniserHint($("a-hear").parentElement, C.shared.info.recogniser);
  $("a-face").oninput = () => { markPicked(); updateOriginal(); C.faceChanged(); };
  $("a-crop").onchange = () => { updateOriginal(); C.faceChanged(); };
  $("a-size").onchange = updateOriginal;
  $("a-form").onsubmit = (ev) => { ev.preventDefault(); startJob(); };
  connectJobs();
}

// -- the face picker ----------------------------------------------------------------------------
// Every face of the chosen photo, numbered left to right as `animate --face N`; click one to choose it.
export async function showFaces() {
  const source = $("a-source").value;
  A.faces = null;
  updateOriginal();
  if (!source || source.startsWith("avatar")) { $("a-picker").hidden = true; return; }
  $("a-picker").hidden = false;
  $("a-faces").textContent = "";
  $("a-faces-note").textContent = "finding the faces…";
  const r = await C.api("GET", `/api/create/faces?source=${encodeURIComponent(source)}`);
  if ($("a-source").value !== source) return;  // another photo was chosen meanwhile
  A.faces = r;
  $("a-faces-note").textContent = r.faces.length > 1
    ? `${r.faces.length} faces (largest: #${r.largest}); click one to animate it`
    : "one face";
  $("a-faces").replaceChildren(...r.faces.map((f) => {
    const b = el("button", { type: "button", className: "face", title: `face ${f.index} (${Math.round(f.width)} px wide)`
      + (f.usable ? "" : ": too small to animate") },
      el("img", { src: `data:image/jpeg;base64,${f.thumb}`, alt: `face ${f.index}` }), el("span", { textContent: `#${f.index}` }));
    b.setAttribute("role", "option");
    b.dataset.index = f.index;
    b.disabled = !f.usable;
    b.onclick = () => { $("a-face").value = String(f.index); markPicked(); updateOriginal(); C.faceChanged(); };
    return b;
  }));
  markPicked();
  updateOriginal();
  window.studioCreate.faces = { source, count: r.faces.length, largest: r.largest };
}

// The face and crop a still of `source` is drawn with: this panel's choice when it shows that photo
// (what `animate --face N --crop C` would animate), else the largest face of the whole photo.
export function portraitFace(source) {
  if (!source || source !== $("a-source").value) return { face: null, crop: "fit" };
  return { face: $("a-face").value === "" ? null : Number($("a-face").value), crop: $("a-crop").value };
}

function chosenFace() {
  if (!A.faces) return null;
  const v = $("a-face").value;
  return v === "" ? A.faces.largest : Number(v);
}

function markPicked() {
  const chosen = chosenFace();
  const explicit = $("a-face").value !== "";
  for (const b of document.querySelectorAll("#a-faces .face")) {
    const on = Number(b.dataset.index) === chosen;
    b.setAttribute("aria-selected", String(on));
    b.classList.toggle("auto", on && !explicit);  // the largest, chosen by default
  }
}

// "original": the `--size` that keeps the photo's own pixels (its longer side, or the face square's side).
function originalSize() {
  if (!A.faces) return null;
  if ($("a-crop").value === "fit") return A.faces.original;
  const f = A.faces.faces[chosenFace()];
  return f ? f.original_face : null;
}

function updateOriginal() {
  const opt = $("a-size").querySelector('option[value="original"]');
  const px = originalSize();
  opt.disabled = !px;
  opt.textContent = px ? `original (${px} px)` : "original";
  if (!px && $("a-size").value === "original") $("a-size").value = "512";
  fitWarning();
}

// The animator refuses a face under 64 px in its output (a group photo shrunk whole): say so before
// the job fails, with the choice that works.
function fitWarning() {
  const f = A.faces && A.faces.faces[chosenFace()];
  const size = $("a-size").value === "original" ? originalSize() : Number($("a-size").value);
  const px = f && $("a-crop").value === "fit" ? (f.width * size) / Math.max(A.faces.width, A.faces.height) : null;
  $("a-fit-warn").textContent = px !== null && px < 64
    ? `at ${size} px the whole photo leaves face #${f.index} ${Math.round(px)} px wide (64 needed): choose Crop "square around the face"`
    : "";
}

// -- jobs ---------------------------------------------------------------------------------------
async function startJob() {
  C.showError("");
  const driver = $("a-driver").value;
  const body = jobRequest(driver, $("a-value").value);
  if (driver === "audio") {
    if (!C.shared.audio) return C.showError("choose an audio recording first");
    const hear = $("a-hear").checked;  // the words heard, or the transcript typed (not both)
    Object.assign(body, { value: C.shared.audio, text: hear ? null : $("a-value").value || null, transcribe: hear });
  }
  try {
    showJob(await C.api("POST", "/api/create/jobs", body));
    if (!A.socket) await refreshJobs();
  } catch (e) { C.showError(e.message); }
}

// The job this panel's photo, face, crop and options make with a driver (the form's and the timeline's).
function jobRequest(driver, value) {
  const size = $("a-size").value === "original" ? originalSize() : Number($("a-size").value);
  return { source: $("a-source").value, driver, value, size, calibrate: $("a-calibrate").checked, refine: $("a-refine").checked,
           mood: $("a-mood").value || null, crop: $("a-crop").value,
           face: $("a-face").value === "" ? null : Number($("a-face").value),
           seed: $("a-seed").value === "" ? null : Number($("a-seed").value) };
}

// The timeline's "my portrait" view: a job in this same queue with the built timeline as driver,
// on the photo, face and crop chosen here; its changes and live frames go to watchJobs' listeners.
export async function queueTimelineJob(name) {
  if (!$("a-source").value || $("a-source").value.startsWith("avatar")) {
    throw new Error("my portrait: choose a photo (and its face and crop) in Animate a portrait first");
  }
  const body = { ...jobRequest("timeline", name), mood: null };  // the timeline carries its own moods
  const job = await C.api("POST", "/api/create/jobs", body);
  showJob(job);
  if (!A.socket) await refreshJobs();
  return job;
}

const watchers = new Set();
// fn({type: "job", job}) on every change of a job, fn({type: "frame", id, index, total, jpeg}) per live frame.
export function watchJobs(fn) { watchers.add(fn); }
const notify = (m) => { for (const fn of watchers) fn(m); };

// The push channel: the job list on connect, then each change and the running job's latest frame.
function connectJobs() {
  clearTimeout(A.retry);
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/create/jobs/ws`);
  ws.onopen = () => { A.socket = ws; clearTimeout(A.poll); window.studioCreate.jobSocket = true; };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "jobs") { A.jobs = new Map(m.jobs.map((j) => [j.id, j])); drawJobs(); }
    else if (m.type === "job") showJob(m.job);
    else if (m.type === "frame") showFrame(m);
  };
  ws.onclose = () => {
    const was = A.socket === ws;
    A.socket = null;
    window.studioCreate.jobSocket = false;
    refreshJobs().catch((e) => C.showError(e.message));  // poll until the socket is back
    A.retry = setTimeout(connectJobs, was ? 500 : 3000);
  };
}

// The fallback while the socket is down: the list over HTTP, every 0.4 s while a job is active.
async function refreshJobs() {
  const { jobs } = await C.api("GET", "/api/create/jobs");
  A.jobs = new Map(jobs.map((j) => [j.id, j]));
  drawJobs();
  clearTimeout(A.poll);
  const active = jobs.some((j) => j.state === "queued" || j.state === "running");
  if (active && !A.socket) A.poll = setTimeout(() => refreshJobs().catch((e) => C.showError(e.message)), 400);
}

function publish() {
  window.studioCreate.jobs = [...A.jobs.values()].sort((a, b) => b.created - a.created);
}

function drawJobs() {
  publish();
  for (const j of A.jobs.values()) notify({ type: "job", job: j });
  $("a-jobs").replaceChildren(...window.studioCreate.jobs.map(jobItem));
}

// One job changed: its list item is updated in place while it runs (a finished job's video is not
// reloaded by its neighbours' progress), replaced when its state changes.
const RANK = { queued: 0, running: 1 };  // finished states rank 2
const rank = (state) => RANK[state] ?? 2;

function showJob(j) {
  const known = A.jobs.get(j.id);
  if (known && rank(known.state) > rank(j.state)) return;  // an older answer after a pushed change
  A.jobs.set(j.id, j);
  if (j.state !== "queued" && j.state !== "running") A.frames.delete(j.id);
  publish();
  notify({ type: "job", job: j });
  const old = $("a-jobs").querySelector(`li[data-id="${CSS.escape(j.id)}"]`);
  if (old && old.dataset.state === j.state && (j.state === "running" || j.state === "queued")) {
    old.querySelector("progress").max = j.total || 1;
    old.querySelector("progress").value = j.done;
    old.querySelector(".count").textContent = `${j.done}/${j.total || "?"} frames`;
    old.querySelector(".step").textContent = j.status || "";
    return;
  }
  const li = jobItem(j);
  if (old) old.replaceWith(li);
  else $("a-jobs").prepend(li);
}

function showFrame(m) {
  A.frames.set(m.id, m);
  notify({ type: "frame", ...m });
  const seen = (window.studioCreate.liveFrames ||= []);
  seen.push({ id: m.id, index: m.index, total: m.total, at: performance.now() });
  const img = $("a-jobs").querySelector(`li[data-id="${CSS.escape(m.id)}"] img.live`);
  if (img) setFrame(img, m);
}

function setFrame(img, m) {
  img.src = `data:image/jpeg;base64,${m.jpeg}`;
  img.hidden = false;
  img.dataset.index = m.index;
  img.title = `frame ${m.index + 1}${m.total ? ` of ${m.total}` : ""} (a live preview, AI-generated)`;
}

function jobItem(j) {
  const r = j.request;
  const li = el("li", { className: `job ${j.state}` });
  li.dataset.id = j.id;
  li.dataset.state = j.state;
  const face = r.face === null || r.face === undefined ? "" : ` · face ${r.face}`;
  const what = `${r.source.split("/").pop()}${face} · ${r.driver}: “${r.driver === "audio" ? r.value.split("/").pop() : r.value}”`;
  li.append(el("div", {}, el("b", { textContent: j.state }), ` ${what} `, el("span", { className: "muted step", textContent: j.status || "" })));
  if (j.state === "running" || j.state === "queued") {
    const bar = el("progress", { max: j.total || 1, value: j.done });
    bar.setAttribute("aria-label", `job ${j.id} progress`);
    const cancel = el("button", { type: "button", textContent: "Cancel", className: "cancel" });
    cancel.onclick = () => C.api("POST", `/api/create/jobs/${j.id}/cancel`).then(showJob)
      .then(() => (A.socket ? null : refreshJobs())).catch((e) => C.showError(e.message));
    const live = el("img", { className: "live", alt: "the frame just drawn", hidden: true });
    if (A.frames.has(j.id)) setFrame(live, A.frames.get(j.id));
    li.append(el("div", { className: "row" }, bar, el("span", { className: "count", textContent: `${j.done}/${j.total || "?"} frames` }), cancel), live);
  }
  if (j.state === "failed") li.append(el("div", { className: "status bad", textContent: j.error }));
  if (j.state === "done") {
    const video = el("video", { controls: true, src: `/files/${j.video}`, preload: "metadata", poster: `/files/${j.preview}` });
    const note = `${j.frames} frames${j.audio ? ", with sound" : ""} · synthetic (AI-generated, marked in the file)`;
    li.append(video, el("div", { className: "row" },
      el("a", { href: `/files/${j.video}`, download: j.video.split("/").pop(), textContent: "Download MP4" }),
      el("span", { className: "muted", textContent: note })));
    if (j.words != null || j.request.transcribe) {
      li.append(el("div", { className: "status words", textContent: j.words != null ? `words heard: “${j.words}”` : "no words heard" }));
    }
    for (const w of j.warnings || []) li.append(el("div", { className: "status", textContent: `warning: ${w}` }));
  }
  return li;
}
