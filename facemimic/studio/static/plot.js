// Scrolling line plot of a few channels over the last `seconds` (eyes, head pose).
const COLOURS = ["#5aa9ff", "#ffb35a", "#3fbf8f", "#d77bff"];

export class Plot {
  constructor(canvas, seconds, ranges) {
    this.canvas = canvas;
    this.seconds = seconds;
    this.ranges = ranges; // [[lo, hi], ...] per channel
    this.points = []; // [t, values]
  }

  push(t, values) {
    this.points.push([t, values]);
    while (this.points.length && t - this.points[0][0] > this.seconds) this.points.shift();
  }

  draw(now) {
    const { canvas } = this;
    const g = canvas.getContext("2d");
    const [w, h] = [canvas.width, canvas.height];
    g.clearRect(0, 0, w, h);
    g.strokeStyle = "#262a34";
    g.beginPath(); g.moveTo(0, h / 2); g.lineTo(w, h / 2); g.stroke();
    this.ranges.forEach(([lo, hi], c) => {
      g.strokeStyle = COLOURS[c];
      g.lineWidth = 1.5;
      g.beginPath();
      let started = false;
      for (const [t, v] of this.points) {
        const val = v[c];
        if (val === null || val === undefined) { started = false; continue; }
        const x = w - ((now - t) / this.seconds) * w;
        const y = h - ((Math.max(lo, Math.min(hi, val)) - lo) / (hi - lo)) * (h - 4) - 2;
        if (started) g.lineTo(x, y); else g.moveTo(x, y);
        started = true;
      }
      g.stroke();
    });
  }
}
