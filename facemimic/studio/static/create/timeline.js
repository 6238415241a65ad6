// FaceMimic studio, create half: the timeline panel (issue #14 §2). Its own ES module, imported by
// create.js (which lays out the page and passes its helpers in): mood spans in the text timeline
// syntax, the speech lane, build (the animator's driver), playback following the sound's clock.
// Every computation is a server call (/api/create/timeline/*, /api/create/pose).

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};

// The page's helpers (create.js): api, showError, upload, setSvg, info (/api/info), avatarStyle().
let C = null;
const S = {};

export const TIMELINE_HTML = `
<section class="panel wide" id="timeline-panel" aria-labelledby="h-timeline">
  <h2 id="h-timeline">Timeline <small>mood + speech, as animate --mood … --say … builds them</small></h2>
  <div class="row">
    <label class="grow">Mood <input id="t-text" value="neutral 0.5s > surprised 1s > happy 2s"
      title="expressions with durations, separated by >"></label>
    <button id="t-parse" type="button" title="Text -> lane">Show in lane</button>
  </div>
  <div id="t-lane" class="lane" aria-label="mood lane: one block per span"></div>
  <div class="row">
    <label>Speech <select id="t-speech-kind"><option value="say">typed text → built-in voice</option>
      <option value="audio">recording (+ transcript)</option></select></label>
    <label id="t-rec-label" hidden>Recording <input id="t-rec" type="file" accept="audio/*"></label>
    <label class="grow"><span id="t-say-label">Text</span> <input id="t-say" value="Hello! Nice to meet you." title="text for the built-in voice, or the recording's transcript (optional)"></label>
    <label>Seed <input id="t-seed" type="number" value="1"></label>
    <label>Name <input id="t-name" value="my-timeline" size="14"></label>
    <button id="t-build" type="button">Build</button>
  </div>
  <div class="timeline-play">
    <img id="t-avatar" alt="the built-in avatar playing the timeline" width="240" height="240">
    <div>
      <audio id="t-audio" controls preload="auto"></audio>
      <input id="t-scrub" type="range" min="0" max="1" step="0.001" value="0" aria-label="scrub the timeline">
      <p id="t-note" class="muted" aria-live="polite"></p>
      <p id="t-exports"></p>
    </div>
  </div>
</section>`;

export function buildTimeline(context) {
  C = context;
  $("t-parse").onclick = () => parseTimeline().catch((e) => C.showError(e.message));
  $("t-build").onclick = () => buildTrack().catch((e) => { $("t-note").textContent = ""; C.showError(e.message); });
  $("t-scrub").oninput = () => { if (S.tl) { $("t-audio").currentTime = Number($("t-scrub").value) * S.tl.duration; drawAt(Number($("t-scrub").value) * S.tl.duration); } };
  $("t-audio").onplay = () => playLoop();
  $("t-speech-kind").onchange = () => {
    const rec = $("t-speech-kind").value === "audio";
    $("t-rec-label").hidden = !rec;
    $("t-say-label").textContent = rec ? "Transcript" : "Text";
  };
  $("t-rec").onchange = () => C.upload($("t-rec"), (path) => { S.tlAudio = path; });
  parseTimeline().catch((e) => C.showError(e.message));
}

async function parseTimeline() {
  C.showError("");
  const { spans } = await C.api("POST", "/api/create/timeline/parse", { text: $("t-text").value });
  drawLane(spans);
}

// One block per span, its width the span's share; editing a block rewrites the text (round trip).
function drawLane(spans) {
  const lane = $("t-lane");
  lane.textContent = "";
  const total = spans.reduce((a, s) => a + s.seconds, 0);
  spans.forEach((sp, i) => {
    const name = el("input", { value: sp.prompt, size: 10, ariaLabel: `span ${i + 1} expression` });
    const secs = el("input", { type: "number", value: sp.seconds, min: 0.05, step: 0.05, ariaLabel: `span ${i + 1} seconds` });
    name.onchange = secs.onchange = () => laneToText().catch((e) => C.showError(e.message));
    const block = el("div", { className: "span" }, name, secs, el("span", { className: "muted", textContent: "s" }));
    block.style.flexGrow = String(sp.seconds / total);
    block.dataset.index = i;
    lane.append(block);
  });
  window.studioCreate.spans = spans;
}

async function laneToText() {
  C.showError("");
  const spans = [...document.querySelectorAll("#t-lane .span")].map((b) => {
    const [name, secs] = b.querySelectorAll("input");
    return { prompt: name.value, seconds: Number(secs.value) };
  });
  const r = await C.api("POST", "/api/create/timeline/format", { spans });
  $("t-text").value = r.text;
  drawLane(r.spans);
}

async function buildTrack() {
  C.showError("");
  $("t-note").textContent = "building…";
  const name = $("t-name").value.trim();
  const rec = $("t-speech-kind").value === "audio";
  if (rec && !S.tlAudio) { $("t-note").textContent = ""; return C.showError("choose a recording for the speech lane first"); }
  const speech = rec ? { audio: S.tlAudio, text: $("t-say").value } : { say: $("t-say").value };
  const r = await C.api("POST", `/api/create/timeline/build/${encodeURIComponent(name)}`,
    { mood: $("t-text").value, ...speech, seed: Number($("t-seed").value || 0) });
  S.tl = r;
  $("t-note").textContent = `${r.frames.length} frames at ${r.fps} fps, ${r.duration.toFixed(2)} s` + (r.audio ? ", with the voice" : "");
  $("t-audio").src = r.audio ? `/files/${r.audio}` : "";
  $("t-audio").hidden = !r.audio;
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
  window.studioCreate.timeline = { track: r.track, audio: r.audio, frames: r.frames.length, duration: r.duration, drawn: [] };
  await drawAt(0);
}

// The avatar follows the audio clock: each drawn pose is the track's frame at currentTime.
async function drawAt(t) {
  const tl = S.tl;
  const i = Math.max(0, Math.min(tl.frames.length - 1, Math.floor(t * tl.fps)));
  const [weights, openness, gaze, head] = tl.frames[i];
  const { svg } = await C.api("POST", "/api/create/pose", { weights, openness, gaze, head, avatar_style: C.avatarStyle() });
  C.setSvg($("t-avatar"), svg);
  // [time drawn for, frame, playback clock when drawn]: the tests measure how far drawing and sound differ
  window.studioCreate.timeline.drawn.push([t, i, S.playing ? clockNow() : t]);
}

// The playback clock is the audio's while the voice plays, then the page's own clock until the
// mood lane ends (the voice is often shorter than the moods).
function clockNow() {
  const audio = $("t-audio");
  if (!audio.paused && !audio.ended) {
    S.clock0 = performance.now() - audio.currentTime * 1000;
    return audio.currentTime;
  }
  return (performance.now() - S.clock0) / 1000;
}

// Each drawing takes a server round trip, so the pose asked for is the one due when it will
// arrive: the clock plus the recent drawing time (a running mean), not the clock now.
async function playLoop() {
  if (S.playing) return;
  const audio = $("t-audio");
  S.playing = window.studioCreate.playing = true;
  S.drawLatency ??= 0.05;
  S.clock0 = performance.now() - audio.currentTime * 1000;
  try {
    for (let t = clockNow(); t < S.tl.duration && !(audio.paused && !audio.ended); t = clockNow()) {
      const start = performance.now();
      $("t-scrub").value = String(t / S.tl.duration);
      await drawAt(Math.min(t + S.drawLatency, S.tl.duration));
      S.drawLatency = 0.7 * S.drawLatency + 0.3 * (performance.now() - start) / 1000;
      await new Promise((r) => requestAnimationFrame(r));
    }
  } finally { S.playing = window.studioCreate.playing = false; }
}
