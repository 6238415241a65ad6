// Draws the tracked face over the camera picture: mesh points, head axes and gaze.
// The canvas is mirrored by CSS like the video, so image coordinates are drawn as they are.
const NOSE_TIP = 1;
const IRIS = { left: 473, right: 468 }; // MediaPipe: 468 is the subject's right iris centre

export function drawOverlay(canvas, video, m, show) {
  const w = video.videoWidth || 640;
  const h = video.videoHeight || 480;
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, w, h);
  if (!m.present || !m.landmarks) return;
  const lm = m.landmarks;
  const px = (i) => [lm[2 * i] * w, lm[2 * i + 1] * h];
  if (show.mesh) {
    g.fillStyle = "rgba(90, 169, 255, 0.75)";
    for (let i = 0; i < lm.length / 2; i++) g.fillRect(lm[2 * i] * w - 1, lm[2 * i + 1] * h - 1, 2, 2);
  }
  if (show.axes) {
    // Head axes from yaw/pitch/roll (degrees, VRCFT convention), drawn at the nose tip.
    const [cx, cy] = px(NOSE_TIP);
    const r = (d) => (d * Math.PI) / 180;
    const [y, p, ro] = [r(m.head.yaw), r(m.head.pitch), r(m.head.roll)];
    const len = 0.12 * w;
    // Rotation applied to unit axes in image space (x right, y down, z towards the camera).
    const rot = ([x, yv, z]) => {
      let [a, b, c] = [x * Math.cos(y) + z * Math.sin(y), yv, -x * Math.sin(y) + z * Math.cos(y)];
      [b, c] = [b * Math.cos(p) - c * Math.sin(p), b * Math.sin(p) + c * Math.cos(p)];
      [a, b] = [a * Math.cos(ro) - b * Math.sin(ro), a * Math.sin(ro) + b * Math.cos(ro)];
      return [a, b];
    };
    const axes = [[[-1, 0, 0], "#ff6b6b"], [[0, -1, 0], "#3fbf8f"], [[0, 0, -1], "#5aa9ff"]];
    g.lineWidth = 3;
    for (const [axis, colour] of axes) {
      const [dx, dy] = rot(axis);
      g.strokeStyle = colour;
      g.beginPath(); g.moveTo(cx, cy); g.lineTo(cx + dx * len, cy + dy * len); g.stroke();
    }
  }
  if (show.gaze) {
    g.strokeStyle = "#ffd35a";
    g.lineWidth = 2;
    for (const side of ["left", "right"]) {
      const [ix, iy] = px(IRIS[side]);
      const [gx, gy] = m.eyes[side].gaze;
      // gaze +x is the subject's right = image left; +y is up = image up
      g.beginPath(); g.moveTo(ix, iy); g.lineTo(ix - gx * 0.15 * w, iy - gy * 0.15 * w); g.stroke();
    }
  }
}
