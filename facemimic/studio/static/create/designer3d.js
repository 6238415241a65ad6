// FaceMimic studio, create half: the designer's variations on a 3D avatar (issue #14 §1). Its own ES
// module, imported by create.js (which passes its helpers in). The model is loaded by part 1's
// Avatar3D (three.js, three-vrm for .vrm files): the exporters' test head or a .vrm/.glb in the
// workspace (one made by `facemimic avatar3d`, one dropped on the live page's 3D panel). Its morph
// targets are valued by the server with the export alias table the live 3D panel uses
// (/api/create/morphs); each variation is rendered once into a thumbnail, the picked one (with
// the slider edits) stays in the view.

import { Avatar3D } from "../avatar3d.js";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};
const GAZE_DEG = 45;  // VRCFT gaze units: 1.0 = 45 degrees (as avatar3d.js)
const DEG = Math.PI / 180;

// The page's helpers (create.js): api, showError, info (/api/info), count() (variations shown),
// pose(i) (variation i with its edits), picked().
let C = null;
const D = { av: null, targets: null, label: "", busy: false, queue: new Set(), all: false, live: null, chosen: false };

export function buildDesigner3D(context) {
  C = context;
  const select = el("select", { id: "d-3d-model" }, el("option", { value: "", textContent: "(none)" }),
    el("option", { value: "testhead", textContent: "test head" }));
  const fig = el("figure", { className: "avatar3d-view", id: "d-3d-figure" },
    el("label", { title: "the variations on a 3D model: the exporters' test head, or a .vrm/.glb in the workspace" },
      "3D avatar ", select),
    el("div", { id: "d-3d", className: "d-3d", hidden: true }),
    el("div", { id: "d-3d-variations", className: "variations3d" }),
    el("figcaption", { id: "d-3d-note", className: "muted" }));
  document.querySelector(".designer-views").append(fig);
  if (!C.info.vendor) {
    select.disabled = true;
    $("d-3d-note").textContent = `three.js is not installed (${C.info.vendor_hint})`;
    return;
  }
  select.onfocus = () => listModels().catch((e) => C.showError(e.message));
  select.onchange = () => { D.chosen = true; loadChosen(); };
  listModels().catch((e) => C.showError(e.message));
  // The model loaded on the live page's 3D panel (app.js) is offered here, and shown when the
  // designer has no model of its own yet (loaded once the create view is visible: WebGL needs a size).
  document.addEventListener("studio:avatar3d", (ev) => {
    const url = ev.detail.url;
    D.live = url === "/api/testhead.glb" ? "testhead" : decodeURIComponent(url.replace(/^\/files\//, ""));
    markLive();
    if (!$("create-main").hidden) useLive();
  });
  $("view-create").addEventListener("click", useLive);
}

function loadChosen() {
  load($("d-3d-model").value).catch((e) => { $("d-3d-note").textContent = ""; C.showError(`3D avatar: ${e.message || e}`); });
}

// The live page's model in the list, marked as such.
function markLive() {
  const select = $("d-3d-model");
  let opt = select.querySelector(`option[value="${CSS.escape(D.live)}"]`);
  if (!opt) select.append(opt = el("option", { value: D.live }));
  for (const o of select.options) o.textContent = o.textContent.replace(/ \(on the live page\)$/, "");
  opt.textContent = `${D.live === "testhead" ? "test head" : D.live} (on the live page)`;
}

function useLive() {
  const select = $("d-3d-model");
  if (!D.live || D.chosen || select.value === D.live) return;
  select.value = D.live;
  loadChosen();
}

// .vrm/.glb files in the workspace (uploads on the live page, `facemimic avatar3d` outputs).
const listModels = () => C.listModels($("d-3d-model"));

async function load(value) {
  D.targets = null;
  $("d-3d-variations").textContent = "";
  $("d-3d").hidden = !value;
  window.studioCreate.avatar3d = null;
  if (!value) { $("d-3d-note").textContent = ""; return; }
  $("d-3d-note").textContent = "loading…";
  D.av ||= await Avatar3D.create($("d-3d"));
  const url = value === "testhead" ? "/api/testhead.glb" : `/files/${value.split("/").map(encodeURIComponent).join("/")}`;
  D.targets = await D.av.load(url);
  D.label = value === "testhead" ? "the test head" : value;
  await show3D();
}

// Variations -> morph values (server) -> one render each (a thumbnail); the picked one stays shown.
// `only`: just that variation changed (a slider edit). One request in flight; changes meanwhile
// are queued and drawn after it.
export async function show3D(only) {
  if (!D.targets || !C.count()) return;
  if (only === undefined) D.all = true;
  else D.queue.add(only);
  if (D.busy) return;
  D.busy = true;
  try {
    while (D.all || D.queue.size) {
      const n = C.count();
      const which = D.all ? [...Array(n).keys()] : [...D.queue].filter((i) => i < n);
      D.all = false;
      D.queue.clear();
      if (!which.length) continue;
      const t0 = performance.now();
      const poses = which.map((i) => C.pose(i));
      const r = await C.api("POST", "/api/create/morphs", { targets: D.targets, combinations: D.av.combinations,
                                                             meshes: D.av.meshNames, poses });
      if (which.length === n) $("d-3d-variations").replaceChildren(...which.map((i) => thumb(i)));
      const state = (window.studioCreate.avatar3d ||= { variations: [] });
      which.forEach((i, k) => {
        apply(r.values[k], poses[k]);
        const img = $("d-3d-variations").querySelector(`img[data-index="${i}"]`);
        if (img) img.src = snapshot();
        state.variations[i] = { sent: r.values[k], influences: influences(), expressions: expressions() };
      });
      const p = C.picked();
      if (p < n) {
        const k = which.indexOf(p);
        apply(k >= 0 ? r.values[k] : state.variations[p].sent, k >= 0 ? poses[k] : C.pose(p));
      }
      state.variations.length = n;
      Object.assign(state, { label: D.label, kind: D.av.kind, mapped: r.mapped, unmapped: r.unmapped.length,
                             picked: p, influences: influences(), renders: (state.renders || 0) + which.length,
                             ms: performance.now() - t0 });  // request + renders of this pass
      $("d-3d-note").textContent = `${D.label}: ${r.mapped} ${D.av.kind === "vrm" ? "VRM expressions" : "morph targets"} `
        + `driven through the export alias table${r.unmapped.length ? `, ${r.unmapped.length} not mapped` : ""}`;
      markPicked();
    }
  } catch (e) { C.showError(e.message); } finally { D.busy = false; }
}

// The frame just rendered as a small JPEG on the panel's colour (read before WebGL clears its buffer).
function snapshot() {
  const c = D.snap ||= el("canvas", { width: 120, height: 120 });
  const g = c.getContext("2d");
  g.fillStyle = "#1c1f27";
  g.fillRect(0, 0, c.width, c.height);
  g.drawImage(D.av.renderer.domElement, 0, 0, c.width, c.height);
  return c.toDataURL("image/jpeg", 0.85);
}

function thumb(i) {
  const img = el("img", { alt: `variation ${i + 1} on the 3D avatar`, width: 120, height: 120 });
  img.dataset.index = i;
  const b = el("button", { type: "button", className: "variation3d", title: "pick this variation" }, img);
  b.dataset.index = i;
  b.onclick = () => document.querySelector(`.variation[data-index="${i}"]`)?.click();
  return b;
}

function markPicked() {
  const p = C.picked();
  for (const b of document.querySelectorAll("#d-3d-variations .variation3d")) {
    b.setAttribute("aria-selected", String(Number(b.dataset.index) === p));
  }
}

// One pose on the model, rendered now: the values as the live panel sets them (VRM expressions
// through three-vrm, else the meshes' morph targets), head pose on the root (or the VRM's head
// bone), gaze through the VRM's lookAt.
function apply(values, pose) {
  const av = D.av;
  const [yaw, pitch, roll] = pose.head;
  if (av.vrm) {
    const em = av.vrm.expressionManager;
    for (const [name, v] of Object.entries(values)) em.setValue(name, v);
    if (av.vrm.lookAt) {
      av.vrm.lookAt.yaw = -((pose.gaze[0][0] + pose.gaze[1][0]) / 2) * GAZE_DEG;
      av.vrm.lookAt.pitch = -((pose.gaze[0][1] + pose.gaze[1][1]) / 2) * GAZE_DEG;
    }
    const head = av.vrm.humanoid?.getNormalizedBoneNode("head");
    if (head) head.rotation.set(pitch * DEG, -yaw * DEG * av.front, -roll * DEG * av.front, "YXZ");
    av.vrm.update(0);
  } else {
    for (const mesh of av.meshes) {
      for (const [name, i] of Object.entries(mesh.morphTargetDictionary)) {
        if (name in values) mesh.morphTargetInfluences[i] = values[name];
      }
    }
    av.root.rotation.set(pitch * DEG, -yaw * DEG * av.front, -roll * DEG * av.front, "YXZ");
  }
  av.renderer.render(av.scene, av.camera);
}

// What the scene holds now: every mesh's morph target influences by name (the largest where
// several meshes share a name), and a VRM's expression values.
function influences() {
  const out = {};
  D.av.root.traverse((o) => {
    if (!o.morphTargetDictionary) return;
    for (const [name, i] of Object.entries(o.morphTargetDictionary)) {
      out[name] = Math.max(out[name] ?? 0, o.morphTargetInfluences[i]);
    }
  });
  return out;
}

function expressions() {
  if (!D.av.vrm) return null;
  const em = D.av.vrm.expressionManager;
  return Object.fromEntries(Object.keys(em.expressionMap).map((n) => [n, em.getValue(n)]));
}

export function picked3D() {
  if (!D.targets || !window.studioCreate.avatar3d) return;
  const p = C.picked(), v = window.studioCreate.avatar3d.variations[p];
  if (v) { apply(v.sent, C.pose(p)); window.studioCreate.avatar3d.picked = p; window.studioCreate.avatar3d.influences = influences(); }
  markPicked();
}
