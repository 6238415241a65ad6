// FaceMimic studio, create half: the timeline panel (issue #14 §2). Its own ES module, imported by
// create.js (which lays out the page and passes its helpers in). Lanes on one time axis:
//   mood    spans in the text timeline syntax, with onset / apex / offset handles (the generator's
//           own fields: "surprised 1s (onset 0.2s, offset 0.3s)"; the text round-trips),
//   blinks  the generator's blink events (drag to move, double-click to delete or add),
//   gaze    the generated gaze with its fixations (drag a dot: time and target; double-click: delete),
//   head    the generated head motion with keys every 0.5 s (drag a key up/down: the curve bends there),
//   manual  a keyframe lane per chosen UE shape (click: add a key, drag: time/value, double-click: delete),
// then the speech lane, build (the animator's driver; edits are sent with it and merged on the server
// by the library), playback following the sound's clock, scrubbing, zoom (buttons, ctrl+wheel).
// Every computation is a server call (/api/create/timeline/*); playback needs none per frame: the 2D
// avatar's drawings come in chunks ahead of the playhead (a bounded cache) and the 3D avatar's morph
// values once per build, both shown from the sound's clock. "My portrait" renders the built timeline on
// the animate panel's photo (a job in its queue, driver "timeline") and plays the MP4 locked to the
// timeline's clock (the video muted: the sound stays the timeline's).

import { noRecogniserHint, queueTimelineJob, watchJobs } from "./animate.js";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};
const SVG_NS = "http://www.w3.org/2000/svg";
const svgEl = (tag, attrs = {}) => {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};

// The page's helpers (create.js): api, showError, upload, setSvg, info (/api/info), avatarStyle().
let C = null;
const PPS = 120; // pixels per second at zoom 1
const HEAD_STEP = 0.5; // s between the head lane's keys
const GAZE_RANGE = 0.6, HEAD_RANGE = 15; // lane heights: ± these values
const S = {
  spans: [], tl: null, zoom: 1, playing: false,
  // what the user changed; sent with every build (null / empty: the generator's own)
  edits: { blinks: null, saccades: null, keys: {}, head: {} },
};
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const pps = () => PPS * S.zoom;
const moodSeconds = () => S.spans.reduce((a, s) => a + s.seconds, 0);
const duration = () => Math.max(moodSeconds(), S.tl ? S.tl.duration : 0, 0.5);
// The generator's own onset when none is given: the built clip's (randomised around 0.6 s), or
// before a build the nominal 0.6 s capped at 45 % of the span.
const autoOnset = (sp, i) => {
  const built = S.tl && S.tl.mood_timeline ? S.tl.mood_timeline[i] : null;
  return built && built.prompt === sp.prompt && built.onset != null ? Math.min(built.onset, sp.seconds) : Math.min(0.6, 0.45 * sp.seconds);
};

export const TIMELINE_HTML = `
<section class="panel wide" id="timeline-panel" aria-labelledby="h-timeline">
  <h2 id="h-timeline">Timeline <small>mood + speech, as animate --mood … --say … builds them; blinks, gaze, head and your own keys on top</small></h2>
  <div class="row">
    <label class="grow">Mood <input id="t-text" value="neutral 0.5s > surprised 1s > happy 2s"
      title="expressions with durations, separated by >; a span's dynamics: surprised 1s (onset 0.2s, offset 0.3s)"></label>
    <button id="t-parse" type="button" title="Text -> lane">Show in lane</button>
  </div>
  <div class="row t-tools">
    <span>Zoom</span>
    <button id="t-zoom-out" type="button" title="zoom out (or Ctrl + wheel on the lanes)">−</button>
    <button id="t-zoom-in" type="button" title="zoom in (or Ctrl + wheel on the lanes)">+</button>
    <button id="t-zoom-fit" type="button" title="the whole timeline in view">fit</button>
    <span id="t-zoom-label" class="muted"></span>
    <label>Keyframe lane <select id="t-key-shape" aria-label="shape for a new keyframe lane"></select></label>
    <button id="t-key-add" type="button">Add lane</button>
    <span class="muted">drag the handles · double-click a handle: the generator's timing · double-click a blink, fixation or key: delete</span>
  </div>
  <div id="t-lanes" class="t-lanes">
    <div id="t-inner" class="t-inner">
      <div id="t-ruler" class="t-ruler" title="click or drag: scrub"></div>
      <div id="t-lane" class="lane t-track" aria-label="mood lane: one block per span"></div>
      <div id="t-blinks" class="t-track t-blinks" aria-label="blink lane" title="drag a blink to move it; double-click: delete it, or add one"></div>
      <div id="t-gaze" class="t-track t-curve" aria-label="gaze lane"></div>
      <div id="t-head" class="t-track t-curve" aria-label="head lane"></div>
      <div id="t-keylanes"></div>
      <div id="t-playhead" class="t-playhead"></div>
    </div>
  </div>
  <div class="row">
    <label>Speech <select id="t-speech-kind"><option value="say">typed text → built-in voice</option>
      <option value="audio">recording (+ transcript)</option></select></label>
    <label id="t-rec-label" hidden>Recording <select id="t-rec-pick" title="a recording in the workspace (audio/)"><option value="">(none yet: add one)</option></select>
      <input id="t-rec" type="file" accept="audio/*" title="add a recording (WAV, MP3, FLAC, OGG, M4A)"></label>
    <label id="t-hear-label" hidden title="no transcript: hear the recording's English words first, then align them (animate --transcribe; far more exact lip closures on real voices, a few seconds more)"><input id="t-hear" type="checkbox"> hear the words</label>
    <label class="grow"><span id="t-say-label">Text</span> <input id="t-say" value="Hello! Nice to meet you." title="text for the built-in voice, or the recording's transcript (optional)"></label>
    <label>Seed <input id="t-seed" type="number" value="1"></label>
    <label>Name <input id="t-name" value="my-timeline" size="14"></label>
    <button id="t-build" type="button">Build</button>
    <button id="t-reset-lanes" type="button" title="forget the blink, gaze, head and keyframe edits">Reset lanes</button>
  </div>
  <div class="timeline-play">
    <div id="t-avatar" class="t-avatar" role="img" aria-label="the built-in avatar playing the timeline"></div>
    <div class="t-3d">
      <div id="t-avatar3d" class="t-avatar3d" hidden></div>
      <label title="the exporters' test head, or a .vrm/.glb in the workspace (facemimic avatar3d's, or dropped here)">3D
        <select id="t-3d-model"><option value="testhead">test head</option></select></label>
      <label class="t-3d-add" title="add your own .vrm/.glb (or drop it on the 3D view)">+ <input id="t-3d-file" type="file" accept=".vrm,.glb"></label>
      <button id="t-3d" type="button" title="play the timeline on this 3D avatar too (three.js from the npm cache)">3D avatar</button>
      <span id="t-3d-note" class="muted"></span>
    </div>
    <div class="t-portrait">
      <div id="t-portrait-view" class="t-portrait-view" hidden>
        <img id="t-portrait-live" alt="the frame just drawn (a live preview, AI-generated)" hidden>
        <video id="t-portrait-video" muted playsinline preload="auto" hidden
          title="the timeline animated on your portrait (AI-generated, marked in the file); it follows the timeline's playhead"></video>
      </div>
      <button id="t-portrait" type="button" title="render the built timeline on the photo, face and crop chosen in Animate a portrait (a job in its queue), then play it here with the timeline">My portrait</button>
      <span id="t-portrait-note" class="muted" aria-live="polite"></span>
    </div>
    <div>
      <audio id="t-audio" controls preload="auto"></audio>
      <input id="t-scrub" type="range" min="0" max="1" step="0.001" value="0" aria-label="scrub the timeline">
      <p id="t-note" class="muted" aria-live="polite">Write a mood and something to say (or add a recording), then Build: the lanes fill in and the timeline plays on the avatars.</p>
      <p id="t-exports"></p>
    </div>
  </div>
</section>`;

export function buildTimeline(context) {
  C = context;
  document.head.append(el("link", { rel: "stylesheet", href: "/static/create/timeline.css" }));
  window.studioCreate.timelineView = { zoom: S.zoom, pps: pps(), seeks: [] };
  window.studioCreate.timelinePoses = P; // the 2D drawings' cache (the tests and the benchmark read it)
  $("t-parse").onclick = () => parseTimeline().then(zoomFit).catch((e) => C.showError(e.message));
  $("t-build").onclick = () => buildTrack().catch((e) => { $("t-note").textContent = ""; C.showError(e.message); });
  $("t-reset-lanes").onclick = () => {
    S.edits = { blinks: null, saccades: null, keys: {}, head: {} };
    $("t-keylanes").textContent = "";
    if (S.tl) rebuild();
  };
  $("t-scrub").oninput = () => { if (S.tl) seek(Number($("t-scrub").value) * S.tl.duration); };
  $("t-audio").onplay = () => playLoop();
  // where the sound stood while still: playback may have run a little before the page hears of it
  $("t-audio").onpause = () => { S.restT = $("t-audio").currentTime; };
  // the audio element's own controls move the time too: the 2D drawings follow there
  $("t-audio").onseeking = () => {
    S.restT = $("t-audio").currentTime;
    if (!S.tl || S.stalled) return;
    const a = $("t-audio");
    P.focus = frameAt(a.currentTime);
    pumpPoses();
    // a scrub past the voice's end leaves the sound clamped at its end: the timeline's time rules then
    if (a.currentTime < a.duration - 1e-3) syncPortrait(a.currentTime, S.playing);
  };
  const fail3D = (e) => { $("t-3d-note").textContent = ""; C.showError(`3D avatar: ${e.message || e}`); };
  $("t-3d").onclick = () => start3D().catch(fail3D);
  $("t-3d-model").onfocus = () => listModels().catch(fail3D);
  $("t-3d-model").onchange = () => { if (S.av3d) start3D().catch(fail3D); };
  $("t-3d-file").onchange = () => { if ($("t-3d-file").files[0]) addModel($("t-3d-file").files[0]).catch(fail3D); };
  $("t-avatar3d").ondragover = (e) => e.preventDefault();
  $("t-avatar3d").ondrop = (e) => { e.preventDefault(); if (e.dataTransfer.files[0]) addModel(e.dataTransfer.files[0]).catch(fail3D); };
  listModels().catch(() => {});
  $("t-portrait").onclick = () => startPortrait().catch((e) => { $("t-portrait-note").textContent = ""; C.showError(e.message); });
  watchJobs(portraitEvent);
  // The box holds the typed text or the recording's transcript, each kept apart: a line typed for the
  // voice, left in the box, would otherwise be the recording's transcript (and the recording aligned to it).
  const said = {};
  let kind = $("t-speech-kind").value;
  $("t-speech-kind").onchange = () => {
    said[kind] = $("t-say").value;
    kind = $("t-speech-kind").value;
    $("t-say").value = said[kind] ?? "";
    const rec = $("t-speech-kind").value === "audio";
    $("t-say").placeholder = rec ? "transcript (optional)" : "text to say";
    $("t-rec-label").hidden = $("t-hear-label").hidden = !rec;
    $("t-say-label").textContent = rec ? "Transcript" : "Text";
    hearChanged();
  };
  // the words are the transcript or heard, not both: the transcript box rests while hearing
  const hearChanged = () => { $("t-say").disabled = $("t-speech-kind").value === "audio" && $("t-hear").checked; };
  $("t-hear").onchange = hearChanged;
  noRecogniserHint($("t-hear-label"), C.info.recogniser);
  // the workspace's recordings stay offered (a reload forgets the file input, not the uploads)
  $("t-rec").onchange = () => C.upload($("t-rec"), (path) => {
    S.tlAudio = path;  // at once: Build may be pressed before the list below is back
    listRecordings(path).catch((e) => C.showError(e.message));
  });
  $("t-rec-pick").onchange = () => { S.tlAudio = $("t-rec-pick").value || null; };
  listRecordings().catch(() => {});
  $("t-key-shape").append(...C.info.ue_names.map((n) => el("option", { value: n, textContent: n })));
  $("t-key-shape").value = "JawOpen";
  $("t-key-add").onclick = () => {
    const name = $("t-key-shape").value;
    S.edits.keys[name] ||= [];
    drawKeyLanes();
  };
  // zoom: buttons keep the playhead in place, ctrl+wheel the time under the pointer
  $("t-zoom-in").onclick = () => zoomBy(1.5);
  $("t-zoom-out").onclick = () => zoomBy(1 / 1.5);
  $("t-zoom-fit").onclick = () => zoomFit();
  $("t-lanes").addEventListener("wheel", (ev) => {
    if (!(ev.ctrlKey || ev.metaKey)) return;
    ev.preventDefault();
    zoomBy(Math.exp(-ev.deltaY * 0.0015), ev.clientX);
  }, { passive: false });
  // the ruler scrubs: the time under the pointer, exactly (whatever the zoom and scroll)
  drag($("t-ruler"), (ev) => seek(timeAt(ev)), null, (ev) => seek(timeAt(ev)));
  parseTimeline().catch((e) => C.showError(e.message));
}

// -- the time axis --------------------------------------------------------------------------------
function timeAt(ev) {
  const r = $("t-inner").getBoundingClientRect();
  return Math.max(0, Math.min(duration(), (ev.clientX - r.left) / pps()));
}

// Pointer drag with capture: down(ev) at the start, move(ev) while dragging, up(ev) once at the end
// if the pointer moved (a click or the first click of a double-click changes nothing).
function drag(node, move, up, down) {
  node.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0 || ev.target.tagName === "INPUT") return;
    ev.preventDefault();
    ev.stopPropagation();
    node.setPointerCapture(ev.pointerId);
    if (down) down(ev);
    let moved = false;
    const onMove = (e) => { if (Math.abs(e.clientX - ev.clientX) + Math.abs(e.clientY - ev.clientY) >= 2) moved = true; if (moved) move(e); };
    const onUp = (e) => {
      node.removeEventListener("pointermove", onMove);
      node.removeEventListener("pointerup", onUp);
      node.removeEventListener("pointercancel", onUp);
      if (up && moved) up(e);
    };
    node.addEventListener("pointermove", onMove);
    node.addEventListener("pointerup", onUp);
    node.addEventListener("pointercancel", onUp);
  });
}

function setZoom(zoom, anchorX) {
  const box = $("t-lanes");
  const r = box.getBoundingClientRect();
  const x = anchorX ?? (S.shownAt != null ? r.left + Math.min(Math.max(S.shownAt * pps() - box.scrollLeft, 0), r.width) : r.left + r.width / 2);
  const t = (x - r.left + box.scrollLeft) / pps(); // the time under the anchor stays there
  S.zoom = Math.max(5 / PPS, Math.min(2000 / PPS, zoom));
  drawAll();
  box.scrollLeft = Math.max(0, t * pps() - (x - r.left));
  window.studioCreate.timelineView.zoom = S.zoom;
  window.studioCreate.timelineView.pps = pps();
  $("t-zoom-label").textContent = `${Math.round(pps())} px/s`;
}
const zoomBy = (f, anchorX) => setZoom(S.zoom * f, anchorX);
function zoomFit() {
  const w = $("t-lanes").clientWidth - 24;
  setZoom(w > 0 ? w / (duration() * PPS) : 1);
}

function drawAll() {
  const W = Math.ceil(duration() * pps()) + 24;
  $("t-inner").style.width = `${W}px`;
  drawRuler();
  layoutMood();
  drawBlinks();
  drawGaze();
  drawHead();
  drawKeyLanes();
  showPlayhead(S.shownAt ?? 0);
}

function drawRuler() {
  const ruler = $("t-ruler");
  ruler.textContent = "";
  const steps = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60];
  const step = steps.find((s) => s * pps() >= 60) ?? 60;
  for (let t = 0; t <= duration() + 1e-9; t += step) {
    const tick = el("span", { textContent: `${round(t, 2)}s` });
    tick.style.left = `${t * pps()}px`;
    ruler.append(tick);
  }
}

function showPlayhead(t) {
  S.shownAt = t;
  $("t-playhead").style.left = `${t * pps()}px`;
}

// Scrubbing: the sound, the avatar and the playhead go to exactly this time.
function seek(t) {
  if (!S.tl) { showPlayhead(t); return; }
  const audio = $("t-audio");
  if (S.tl.audio && Number.isFinite(audio.duration)) audio.currentTime = Math.min(t, audio.duration);
  S.clock0 = performance.now() - t * 1000;
  $("t-scrub").value = String(t / S.tl.duration);
  showPlayhead(t);
  window.studioCreate.timelineView.seeks.push([t, audio.currentTime]);
  show3D(t);
  syncPortrait(t, S.playing);
  drawAt(t);
}

// -- mood lane ------------------------------------------------------------------------------------
async function parseTimeline() {
  C.showError("");
  const { spans } = await C.api("POST", "/api/create/timeline/parse", { text: $("t-text").value });
  drawLane(spans);
}

// One block per span with its envelope (rise over the onset, the apex held, the offset's fall) and
// three handles: end of the onset, start of the offset, end of the span (its length).
function drawLane(spans, text = $("t-text").value) {
  S.spans = spans.map((s) => ({ ...s }));
  S.laneText = text;  // the text these spans are (a build of other text redraws them)
  const lane = $("t-lane");
  lane.textContent = "";
  S.spans.forEach((sp, i) => {
    const name = el("input", { value: sp.prompt, size: 10, ariaLabel: `span ${i + 1} expression` });
    const secs = el("input", { type: "number", value: sp.seconds, min: 0.05, step: 0.05, ariaLabel: `span ${i + 1} seconds` });
    name.onchange = () => { sp.prompt = name.value; laneToText().catch((e) => C.showError(e.message)); };
    secs.onchange = () => {
      sp.seconds = Number(secs.value);
      for (const k of ["onset", "offset"]) if (sp[k] != null) sp[k] = Math.min(sp[k], sp.seconds / 2);
      laneToText().catch((e) => C.showError(e.message));
    };
    const env = svgEl("svg", { class: "t-envelope", preserveAspectRatio: "none" });
    env.append(svgEl("polygon"));
    const block = el("div", { className: "span" }, env,
      el("div", { className: "fields" }, name, secs, el("span", { className: "muted", textContent: "s" })));
    block.dataset.index = i;
    for (const kind of ["onset", "offset", "end"]) {
      const h = el("div", { className: `handle ${kind}`, title: {
        onset: "onset: drag to set the rise into this expression (double-click: the generator's)",
        offset: "offset: drag to relax to neutral before the span ends (double-click: none)",
        end: "drag to change the span's length" }[kind] });
      h.dataset.kind = kind;
      h.setAttribute("role", "slider");
      h.setAttribute("aria-label", `span ${i + 1} ${kind}`);
      drag(h, (ev) => dragHandle(i, kind, ev), () => laneToText().catch((e) => C.showError(e.message)));
      if (kind !== "end") h.ondblclick = () => { sp[kind] = null; laneToText().catch((e) => C.showError(e.message)); };
      block.append(h);
    }
    lane.append(block);
  });
  window.studioCreate.spans = S.spans.map((s) => ({ ...s }));
  // the first time the lanes are on screen, the whole timeline fits their width
  if (!S.fitted && $("t-lanes").clientWidth > 0) { S.fitted = true; zoomFit(); } else drawAll();
}

function dragHandle(i, kind, ev) {
  const sp = S.spans[i];
  const start = S.spans.slice(0, i).reduce((a, s) => a + s.seconds, 0);
  const t = round(timeAt(ev) - start, 2);
  if (kind === "onset") sp.onset = Math.max(0, Math.min(t, sp.seconds - (sp.offset ?? 0)));
  else if (kind === "offset") sp.offset = Math.max(0, Math.min(round(sp.seconds - t, 2), sp.seconds - (sp.onset ?? 0)));
  else sp.seconds = Math.max(0.05, (sp.onset ?? 0) + (sp.offset ?? 0), t);
  layoutMood();
}

function layoutMood() {
  let start = 0;
  const p = pps();
  document.querySelectorAll("#t-lane .span").forEach((block) => {
    const i = Number(block.dataset.index), sp = S.spans[i];
    if (!sp) return;
    block.style.left = `${start * p}px`;
    block.style.width = `${sp.seconds * p}px`;
    const on = sp.onset ?? autoOnset(sp, i), off = sp.offset ?? 0, w = sp.seconds;
    const env = block.querySelector("svg");
    env.setAttribute("viewBox", `0 0 ${w} 1`);
    env.querySelector("polygon").setAttribute("points", `0,1 ${on},0.12 ${w - off},0.12 ${w},${sp.offset == null ? 0.12 : 1} ${w},1`);
    const at = { onset: on, offset: w - off, end: w };
    for (const h of block.querySelectorAll(".handle")) {
      h.style.left = `${at[h.dataset.kind] * p}px`;
      h.classList.toggle("auto", h.dataset.kind !== "end" && sp[h.dataset.kind] == null);
      h.setAttribute("aria-valuenow", String(round(h.dataset.kind === "end" ? w : (sp[h.dataset.kind] ?? 0), 2)));
    }
    block.querySelector("input[type=number]").value = String(round(sp.seconds, 3));
    start += sp.seconds;
  });
  $("t-inner").style.width = `${Math.ceil(duration() * p) + 24}px`;
}

// lane -> text: the server writes the spans in the timeline syntax and parses them back
async function laneToText() {
  C.showError("");
  const spans = S.spans.map((s) => ({ prompt: s.prompt, seconds: round(s.seconds, 3), onset: s.onset ?? null, offset: s.offset ?? null }));
  const r = await C.api("POST", "/api/create/timeline/format", { spans });
  $("t-text").value = r.text;
  drawLane(r.spans);
  if (S.tl) rebuild();
}

// -- generated lanes: blinks, gaze, head ----------------------------------------------------------
function drawBlinks() {
  const lane = $("t-blinks");
  lane.textContent = "";
  lane.append(el("span", { className: "t-label", textContent: "blinks" }));
  if (!S.tl) return;
  const events = S.edits.blinks ?? S.tl.blinks;
  events.forEach((ev, i) => {
    const [start, dur, depth] = ev;
    const b = el("div", { className: "blink", tabIndex: 0, title: `blink at ${start.toFixed(2)} s, ${Math.round(dur * 1000)} ms, depth ${depth}` });
    b.dataset.index = i;
    b.style.left = `${start * pps()}px`;
    b.style.width = `${Math.max(dur * pps(), 6)}px`;
    b.style.opacity = String(0.4 + 0.6 * depth);
    let grab = 0;
    drag(b, (e) => { ev[0] = round(Math.max(0, timeAt(e) - grab), 3); b.style.left = `${ev[0] * pps()}px`; },
      () => setBlinks(events), (e) => { grab = timeAt(e) - ev[0]; });
    const remove = () => { events.splice(i, 1); setBlinks(events); };
    b.ondblclick = (e) => { e.stopPropagation(); remove(); };
    b.onkeydown = (e) => { if (e.key === "Delete" || e.key === "Backspace") remove(); };
    lane.append(b);
  });
  lane.ondblclick = (e) => {
    if (e.target !== lane) return;
    events.push([round(timeAt(e), 3), 0.17, 1.0]);
    setBlinks(events);
  };
}

function setBlinks(events) {
  S.edits.blinks = events.map((e) => e.slice()).sort((a, b) => a[0] - b[0]);
  drawBlinks();
  rebuild();
}

// A curve lane: an SVG as wide as the timeline, values in [-range, range] (or [0, 1]) top to bottom.
function curveSvg(lane, label, height = 64) {
  lane.textContent = "";
  lane.append(el("span", { className: "t-label", textContent: label }));
  const svg = svgEl("svg", { width: Math.ceil(duration() * pps()) + 24, height });
  lane.append(svg);
  return svg;
}

function polyline(svg, values, y, cls) {
  const fps = S.tl.fps;
  const pts = values.map((v, i) => `${((i / fps) * pps()).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  svg.append(svgEl("polyline", { points: pts, class: cls }));
}

function drawGaze() {
  const lane = $("t-gaze");
  const svg = curveSvg(lane, "gaze");
  if (!S.tl) return;
  const H = 64, y = (v) => H / 2 - (v / GAZE_RANGE) * (H / 2 - 4);
  polyline(svg, S.tl.frames.map((f) => f[2][0][0]), y, "gx");
  polyline(svg, S.tl.frames.map((f) => f[2][0][1]), y, "gy");
  const events = S.edits.saccades ?? S.tl.saccades;
  events.forEach((ev, i) => {
    const dot = svgEl("circle", { cx: ev[0] * pps(), cy: y(ev[1]), r: 6, class: "key fixation", tabindex: 0 });
    dot.dataset.index = i;
    dot.append(svgEl("title"));
    dot.firstChild.textContent = `fixation at ${ev[0].toFixed(2)} s: x ${ev[1]}, y ${ev[2]} (drag: time and x)`;
    drag(dot, (e) => {
      const r = svg.getBoundingClientRect();
      ev[0] = round(timeAt(e), 3);
      ev[1] = round(Math.max(-1, Math.min(1, ((H / 2 - (e.clientY - r.top)) / (H / 2 - 4)) * GAZE_RANGE)), 3);
      dot.setAttribute("cx", ev[0] * pps()); dot.setAttribute("cy", y(ev[1]));
    }, () => setSaccades(events));
    dot.addEventListener("dblclick", (e) => { e.stopPropagation(); events.splice(i, 1); setSaccades(events); });
    svg.append(dot);
  });
}

function setSaccades(events) {
  S.edits.saccades = events.map((e) => e.slice()).sort((a, b) => a[0] - b[0]);
  drawGaze();
  rebuild();
}

// The head lane: yaw (solid) and pitch (dashed) in degrees, keys every HEAD_STEP seconds on both.
// Dragging a key sets an offset there (the others keep 0): the library adds the bent curve.
function drawHead() {
  const lane = $("t-head");
  const H = 72;
  const svg = curveSvg(lane, "head", H);
  if (!S.tl) return;
  const y = (v) => H / 2 - (v / HEAD_RANGE) * (H / 2 - 4);
  const frames = S.tl.frames, fps = S.tl.fps;
  [["HeadYaw", 0, "yaw"], ["HeadPitch", 1, "pitch"]].forEach(([channel, j, cls]) => {
    polyline(svg, frames.map((f) => f[3][j]), y, cls);
    const times = [];
    for (let t = 0; t <= S.tl.duration + 1e-9; t += HEAD_STEP) times.push(round(t, 3));
    const offsets = S.edits.head[channel] ? new Map(S.edits.head[channel]) : new Map();
    times.forEach((t) => {
      const shown = frames[Math.min(frames.length - 1, Math.round(t * fps))][3][j];
      const dot = svgEl("circle", { cx: t * pps(), cy: y(shown), r: 5, class: `key head ${cls}` });
      dot.dataset.channel = channel;
      dot.dataset.time = t;
      let from = 0, base = 0;
      drag(dot, (e) => {
        const r = svg.getBoundingClientRect();
        const v = ((H / 2 - (e.clientY - r.top)) / (H / 2 - 4)) * HEAD_RANGE;
        offsets.set(t, round(base + v - from, 2));
        dot.setAttribute("cy", y(v));
      }, () => {
        S.edits.head[channel] = times.map((k) => [k, offsets.get(k) ?? 0]);
        rebuild();
      }, () => { from = shown; base = offsets.get(t) ?? 0; });
      svg.append(dot);
    });
  });
}

// -- manual keyframe lanes (one per chosen UE shape) -----------------------------------------------
function drawKeyLanes() {
  const box = $("t-keylanes");
  box.textContent = "";
  const H = 56, y = (v) => H - 4 - v * (H - 8), vAt = (svg, e) => Math.max(0, Math.min(1, (H - 4 - (e.clientY - svg.getBoundingClientRect().top)) / (H - 8)));
  for (const [name, keys] of Object.entries(S.edits.keys)) {
    const lane = el("div", { className: "t-track t-curve t-keylane" });
    lane.dataset.shape = name;
    const svg = curveSvg(lane, name, H);
    const close = el("button", { type: "button", className: "t-remove", textContent: "×", title: `remove the ${name} lane` });
    close.onclick = () => { delete S.edits.keys[name]; drawKeyLanes(); rebuild(); };
    lane.querySelector(".t-label").append(" ", close);
    if (S.tl) {
      const j = C.info.ue_names.indexOf(name);
      polyline(svg, S.tl.frames.map((f) => f[0][j] ?? 0), y, "shape");
    }
    keys.sort((a, b) => a[0] - b[0]).forEach((k, i) => {
      const dot = svgEl("circle", { cx: k[0] * pps(), cy: y(k[1]), r: 6, class: "key manual" });
      dot.dataset.index = i;
      drag(dot, (e) => {
        k[0] = round(timeAt(e), 3); k[1] = round(vAt(svg, e), 3);
        dot.setAttribute("cx", k[0] * pps()); dot.setAttribute("cy", y(k[1]));
      }, () => setKeys(name, keys));
      dot.addEventListener("dblclick", (e) => { e.stopPropagation(); keys.splice(i, 1); setKeys(name, keys); });
      svg.append(dot);
    });
    // a click on the lane (not on a key) adds a key there
    svg.addEventListener("click", (e) => {
      if (e.target.tagName === "circle") return;
      keys.push([round(timeAt(e), 3), round(vAt(svg, e), 3)]);
      setKeys(name, keys);
    });
    box.append(lane);
  }
  window.studioCreate.keyLanes = JSON.parse(JSON.stringify(S.edits.keys));
}

function setKeys(name, keys) {
  // two keys may not share a time: the later-placed one wins
  const byTime = new Map(keys.map((k) => [k[0], k]));
  S.edits.keys[name] = [...byTime.values()].sort((a, b) => a[0] - b[0]);
  drawKeyLanes();
  rebuild();
}

// The recordings in the workspace (audio/) offered to the speech lane; ``pick`` chooses one (an upload),
// else the choice stays (the first one when none was chosen yet).
async function listRecordings(pick) {
  const { files } = await C.api("GET", "/api/files");
  const sel = $("t-rec-pick");
  for (const f of files) {
    if (f.path.startsWith("audio/") && !sel.querySelector(`option[value="${CSS.escape(f.path)}"]`)) {
      sel.append(el("option", { value: f.path, textContent: f.path.slice("audio/".length) }));
    }
  }
  sel.options[0].hidden = sel.options.length > 1;
  if (pick) sel.value = pick;
  else if (!sel.value && sel.options.length > 1) sel.value = sel.options[1].value;
  S.tlAudio = sel.value || null;
}

// -- build and play -------------------------------------------------------------------------------
function request() {
  const rec = $("t-speech-kind").value === "audio";
  const hear = rec && $("t-hear").checked;
  const speech = rec ? { audio: S.tlAudio, text: hear ? "" : $("t-say").value, transcribe: hear } : { say: $("t-say").value };
  const keys = Object.fromEntries(Object.entries(S.edits.keys).filter(([, k]) => k.length));
  return { mood: $("t-text").value, ...speech, seed: Number($("t-seed").value || 0),
           blinks: S.edits.blinks, saccades: S.edits.saccades,
           keys: Object.keys(keys).length ? keys : null,
           head: Object.keys(S.edits.head).length ? S.edits.head : null };
}

// An edit rebuilds the track (the export is always what the lanes show); edits during a build
// ask for one more.
async function rebuild() {
  if (S.building) { S.again = true; return; }
  S.building = window.studioCreate.timelineBusy = true;
  try {
    do { S.again = false; await buildTrack(); } while (S.again);
  } catch (e) { C.showError(e.message); } finally { S.building = window.studioCreate.timelineBusy = false; }
}

async function buildTrack() {
  C.showError("");
  $("t-note").textContent = "building…";
  const name = $("t-name").value.trim();
  if ($("t-speech-kind").value === "audio" && !S.tlAudio) { $("t-note").textContent = ""; return C.showError("choose a recording for the speech lane first"); }
  const req = request();
  const r = await C.api("POST", `/api/create/timeline/build/${encodeURIComponent(name)}`, req);
  S.tl = r;
  // text typed and built without "Show in lane": the lane shows the spans that were built, not older ones
  if (req.mood !== S.laneText) {
    drawLane(req.mood.trim() ? (await C.api("POST", "/api/create/timeline/parse", { text: req.mood })).spans : [], req.mood);
  }
  S.tlName = name;
  const edited = [S.edits.blinks && "blinks", S.edits.saccades && "gaze", Object.keys(S.edits.head).length && "head",
                  Object.keys(S.edits.keys).length && "keys"].filter(Boolean);
  $("t-note").textContent = `${r.frames.length} frames at ${r.fps} fps, ${r.duration.toFixed(2)} s` + (r.audio ? ", with the voice" : "")
    + (edited.length ? ` · edited: ${edited.join(", ")}` : "")
    // asked to hear the words and none were: say so (the lips then follow recognised phones, or rest)
    + (r.words != null ? ` · words heard: “${r.words}”` : req.transcribe ? " · no words heard" : "");
  const audio = $("t-audio"), src = r.audio ? `/files/${r.audio}?v=${Date.now()}` : "";
  if (audio.getAttribute("src") !== src) audio.src = src;
  audio.hidden = !r.audio;
  const links = $("t-exports");
  links.textContent = "Export: ";
  for (const f of C.info.export_formats) {
    const a = el("a", { href: `/api/export/${r.track}?format=${f}`, textContent: f, download: `${name}.${f}` });
    a.dataset.format = f;
    links.append(a, " ");
  }
  if (r.audio) {
    links.append(el("a", { href: `/files/${r.audio}`, download: r.audio.split("/").pop(), textContent: "voice" }), " · Rhubarb cues: ");
    for (const f of ["rhubarb-tsv", "rhubarb-json", "rhubarb-xml", "rhubarb-dat"]) {
      const a = el("a", { href: `/api/create/timeline/cues/${encodeURIComponent(name)}?format=${f}`, textContent: f.slice(8) });
      a.dataset.format = f;
      links.append(a, " ");
    }
  }
  const builds = (window.studioCreate.timeline?.builds ?? 0) + 1;
  window.studioCreate.timeline = { track: r.track, audio: r.audio, frames: r.frames.length, duration: r.duration, drawn: [],
                                   blinks: r.blinks, saccades: r.saccades, builds, request: request(),
                                   stalls: [] };
  markPortraitStale(builds);
  drawAll();
  if (S.av3d) await loadMorphs();
  await drawAt(S.shownAt && S.shownAt < r.duration ? S.shownAt : 0);
}

// -- the 3D avatar: the exporters' test head or the user's .vrm/.glb (part 1's Avatar3D loader) ------
// Its morph targets' (a VRM's expressions') values for every frame come from the server once per
// build (export's alias table, only the moving ones, 8-bit codes over each one's range); playback
// then sets them from the sound's clock on every animation frame, no server call.
const modelUrl = (v) => (v === "testhead" ? "/api/testhead.glb" : `/files/${v.split("/").map(encodeURIComponent).join("/")}`);

// .vrm/.glb files in the workspace (facemimic avatar3d's outputs, uploads on the live page or here).
const listModels = () => C.listModels($("t-3d-model"));

// A dropped or chosen model: uploaded into the workspace (checked as glTF 2.0 there), then shown.
async function addModel(file) {
  if (!/\.(vrm|glb)$/i.test(file.name)) throw new Error(`${file.name}: a 3D avatar must be a .vrm or .glb file`);
  const r = await fetch(`/api/upload/${encodeURIComponent(file.name)}`, { method: "PUT", body: file });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error);
  await listModels();
  $("t-3d-model").value = body.path;
  await start3D();
}

async function start3D() {
  if (!C.info.vendor) throw new Error(`three.js is not installed; to add it: ${C.info.vendor_hint}`);
  const model = $("t-3d-model").value || "testhead";
  const label = model === "testhead" ? "test head" : model;
  if (!S.av3d || S.av3dModel !== model) {
    $("t-3d-note").textContent = `loading ${label}…`;
    window.studioCreate.timeline3d = null;
    S.morphs = null; // nothing drives the model until its own targets' values are here
    const { Avatar3D } = await import("../avatar3d.js");
    $("t-avatar3d").hidden = false;
    const av = S.av3d ?? await Avatar3D.create($("t-avatar3d"));
    S.av3d = av;
    S.av3dTargets = await av.load(modelUrl(model));
    S.av3dModel = model;
  }
  if (S.tl) await loadMorphs();
  const n = S.morphs ? S.morphs.targets.length : 0, kind = S.av3d.kind;
  $("t-3d-note").textContent = `${label}: ${n} ${kind === "vrm" ? "VRM expressions" : "morph targets"} driven`
    + (S.morphs && S.morphs.unmapped.length ? `, ${S.morphs.unmapped.length} not mapped` : "");
  window.studioCreate.timeline3d = { ready: true, drawn: [], targets: n, model, kind, probe: S.morphs?.probe ?? null,
                                     unmapped: S.morphs ? S.morphs.unmapped.length : 0, requested: S.av3dTargets };
  show3D(S.shownAt ?? 0);
}

// The server's compact answer decoded: (T, M) values of the moving targets, the others constant.
async function loadMorphs() {
  const name = S.tlName ?? $("t-name").value.trim();
  const r = await C.api("POST", `/api/create/timeline/morphs/${encodeURIComponent(name)}`,
                        { targets: S.av3dTargets, combinations: S.av3d.combinations, meshes: S.av3d.meshNames });
  const raw = atob(r.data), M = r.moving.length, top = 2 ** r.bits - 1;
  const bytes = new Uint8Array(raw.length);
  for (let k = 0; k < raw.length; k++) bytes[k] = raw.charCodeAt(k);
  const codes = r.bits === 16 ? new Uint16Array(bytes.buffer) : bytes; // little-endian, as browsers are
  const values = new Float32Array(codes.length);
  for (let k = 0; k < codes.length; k++) {
    const m = k % M;
    values[k] = r.lo[m] + (codes[k] / top) * (r.hi[m] - r.lo[m]);
  }
  // the value the tests compare with the mesh: the jaw (or a VRM's "aa"), else the first moving target
  const driven = [...r.moving, ...Object.keys(r.same)];
  const probe = ["JawOpen", "jawOpen", "aa"].find((n) => driven.includes(n)) ?? r.moving[0] ?? null;
  S.morphs = { ...r, values, M, probe };
  window.studioCreate.timelineMorphs = { bytes: JSON.stringify(r).length, moving: M, targets: r.targets.length, frames: r.frames };
}

function show3D(t) {
  if (!S.av3d || !S.morphs || !S.tl) return;
  const m = S.morphs, i = Math.max(0, Math.min(m.frames - 1, Math.floor(t * m.fps + 1e-6)));
  const [, , gaze, head] = S.tl.frames[Math.min(i, S.tl.frames.length - 1)];
  const morphs = { ...m.constant };
  for (let k = 0; k < m.M; k++) morphs[m.moving[k]] = m.values[i * m.M + k];
  for (const [name, source] of Object.entries(m.same)) morphs[name] = morphs[source];
  const before = S.av3d.lastDraw;
  S.av3d.update({ present: true, morphs, head: { yaw: head[0], pitch: head[1], roll: head[2] },
                  eyes: { left: { gaze: gaze[0] }, right: { gaze: gaze[1] } } });
  if (S.av3d.lastDraw !== before && window.studioCreate.timeline3d) {
    // [page time it was drawn for, frame, the probe's value as the model holds it]: the tests read it
    let held = null;
    if (m.probe && S.av3d.kind === "vrm") held = S.av3d.vrm.expressionManager.getValue(m.probe);
    else if (m.probe) {
      const mesh = S.av3d.meshes.find((x) => m.probe in x.morphTargetDictionary);
      held = mesh ? mesh.morphTargetInfluences[mesh.morphTargetDictionary[m.probe]] : null;
    }
    window.studioCreate.timeline3d.drawn.push([S.playing ? clockNow() : t, i, held]);
  }
}

// While the sound plays the 3D head follows its clock on every animation frame (the 2D avatar's
// drawings are server round trips; these are not).
function play3D() {
  const tick = () => {
    if (!S.playing) return;
    show3D(clockNow());
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

// -- the 2D avatar: drawings fetched ahead of the playhead, shown from the sound's clock ----------
// The server draws a run of frames per request (/api/create/timeline/poses/NAME: the CLI's 2D
// renderer on the built track's frames). The page keeps those within [playhead - BEHIND_S,
// playhead + AHEAD_S] (bounded memory for long timelines) and shows frame floor(clock x fps) on every
// animation frame. When the drawings cannot keep up, the sound waits for them (as a video player
// buffers) instead of the face falling behind.
const POSE_CHUNK = 30; // frames per request
const AHEAD_S = 30, BEHIND_S = 2; // the cache's window around the playhead, seconds
const POSE_INFLIGHT = 2; // requests at once
const P = { cache: new Map(), pending: new Set(), version: null, rate: null, got: 0, busy: 0, busySince: 0, focus: 0, waiters: [] };

const frameAt = (t) => Math.max(0, Math.min(S.tl.frames.length - 1, Math.floor(t * S.tl.fps + 1e-6)));

function resetPoses() {
  P.cache.clear();
  P.pending.clear();
  P.version = S.tl.version;
  P.style = C.avatarStyle();
  P.focus = 0;
}

// Frames cached from i on, without a gap (capped at the window).
function cachedAhead(i) {
  let n = 0;
  const last = Math.min(S.tl.frames.length, i + Math.round(AHEAD_S * S.tl.fps));
  while (i + n < last && P.cache.has(i + n)) n++;
  return n;
}

// Fetch the missing chunks nearest ahead of the focus frame; drop what left the window.
function pumpPoses() {
  if (!S.tl) return;
  if (P.version !== S.tl.version || P.style !== C.avatarStyle()) resetPoses();
  const fps = S.tl.fps, T = S.tl.frames.length, lo = Math.max(0, P.focus - Math.round(BEHIND_S * fps));
  const hi = Math.min(T, P.focus + Math.round(AHEAD_S * fps));
  for (const k of P.cache.keys()) if (k < lo || k >= hi) P.cache.delete(k);
  for (let c = Math.floor(P.focus / POSE_CHUNK) * POSE_CHUNK; c < hi && P.pending.size < POSE_INFLIGHT; c += POSE_CHUNK) {
    if (P.pending.has(c) || P.cache.has(c) && P.cache.has(Math.min(T, c + POSE_CHUNK) - 1)) continue;
    fetchChunk(c);
  }
}

async function fetchChunk(c) {
  const version = P.version, style = P.style;
  if (!P.pending.size) P.busySince = performance.now();
  P.pending.add(c);
  try {
    const r = await C.api("POST", `/api/create/timeline/poses/${encodeURIComponent(S.tlName)}`,
      { start: c, count: Math.min(POSE_CHUNK, S.tl.frames.length - c), avatar_style: style });
    if (version !== P.version || r.version !== version) return; // an older build's drawings
    const fps = S.tl.fps, lo = P.focus - Math.round(BEHIND_S * fps), hi = P.focus + Math.round(AHEAD_S * fps);
    r.svgs.forEach((svg, k) => { if (c + k >= lo && c + k < hi) P.cache.set(c + k, svg); });
    // the server's drawing rate, frames per second while any request is out (requests overlap):
    // how far ahead playback must buffer
    P.got += r.svgs.length;
  } catch (e) {
    if (version === P.version) C.showError(e.message);
  } finally {
    if (version === P.version) P.pending.delete(c); // (a rebuild emptied the set: this c may be a new request)
    if (!P.pending.size) P.busy += performance.now() - P.busySince;
    const busy = P.busy + (P.pending.size ? performance.now() - P.busySince : 0);
    if (P.got && busy > 0) P.rate = P.got / (busy / 1000);
    P.waiters.splice(0).forEach((w) => w());
    if (version === P.version) pumpPoses();
  }
}

const posesArrived = () => new Promise((r) => P.waiters.push(r));

// Show frame i if it is cached (true) and note [time due, frame, clock when shown] for the tests.
function showPose(i, t) {
  const svg = P.cache.get(i);
  if (svg === undefined) return false;
  if (S.shownFrame !== i || S.shownVersion !== P.version) {
    $("t-avatar").innerHTML = svg; // inline: on screen at the next paint, no image decoding in between
    S.shownFrame = i;
    S.shownVersion = P.version;
    window.studioCreate.timeline.drawn.push([t, i, S.playing ? clockNow() : t]);
  }
  return true;
}

// Still (a build, a seek): the frame at t, fetched first if it is not cached.
async function drawAt(t) {
  const i = frameAt(t);
  P.focus = i;
  pumpPoses();
  while (!showPose(i, t)) {
    if (!S.tl || frameAt(t) !== i || P.focus !== i) return; // a newer seek or build took over
    if (!P.pending.size) pumpPoses();
    await posesArrived();
  }
}

// Frames to hold before the sound runs from frame i: enough that drawing at the measured rate keeps
// ahead until the end (at least one chunk, at most the window).
function framesNeeded(i) {
  const fps = S.tl.fps, left = S.tl.frames.length - i;
  const rate = P.rate ?? fps / 2;
  const need = rate >= fps ? POSE_CHUNK : Math.ceil(left * (1 - rate / fps) * 1.15);
  return Math.min(left, Math.round(AHEAD_S * fps) - POSE_CHUNK, Math.max(POSE_CHUNK, need));
}

// Hold the sound (and the page's clock) at t until frame i's drawings are buffered.
async function buffer(i, t) {
  const audio = $("t-audio");
  const wasPlaying = !audio.paused && !audio.ended;
  S.stalled = true;
  S.stallT = t;
  if (wasPlaying) {
    audio.pause();
    // the sound ran on while the page was busy: it resumes at t, where the face waits
    if (t < audio.duration && Math.abs(audio.currentTime - t) > 1e-4) audio.currentTime = t;
  }
  const t0 = performance.now();
  try {
    while (cachedAhead(i) < framesNeeded(i)) {
      $("t-note").dataset.buffering = "1";
      P.focus = i;
      pumpPoses();
      await posesArrived();
      if (!S.tl) return;
    }
  } finally {
    delete $("t-note").dataset.buffering;
    window.studioCreate.timeline.stalls.push([t, (performance.now() - t0) / 1000]);
    if (S.tl) showPose(i, t); // the face is on the frame where the sound resumes before it does
    S.clock0 = performance.now() - t * 1000;
    if (wasPlaying && S.tl.audio && t < audio.duration) await audio.play().catch(() => {});
    S.stalled = false;
  }
}

// The playback clock is the audio's while the voice plays, then the page's own clock until the
// mood lane ends (the voice is often shorter than the moods).
function clockNow() {
  const audio = $("t-audio");
  if (S.stalled) return S.stallT; // held while the 2D drawings buffer
  if (!audio.paused && !audio.ended) {
    S.clock0 = performance.now() - audio.currentTime * 1000;
    return audio.currentTime;
  }
  return (performance.now() - S.clock0) / 1000;
}

// The avatar follows the sound's clock on every animation frame: frame floor(clock x fps) from the
// cache; a frame not there yet holds the sound until the drawings are buffered.
async function playLoop() {
  if (S.playing) return;
  const audio = $("t-audio");
  S.playing = window.studioCreate.playing = true;
  S.clock0 = performance.now() - audio.currentTime * 1000;
  play3D();
  playPortrait();
  try {
    // The 'play' event comes a task after the sound starts: on a busy machine it has already run
    // on by then. When the drawings must buffer first, the sound goes back to where it was
    // started (the few ms to a second it ran are heard again, not lost).
    const ran = audio.currentTime - (S.restT ?? audio.currentTime);
    const from = ran >= 0 && ran < 1 ? S.restT : audio.currentTime;
    let i = frameAt(from);
    if (cachedAhead(i) < framesNeeded(i)) await buffer(i, from);
    for (let t = clockNow(); t < S.tl.duration && !(audio.paused && !audio.ended); t = clockNow()) {
      i = frameAt(t);
      P.focus = i;
      if (!showPose(i, t)) { await buffer(i, t); continue; } // first the pose, then the bookkeeping
      pumpPoses();
      $("t-scrub").value = String(t / S.tl.duration);
      showPlayhead(t);
      await new Promise((r) => requestAnimationFrame(r));
    }
  } finally {
    S.playing = window.studioCreate.playing = false;
    if (S.tl) syncPortrait(clockNow(), false);
  }
}

// -- my portrait: the built timeline rendered on the user's photo, played locked to the timeline ---
// One job in the animate panel's queue (driver "timeline": this track and its voice, on the photo,
// face, crop and options chosen there); its live frames show while it renders, then the MP4 plays
// here muted, its currentTime driven by the timeline's clock (play, pause, scrub, zoom as before).
const R = { job: null, build: 0, ready: false, state: null, seekLag: 0, seekFrom: null };

async function startPortrait() {
  C.showError("");
  if (!S.tl) throw new Error("my portrait: build the timeline first");
  $("t-portrait-note").textContent = "queueing…";
  const video = $("t-portrait-video");
  R.ready = false;
  R.state = null;
  R.build = window.studioCreate.timeline.builds;
  window.studioCreate.timelinePortrait = { job: null, state: null, frames: [], drawn: [], presented: [], stale: false, video: null };
  const job = await queueTimelineJob(S.tlName);
  R.job = job.id;
  window.studioCreate.timelinePortrait.job = job.id;
  $("t-portrait-view").hidden = false;
  $("t-portrait-view").classList.remove("stale");
  video.hidden = true;
  video.muted = true; // the sound is the timeline's own audio element
  video.removeAttribute("src");
  video.load();
  // the socket may have pushed newer states of this job before the POST answered: take the newest
  portraitJob((window.studioCreate.jobs || []).find((x) => x.id === job.id) ?? job);
}

function portraitEvent(m) {
  if (m.type === "frame" && m.id === R.job) {
    const img = $("t-portrait-live");
    img.src = `data:image/jpeg;base64,${m.jpeg}`;
    img.hidden = R.ready;
    img.title = `frame ${m.index + 1}${m.total ? ` of ${m.total}` : ""} (a live preview, AI-generated)`;
    window.studioCreate.timelinePortrait.frames.push(m.index);
  } else if (m.type === "job" && m.job.id === R.job) portraitJob(m.job);
}

function portraitJob(j) {
  const state = window.studioCreate.timelinePortrait;
  const note = $("t-portrait-note");
  if (j.state === "running" || j.state === "queued") {
    note.textContent = j.state === "queued" ? "queued (animate jobs run one at a time)"
      : `rendering on your portrait: ${j.done}/${j.total || "?"} frames`;
  }
  if (R.state === j.state) return; // the list is pushed again on reconnects: act on changes only
  R.state = state.state = j.state;
  if (j.state === "failed") { note.textContent = ""; C.showError(`my portrait: ${j.error}`); }
  if (j.state === "cancelled" || j.state === "interrupted") note.textContent = `the portrait render was ${j.state}`;
  if (j.state !== "done") return;
  const video = $("t-portrait-video");
  video.onloadeddata = () => {
    R.ready = true;
    state.video = j.video;
    video.hidden = false;
    $("t-portrait-live").hidden = true;
    note.textContent = `${j.frames} frames on ${j.request.source.split("/").pop()} · synthetic (AI-generated, marked in the file)`;
    if (R.build !== window.studioCreate.timeline.builds) markPortraitStale(window.studioCreate.timeline.builds);
    watchPresented(video);
    video.onseeked = () => {
      // how long a seek takes while playing (smoothed, at most 0.2 s): the lead of the next one
      if (R.seekFrom !== null) R.seekLag = Math.min(0.2, 0.5 * R.seekLag + 0.5 * (performance.now() - R.seekFrom) / 1000);
      R.seekFrom = null;
    };
    syncPortrait(S.playing ? clockNow() : S.shownAt ?? 0, S.playing);
  };
  video.onerror = () => C.showError(`my portrait: ${j.video}: the browser cannot play it`);
  video.src = `/files/${j.video}`;
}

// A rebuilt (edited) timeline: the render shows the one before; one click renders it again.
function markPortraitStale(builds) {
  const state = window.studioCreate.timelinePortrait;
  if (!state || !R.job || R.build === builds) return;
  state.stale = true;
  $("t-portrait-view").classList.add("stale");
  $("t-portrait-note").textContent = "the timeline changed since this render: click My portrait to render it again";
}

// The video follows the timeline's clock t: paused, it shows frame t; playing, it runs along (muted)
// and is put back on t when it is more than a frame off (a busy page, the audio's own start).
function syncPortrait(t, playing) {
  const video = $("t-portrait-video");
  if (!R.ready || !Number.isFinite(video.duration)) return;
  const want = Math.min(t, video.duration), frame = 1 / (S.tl ? S.tl.fps : 30);
  if (playing) {
    window.studioCreate.timelinePortrait.drawn.push([t, video.currentTime, video.seeking]);
    if (want >= video.duration) return;
    if (video.paused) video.play().catch(() => {});
    const off = video.currentTime - want;
    if (!video.seeking && Math.abs(off) > frame) {
      // the video resumes once the seek is done: aim where the clock will be by then
      R.seekFrom = performance.now();
      video.currentTime = Math.min(want + R.seekLag, video.duration);
    } else if (!video.seeking) {
      // a steady offset under a frame (the video started a little before or after the sound) is
      // played away: the mean offset over a quarter second sets the rate for the next one
      (R.offs ||= []).push(off);
      if (performance.now() - (R.rateAt ?? 0) > 250) {
        const mean = R.offs.reduce((a, b) => a + b, 0) / R.offs.length;
        video.playbackRate = Math.abs(mean) > frame / 4 ? 1 - Math.max(-0.1, Math.min(0.1, mean * 2)) : 1;
        R.offs = [];
        R.rateAt = performance.now();
      }
    }
  } else {
    video.playbackRate = 1;
    if (!video.paused) video.pause();
    if (Math.abs(video.currentTime - want) > 1e-3) video.currentTime = want;
  }
}

function playPortrait() {
  const tick = () => {
    if (!S.playing) return;
    syncPortrait(clockNow(), true);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

// Every video frame put on screen: [the timeline's clock then, the frame's media time] (the tests).
function watchPresented(video) {
  if (!video.requestVideoFrameCallback || video.dataset.watched) return;
  video.dataset.watched = "1";
  const seen = (now, meta) => {
    const state = window.studioCreate.timelinePortrait;
    // the clock when the frame is expected on screen, the frame's time in the video
    if (state && S.playing) state.presented.push([clockNow() + (meta.expectedDisplayTime - performance.now()) / 1000, meta.mediaTime]);
    video.requestVideoFrameCallback(seen);
  };
  video.requestVideoFrameCallback(seen);
}
