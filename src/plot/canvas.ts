// A small RGBA raster canvas for charts: anti-aliased strokes of any width (solid or dashed),
// filled rectangles, circles, 5×7 bitmap text (scaled, or turned 90° for a y-axis label), PNG.
//
// Coordinates are continuous: pixel (i, j) covers [i, i+1) × [j, j+1), so a 1-pixel line is crisp
// on x.5 (the SVG convention, so the same scene draws alike in both). A stroke is the union of
// capsules around its segments: each pixel's coverage is clamp(width/2 + 0.5 − distance from the
// pixel's centre to the segment, 0, 1), kept as the maximum over the stroke's segments in a mask,
// then blended once (source over), so joints are not darkened twice. Everything is plain integer
// and float arithmetic in a fixed order: the same calls give the same bytes.
import { PNG } from 'pngjs';
import { checkInt, checkNumber, describe, rangeError, typeError } from '../errors.js';
import { forEachPixel, measureText } from './font.js';

/** '#rgb', '#rrggbb', '#rrggbbaa', or [r, g, b] / [r, g, b, a] with components 0–255. */
export type Color = string | readonly number[];
export type RGBA = [number, number, number, number];

export interface StrokeStyle {
  color?: Color;
  /** Line width in pixels (default 1). */
  width?: number;
  /** Dash pattern in pixels: on, off, on, off… (default solid). */
  dash?: readonly number[];
}

export interface TextStyle {
  color?: Color;
  /** Integer pixel scale of the 5×7 font, 1–4 (default 1). */
  scale?: number;
  /** Where the anchor sits along the text (default 'start'). */
  align?: 'start' | 'middle' | 'end';
  /** Where the anchor sits across the text (default 'top'). */
  baseline?: 'top' | 'middle' | 'bottom';
  /** 0, or -90 to read upwards (a y-axis label). */
  rotate?: 0 | -90;
}

export interface CircleStyle { fill?: Color; stroke?: Color; width?: number }

/** Parses a colour; errors name `where` and `name`. */
export function parseColor(c: Color, where = 'parseColor', name = 'color'): RGBA {
  if (typeof c === 'string') {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(c);
    if (!m) throw rangeError(where, `${name} as '#rgb', '#rrggbb' or '#rrggbbaa'`, describe(c));
    let h = m[1];
    if (h.length === 3) h = [...h].map((d) => d + d).join('');
    if (h.length === 6) h += 'ff';
    return [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)) as RGBA;
  }
  if (Array.isArray(c) && (c.length === 3 || c.length === 4) && c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    return [c[0], c[1], c[2], c.length === 4 ? c[3] : 255];
  }
  throw typeError(where, `${name} as a '#rrggbb' string or [r, g, b(, a)] integers in 0–255`, describe(c));
}

/** Formats a colour as '#rrggbb' (alpha goes to an SVG opacity attribute, see `alphaOf`). */
export function hexColor(c: RGBA): string {
  return '#' + c.slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('');
}

function checkDash(where: string, dash: readonly number[] | undefined): readonly number[] | undefined {
  if (dash === undefined || dash.length === 0) return undefined;
  if (!Array.isArray(dash) || dash.some((d) => typeof d !== 'number' || !Number.isFinite(d) || d < 0) || dash.reduce((a, b) => a + b, 0) <= 0) {
    throw rangeError(where, 'dash as non-negative lengths with a positive sum', describe(dash));
  }
  return dash.length % 2 === 1 ? [...dash, ...dash] : dash;
}

export class Canvas {
  readonly data: Uint8ClampedArray;
  private readonly mask: Float32Array;
  // Dirty box of the mask, pixel indices [x0, x1) × [y0, y1).
  private mx0 = 0; private my0 = 0; private mx1 = 0; private my1 = 0;
  // Clip box, pixel indices [x0, x1) × [y0, y1).
  private cx0 = 0; private cy0 = 0; private cx1: number; private cy1: number;

  constructor(readonly width: number, readonly height: number, background: Color = '#ffffff') {
    checkInt('Canvas', 'width', width, 1, 16384);
    checkInt('Canvas', 'height', height, 1, 16384);
    this.data = new Uint8ClampedArray(width * height * 4);
    this.mask = new Float32Array(width * height);
    this.cx1 = width;
    this.cy1 = height;
    const [r, g, b, a] = parseColor(background, 'Canvas', 'background');
    for (let i = 0; i < this.data.length; i += 4) {
      this.data[i] = r; this.data[i + 1] = g; this.data[i + 2] = b; this.data[i + 3] = a;
    }
  }

  /** Restricts drawing to the rectangle [x, x+w) × [y, y+h) (rounded to whole pixels); no arguments: the whole canvas. */
  setClip(x?: number, y?: number, w?: number, h?: number): void {
    if (x === undefined || y === undefined || w === undefined || h === undefined) {
      this.cx0 = 0; this.cy0 = 0; this.cx1 = this.width; this.cy1 = this.height;
      return;
    }
    this.cx0 = Math.max(0, Math.round(x)); this.cy0 = Math.max(0, Math.round(y));
    this.cx1 = Math.min(this.width, Math.round(x + w)); this.cy1 = Math.min(this.height, Math.round(y + h));
  }

  /** The RGBA value of pixel (x, y). */
  pixel(x: number, y: number): RGBA {
    const i = (y * this.width + x) * 4;
    return [this.data[i], this.data[i + 1], this.data[i + 2], this.data[i + 3]];
  }

  private blend(idx: number, c: RGBA, cov: number): void {
    const a = (c[3] / 255) * cov;
    if (a <= 0) return;
    const d = this.data, i = idx * 4;
    const da = d[i + 3] / 255;
    const oa = a + da * (1 - a);
    for (let k = 0; k < 3; k++) d[i + k] = Math.round((c[k] * a + d[i + k] * da * (1 - a)) / oa);
    d[i + 3] = Math.round(oa * 255);
  }

  /** Fills [x, x+w) × [y, y+h); partly covered edge pixels get partial coverage. */
  fillRect(x: number, y: number, w: number, h: number, color: Color): void {
    const c = parseColor(color, 'Canvas.fillRect');
    if (!(w > 0 && h > 0)) return;
    const x0 = Math.max(this.cx0, Math.floor(x)), x1 = Math.min(this.cx1, Math.ceil(x + w));
    const y0 = Math.max(this.cy0, Math.floor(y)), y1 = Math.min(this.cy1, Math.ceil(y + h));
    for (let py = y0; py < y1; py++) {
      const fy = Math.min(py + 1, y + h) - Math.max(py, y);
      for (let px = x0; px < x1; px++) {
        const fx = Math.min(px + 1, x + w) - Math.max(px, x);
        this.blend(py * this.width + px, c, fx * fy);
      }
    }
  }

  /** Strokes the segment (x0, y0)–(x1, y1) with round caps. */
  line(x0: number, y0: number, x1: number, y1: number, style: StrokeStyle = {}): void {
    this.polyline([x0, y0, x1, y1], style);
  }

  /**
   * Strokes a polyline given as flat [x0, y0, x1, y1, …]; a point with a non-finite coordinate
   * breaks it into separate runs (a run of one point draws a dot). Dashes restart on each run.
   */
  polyline(xy: ArrayLike<number>, style: StrokeStyle = {}): void {
    const where = 'Canvas.polyline';
    if (xy.length % 2 !== 0) throw rangeError(where, 'an even number of coordinates (x, y pairs)', String(xy.length));
    const c = parseColor(style.color ?? '#000000', where);
    const width = checkNumber(where, 'width', style.width ?? 1, 0);
    const dash = checkDash(where, style.dash);
    const hw = width / 2;
    let run: number[] = [];
    const flushRun = () => {
      if (run.length === 2) this.capsule(run[0], run[1], run[0], run[1], hw);
      else if (dash) this.dashedRun(run, hw, dash);
      else for (let i = 2; i < run.length; i += 2) this.capsule(run[i - 2], run[i - 1], run[i], run[i + 1], hw);
      run = [];
    };
    for (let i = 0; i < xy.length; i += 2) {
      const x = xy[i], y = xy[i + 1];
      if (Number.isFinite(x) && Number.isFinite(y)) run.push(x, y);
      else if (run.length) flushRun();
    }
    if (run.length) flushRun();
    this.flush(c);
  }

  /** A circle of radius r: filled and/or outlined (outline centred on the radius). */
  circle(cx: number, cy: number, r: number, style: CircleStyle): void {
    const where = 'Canvas.circle';
    checkNumber(where, 'r', r, 0);
    const hw = (style.width ?? 1) / 2;
    if (style.fill !== undefined) {
      const c = parseColor(style.fill, where, 'fill');
      this.region(cx - r - 1, cy - r - 1, cx + r + 1, cy + r + 1, (px, py) => r + 0.5 - Math.hypot(px - cx, py - cy));
      this.flush(c);
    }
    if (style.stroke !== undefined) {
      const c = parseColor(style.stroke, where, 'stroke');
      const o = r + hw + 1;
      this.region(cx - o, cy - o, cx + o, cy + o, (px, py) => hw + 0.5 - Math.abs(Math.hypot(px - cx, py - cy) - r));
      this.flush(c);
    }
  }

  /** Draws `text` in the 5×7 font; see TextStyle for the anchor. Returns the box it covers. */
  text(x: number, y: number, text: string, style: TextStyle = {}): { x: number; y: number; width: number; height: number } {
    const where = 'Canvas.text';
    if (typeof text !== 'string') throw typeError(where, 'text as a string', describe(text));
    const c = parseColor(style.color ?? '#000000', where);
    const s = checkInt(where, 'scale', style.scale ?? 1, 1, 4);
    const { du, dv, width, height } = textOffsets(text, s, style);
    const ax = Math.round(x), ay = Math.round(y);
    const rot = style.rotate === -90;
    const put = (u: number, v: number) => {
      const u0 = du + u * s, v0 = dv + v * s;
      // Turning by −90° maps the offset (u, v) to (v, −u).
      const px0 = rot ? ax + v0 : ax + u0, py0 = rot ? ay - u0 - s : ay + v0;
      for (let py = Math.max(py0, this.cy0); py < Math.min(py0 + s, this.cy1); py++) {
        for (let px = Math.max(px0, this.cx0); px < Math.min(px0 + s, this.cx1); px++) this.blend(py * this.width + px, c, 1);
      }
    };
    forEachPixel(text, put);
    return rot ? { x: ax + dv, y: ay - du - width, width: height, height: width } : { x: ax + du, y: ay + dv, width, height };
  }

  /** PNG bytes (RGB when every pixel is opaque, else RGBA). */
  toPNG(): Uint8Array {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    let opaque = true;
    for (let i = 3; i < this.data.length; i += 4) if (this.data[i] !== 255) { opaque = false; break; }
    // Filter "Up" on every row: charts are mostly vertical runs of one colour; it compresses
    // within a few per cent of pngjs's adaptive choice in half the time.
    const buf = PNG.sync.write(png, { colorType: opaque ? 2 : 6, inputColorType: 6, inputHasAlpha: true, filterType: 2 });
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  // Evaluates `cov(px + 0.5, py + 0.5)` over a box (clipped) into the mask, keeping the maximum.
  private region(x0: number, y0: number, x1: number, y1: number, cov: (px: number, py: number) => number): void {
    const ix0 = Math.max(this.cx0, Math.floor(x0)), ix1 = Math.min(this.cx1, Math.ceil(x1));
    const iy0 = Math.max(this.cy0, Math.floor(y0)), iy1 = Math.min(this.cy1, Math.ceil(y1));
    if (ix0 >= ix1 || iy0 >= iy1) return;
    if (this.mx0 >= this.mx1) { this.mx0 = ix0; this.my0 = iy0; this.mx1 = ix1; this.my1 = iy1; }
    else {
      this.mx0 = Math.min(this.mx0, ix0); this.my0 = Math.min(this.my0, iy0);
      this.mx1 = Math.max(this.mx1, ix1); this.my1 = Math.max(this.my1, iy1);
    }
    const m = this.mask, w = this.width;
    for (let py = iy0; py < iy1; py++) {
      for (let px = ix0; px < ix1; px++) {
        const v = cov(px + 0.5, py + 0.5);
        if (v > 0) { const i = py * w + px; const k = v > 1 ? 1 : v; if (k > m[i]) m[i] = k; }
      }
    }
  }

  // Blends the mask in colour c over its dirty box and clears it.
  private flush(c: RGBA): void {
    const m = this.mask, w = this.width;
    for (let py = this.my0; py < this.my1; py++) {
      for (let px = this.mx0; px < this.mx1; px++) {
        const i = py * w + px;
        if (m[i] > 0) { this.blend(i, c, m[i]); m[i] = 0; }
      }
    }
    this.mx0 = this.my0 = this.mx1 = this.my1 = 0;
  }

  // One segment's capsule into the mask, after clipping the segment to the clip box (so far-away
  // coordinates cost nothing). Rows are limited to the capsule's x-extent.
  private capsule(ax: number, ay: number, bx: number, by: number, hw: number): void {
    const pad = hw + 1;
    const cl = clipSegment(ax, ay, bx, by, this.cx0 - pad, this.cy0 - pad, this.cx1 + pad, this.cy1 + pad);
    if (!cl) return;
    [ax, ay, bx, by] = cl;
    const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    this.region(Math.min(ax, bx) - pad, Math.min(ay, by) - pad, Math.max(ax, bx) + pad, Math.max(ay, by) + pad, (px, py) => {
      let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - (ax + t * dx), ey = py - (ay + t * dy);
      return hw + 0.5 - Math.sqrt(ex * ex + ey * ey);
    });
  }

  // A dashed run: walks the path's length through the pattern, stroking the "on" pieces.
  private dashedRun(run: number[], hw: number, dash: readonly number[]): void {
    const period = dash.reduce((a, b) => a + b, 0);
    let along = 0;
    for (let i = 2; i < run.length; i += 2) {
      const ax = run[i - 2], ay = run[i - 1], bx = run[i], by = run[i + 1];
      const len = Math.hypot(bx - ax, by - ay);
      // Only the part of the segment near the clip box can be seen; skip the rest by its length.
      const pad = hw + 1;
      const cl = clipSegment(ax, ay, bx, by, this.cx0 - pad, this.cy0 - pad, this.cx1 + pad, this.cy1 + pad);
      if (cl && len > 0) {
        const t0 = Math.hypot(cl[0] - ax, cl[1] - ay), t1 = Math.hypot(cl[2] - ax, cl[3] - ay);
        let pos = along + t0;
        // Find where in the pattern `pos` falls.
        let phase = pos % period, k = 0;
        while (phase >= dash[k]) { phase -= dash[k]; k = (k + 1) % dash.length; }
        let t = t0;
        while (t < t1) {
          const step = Math.min(dash[k] - phase, t1 - t);
          if (k % 2 === 0 && step > 0) {
            const u0 = t / len, u1 = (t + step) / len;
            this.capsule(ax + u0 * (bx - ax), ay + u0 * (by - ay), ax + u1 * (bx - ax), ay + u1 * (by - ay), hw);
          }
          t += step; pos += step; phase += step;
          if (phase >= dash[k] - 1e-9) { phase = 0; k = (k + 1) % dash.length; }
        }
      }
      along += len;
    }
  }
}

/** Offsets of the text's top-left corner from its anchor in the unturned frame, and its size. */
export function textOffsets(text: string, scale: number, style: TextStyle): { du: number; dv: number; width: number; height: number } {
  const { width, height } = measureText(text, scale);
  const du = style.align === 'middle' ? -Math.floor(width / 2) : style.align === 'end' ? -width : 0;
  const dv = style.baseline === 'middle' ? -Math.floor(height / 2) : style.baseline === 'bottom' ? -height : 0;
  return { du, dv, width, height };
}

/** Liang–Barsky: the part of a segment inside [x0, x1] × [y0, y1], or null. */
export function clipSegment(ax: number, ay: number, bx: number, by: number, x0: number, y0: number, x1: number, y1: number): [number, number, number, number] | null {
  const dx = bx - ax, dy = by - ay;
  let t0 = 0, t1 = 1;
  const p = [-dx, dx, -dy, dy], q = [ax - x0, x1 - ax, ay - y0, y1 - ay];
  for (let i = 0; i < 4; i++) {
    if (p[i] === 0) { if (q[i] < 0) return null; continue; }
    const r = q[i] / p[i];
    if (p[i] < 0) { if (r > t1) return null; if (r > t0) t0 = r; }
    else { if (r < t0) return null; if (r < t1) t1 = r; }
  }
  return [ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy];
}
