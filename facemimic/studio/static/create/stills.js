// FaceMimic studio, create half: every designer variation on the user's portrait (issue #14 §1), side
// by side under the large still of the picked one. Its own ES module, imported by create.js (which
// passes its helpers in). Each thumbnail is one still from the animator (/api/create/still, the
// portrait's cached PortraitAnimator), drawn into a canvas; the picked one follows the sliders by
// copying the large still when it has loaded (no second request per edit).

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};
const THUMB = 120;  // px, a thumbnail's longer side (drawn at 80 px: sharp on a HiDPI screen)

// The page's helpers (create.js): count() (variations shown), pose(i) (with its edits), picked(), pick(i),
// portrait() ({source, face, crop}: the photo, drawn on the animate panel's face and crop).
let C = null;
const P = { run: 0 };

export function buildStills(context) {
  C = context;
  const box = el("div", { id: "d-still-variations", className: "still-variations", role: "listbox",
                          ariaLabel: "the variations on your portrait" });
  document.querySelector(".portrait-view").append(box);
}

// All variations on the chosen portrait, one still at a time (the server draws one at a time anyway).
// A newer call (new variations, another portrait) stops an older one.
export async function showStills() {
  const run = ++P.run;
  const box = $("d-still-variations"), on = C.portrait(), { source } = on, n = C.count();
  box.textContent = "";
  window.studioCreate.portraitVariations = 0;
  if (!source || !n) return;
  const cards = [...Array(n).keys()].map((i) => {
    const canvas = el("canvas", { width: THUMB, height: THUMB });
    canvas.dataset.index = i;
    const b = el("button", { type: "button", className: "still-variation", title: `variation #${i + 1} on your portrait` },
      canvas, el("span", { textContent: `#${i + 1}` }));
    b.dataset.index = i;
    b.setAttribute("role", "option");
    b.onclick = () => C.pick(i);
    return b;
  });
  box.replaceChildren(...cards);
  markPicked();
  const ms = (window.studioCreate.portraitVariationsMs = []);  // per thumbnail, request to drawn
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await fetch("/api/create/still", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...C.pose(i), ...on, size: 512 }) });
    if (run !== P.run) return;
    if (!r.ok) throw new Error((await r.json()).error);
    draw(i, await createImageBitmap(await r.blob()));
    ms.push(performance.now() - t);
    window.studioCreate.portraitVariations = i + 1;
  }
}

// The large still of the picked variation has changed: its thumbnail copies it.
export async function stillThumb(i, img) {
  await img.decode();
  draw(i, img);
  markPicked();
}

function draw(i, image) {
  const canvas = $("d-still-variations").querySelector(`canvas[data-index="${i}"]`);
  if (!canvas) return;
  const w = image.width || image.naturalWidth, h = image.height || image.naturalHeight;
  const k = THUMB / Math.max(w, h);
  canvas.width = Math.round(w * k);
  canvas.height = Math.round(h * k);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  canvas.dataset.drawn = String(Number(canvas.dataset.drawn || 0) + 1);
}

export function markPicked() {
  const p = C.picked();
  for (const b of document.querySelectorAll("#d-still-variations .still-variation")) {
    b.setAttribute("aria-selected", String(Number(b.dataset.index) === p));
  }
}
