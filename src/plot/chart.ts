// Line charts: title, axis labels, several series, a legend that goes where it hides the least,
// nice 1-2-5 ticks (or decades on a log x axis), marker lines and marked points. The chart is laid
// out once as a scene (pixel coordinates) and drawn from it as PNG and as SVG.
import { checkInt, checkNumber, checkOption, describe, rangeError, typeError } from '../errors.js';
import { clipSegment, parseColor, textOffsets, type Color } from './canvas.js';
import { measureText } from './font.js';
import { rasterize, type Item, type Rect, type Scene } from './scene.js';
import { toSVG } from './svg.js';
import { formatLogTick, formatTick, logLimits, logMinorTicks, logTicks, niceLimits, niceTicks } from './ticks.js';

export interface Series {
  /** Shown in the legend; '' leaves the series out of it. */
  name: string;
  x: ArrayLike<number>;
  /** Same length as x; a NaN (or infinite) x or y breaks the line there. */
  y: ArrayLike<number>;
  /** Default: the next colour of the palette. */
  color?: Color;
  dashed?: boolean;
  /** Line width in pixels (default 2). */
  width?: number;
  /** A dot on every point (default false). */
  dots?: boolean;
}

/** A vertical (x) or horizontal (y) line across the plot, dashed by default, with an optional label. */
export interface MarkerLine { x?: number; y?: number; label?: string; color?: Color; dashed?: boolean }

/** A dot on the plot with an optional label beside it. */
export interface MarkedPoint { x: number; y: number; label?: string; color?: Color; hollow?: boolean }

export type LegendPlace = 'auto' | 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left' | 'none';

/** What one chart (one panel) shows. */
export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: Series[];
  /** Log-scaled x axis (decade ticks); points with x ≤ 0 are left out. */
  xLog?: boolean;
  /** Axis limits; each one left out is taken from the data, widened to a tick. */
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
  /** Integer x ticks only (epochs). */
  xInteger?: boolean;
  markers?: MarkerLine[];
  points?: MarkedPoint[];
  /** Default 'auto': the corner where the legend covers the fewest lines. */
  legend?: LegendPlace;
  /** Pixel scale of the 5×7 font, 1–3 (default 2 for charts at least 480×300, else 1). */
  textScale?: number;
}

export interface LineChartOptions extends ChartOptions {
  /** Pixels (default 800 × 500). */
  width?: number;
  height?: number;
  background?: Color;
}

/** A finished plot: the same chart as PNG bytes and as an SVG document. */
export interface Plot { width: number; height: number; png: Uint8Array; svg: string }

export const PALETTE: readonly string[] = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const INK = '#222222';
const GRID = '#e3e3e3';
const GRID_MINOR = '#f2f2f2';
const LABEL_BG = '#ffffffd9';
const LEGENDS: readonly LegendPlace[] = ['auto', 'top-right', 'top-left', 'bottom-right', 'bottom-left', 'none'];

/** Dash pattern for a line of width w (round caps lengthen each dash by w). */
export function dashFor(w: number): number[] {
  return [Math.max(3, 3.5 * w), Math.max(3, 3 * w)];
}

/** Draws a line chart; see ChartOptions. Errors name the option (`lineChart: expected series[1].x …`). */
export function lineChart(opts: LineChartOptions): Plot {
  const where = 'lineChart';
  if (typeof opts !== 'object' || opts === null) throw typeError(where, 'an options object', describe(opts));
  const width = checkInt(where, 'width', opts.width ?? 800, 100, 8192);
  const height = checkInt(where, 'height', opts.height ?? 500, 80, 8192);
  const background = opts.background ?? '#ffffff';
  parseColor(background, where, 'background');
  const scale = opts.textScale ?? defaultTextScale(width, height);
  const { items } = chartItems(where, { ...opts, textScale: scale }, { x: 0, y: 0, w: width, h: height });
  return renderPlot({ width, height, background, items });
}

/** The default font scale for a figure of this size. */
export function defaultTextScale(width: number, height: number): number {
  return width >= 480 && height >= 300 ? 2 : 1;
}

/** PNG and SVG of a scene. */
export function renderPlot(scene: Scene): Plot {
  return { width: scene.width, height: scene.height, png: rasterize(scene).toPNG(), svg: toSVG(scene) };
}

interface CheckedSeries { name: string; x: number[]; y: number[]; color: Color; dash?: number[]; width: number; dots: boolean }

function optString(where: string, name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw typeError(where, `${name} as a string`, describe(v));
  return v;
}

function optNumber(where: string, name: string, v: unknown): number | undefined {
  return v === undefined ? undefined : checkNumber(where, name, v);
}

function numbers(where: string, name: string, v: unknown): number[] {
  const ok = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  if (!ok) throw typeError(where, `${name} as an array of numbers`, describe(v));
  const a = Array.from(v as ArrayLike<unknown>);
  a.forEach((e, i) => { if (typeof e !== 'number') throw typeError(where, `${name}[${i}] to be a number`, describe(e)); });
  return a as number[];
}

function checkSeries(where: string, series: unknown): CheckedSeries[] {
  if (!Array.isArray(series) || series.length === 0) {
    throw rangeError(where, 'series to be a non-empty array of { name, x, y }', describe(series));
  }
  return series.map((s: Series, i) => {
    const n = `series[${i}]`;
    if (typeof s !== 'object' || s === null) throw typeError(where, `${n} as { name, x, y }`, describe(s));
    const name = optString(where, `${n}.name`, s.name) ?? '';
    const x = numbers(where, `${n}.x`, s.x), y = numbers(where, `${n}.y`, s.y);
    if (x.length !== y.length) throw rangeError(where, `${n}.x and ${n}.y of the same length`, `${x.length} and ${y.length}`);
    if (x.length === 0) throw rangeError(where, `${n} to have at least one point`, '0 points');
    const color = s.color ?? PALETTE[i % PALETTE.length];
    parseColor(color, where, `${n}.color`);
    const width = checkNumber(where, `${n}.width`, s.width ?? 2, 0.25, 20);
    return { name, x, y, color, width, dash: s.dashed ? dashFor(width) : undefined, dots: !!s.dots };
  });
}

/** Data range of finite (and, on a log axis, positive) values. */
function extent(values: number[][], positive: boolean): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const vs of values) for (const v of vs) if (Number.isFinite(v) && (!positive || v > 0)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return lo <= hi ? [lo, hi] : null;
}

function textW(text: string, s: number): number {
  return measureText(text, s).width;
}

/** `text`, cut short with '...' when wider than maxW pixels at scale s. */
function fit(text: string, s: number, maxW: number): string {
  if (textW(text, s) <= maxW) return text;
  const chars = [...text];
  while (chars.length > 0 && textW(chars.join('') + '...', s) > maxW) chars.pop();
  return chars.join('') + '...';
}

/**
 * Lays out one chart inside `box` of a scene and returns its drawing items, and the width its y tick
 * labels took (panels stacked in one figure pass the widest as `minYTickWidth` so their plots line up).
 */
export function chartItems(where: string, opts: ChartOptions, box: Rect, minYTickWidth = 0): { items: Item[]; yTickWidth: number } {
  const title = optString(where, 'title', opts.title);
  const xLabel = optString(where, 'xLabel', opts.xLabel);
  const yLabel = optString(where, 'yLabel', opts.yLabel);
  const s = checkInt(where, 'textScale', opts.textScale ?? defaultTextScale(box.w, box.h), 1, 3);
  const legendPlace = checkOption(where, 'legend', opts.legend ?? 'auto', LEGENDS);
  const xLog = !!opts.xLog;
  const series = checkSeries(where, opts.series);
  const markers = (opts.markers ?? []).map((m, i) => {
    const n = `markers[${i}]`;
    if ((m.x === undefined) === (m.y === undefined)) throw rangeError(where, `${n} to have exactly one of x, y`, describe(m));
    const color = m.color ?? '#555555';
    parseColor(color, where, `${n}.color`);
    return { x: optNumber(where, `${n}.x`, m.x), y: optNumber(where, `${n}.y`, m.y), label: optString(where, `${n}.label`, m.label), color, dashed: m.dashed ?? true };
  });
  const points = (opts.points ?? []).map((p, i) => {
    const n = `points[${i}]`;
    const color = p.color ?? INK;
    parseColor(color, where, `${n}.color`);
    return { x: checkNumber(where, `${n}.x`, p.x), y: checkNumber(where, `${n}.y`, p.y), label: optString(where, `${n}.label`, p.label), color, hollow: !!p.hollow };
  });

  // Axis limits: given, or the data's range (with marker lines and points) widened to ticks.
  const ch = 7 * s, cw = 6 * s, pad = 4 * s + 2, tick = 5;
  const xData = [...series.map((q) => q.x), markers.flatMap((m) => (m.x === undefined ? [] : [m.x])), points.map((p) => p.x)];
  const yData = [...series.map((q) => q.y), markers.flatMap((m) => (m.y === undefined ? [] : [m.y])), points.map((p) => p.y)];
  const xInt = !!opts.xInteger;
  let [xMin, xMax] = [optNumber(where, 'xMin', opts.xMin), optNumber(where, 'xMax', opts.xMax)];
  let [yMin, yMax] = [optNumber(where, 'yMin', opts.yMin), optNumber(where, 'yMax', opts.yMax)];
  if (xLog && xMin !== undefined && xMin <= 0) throw rangeError(where, 'xMin > 0 on a log axis', String(xMin));
  {
    const e = extent(xData, xLog) ?? (xLog ? [0.01, 1] : [0, 1]);
    const auto = xLog ? logLimits(e[0], e[1]) : niceLimits(e[0], e[1], 6, xInt ? 1 : 0);
    if (xMin === undefined && xMax === undefined) [xMin, xMax] = auto;
    else if (xMin === undefined) xMin = Math.min(auto[0], xLog ? xMax! / 10 : xMax! - 1);
    else if (xMax === undefined) xMax = Math.max(auto[1], xLog ? xMin * 10 : xMin + 1);
  }
  {
    const e = extent(yData, false) ?? [0, 1];
    const auto = niceLimits(e[0], e[1], 5);
    if (yMin === undefined && yMax === undefined) [yMin, yMax] = auto;
    else if (yMin === undefined) yMin = Math.min(auto[0], yMax! - 1);
    else if (yMax === undefined) yMax = Math.max(auto[1], yMin + 1);
  }
  const [x0, x1, y0, y1] = [xMin!, xMax!, yMin!, yMax!];
  if (!(x1 > x0)) throw rangeError(where, 'xMin < xMax', `${x0} and ${x1}`);
  if (!(y1 > y0)) throw rangeError(where, 'yMin < yMax', `${y0} and ${y1}`);

  // Vertical layout, then y ticks, then the left margin they need, then x ticks.
  const top = Math.round(box.y + (title ? ch + 2 * pad : Math.ceil(ch / 2) + pad));
  const bottom = Math.round(box.y + box.h - (tick + 5 + ch + (xLabel ? pad + ch : 0) + pad));
  const ph = bottom - top;
  if (ph < 30) throw rangeError(where, 'a height that leaves room for the plot area', `${box.h} pixels`);
  const yTarget = Math.max(2, Math.min(8, Math.floor(ph / (3.5 * ch))));
  const yt = niceTicks(y0, y1, yTarget);
  const yLabels = yt.ticks.map((v) => formatTick(v, yt.step));
  const yLabelW = Math.max(minYTickWidth, ...yLabels.map((l) => textW(l, s)));
  const left = Math.round(box.x + pad + (yLabel ? ch + pad : 0) + yLabelW + 4 + tick);
  let right = Math.round(box.x + box.w - 2 * pad);
  let xt = xTicks(x0, x1, xLog, xInt, right - left, s);
  const lastHalf = Math.ceil(textW(xt.labels[xt.labels.length - 1] ?? '', s) / 2);
  right = Math.round(box.x + box.w - Math.max(2 * pad, lastHalf + pad));
  const pw = right - left;
  if (pw < 30) throw rangeError(where, 'a width that leaves room for the plot area', `${box.w} pixels`);
  xt = xTicks(x0, x1, xLog, xInt, pw, s);

  const tx = (v: number) => (xLog ? Math.log10(v) : v);
  const X = (v: number) => (xLog && v <= 0 ? NaN : left + 0.5 + ((tx(v) - tx(x0)) / (tx(x1) - tx(x0))) * (pw - 1));
  const Y = (v: number) => bottom - 0.5 - ((v - y0) / (y1 - y0)) * (ph - 1);
  const crisp = (p: number) => Math.round(p - 0.5) + 0.5;
  const plot: Rect = { x: left, y: top, w: pw, h: ph };
  const clip: Rect = { x: left - 2, y: top - 2, w: pw + 4, h: ph + 4 };
  const items: Item[] = [];
  const text = (x: number, y: number, t: string, align: 'start' | 'middle' | 'end', baseline: 'top' | 'middle' | 'bottom', extra: Partial<Extract<Item, { kind: 'text' }>> = {}): void => {
    items.push({ kind: 'text', x, y, text: t, color: INK, scale: s, align, baseline, rotate: 0, ...extra });
  };

  // Grid, frame, ticks and their labels.
  for (const v of xt.minor) items.push({ kind: 'path', xy: [crisp(X(v)), top, crisp(X(v)), bottom], color: GRID_MINOR, width: 1 });
  for (const v of xt.ticks) items.push({ kind: 'path', xy: [crisp(X(v)), top, crisp(X(v)), bottom], color: GRID, width: 1 });
  for (const v of yt.ticks) items.push({ kind: 'path', xy: [left, crisp(Y(v)), right, crisp(Y(v))], color: GRID, width: 1 });
  items.push({ kind: 'rect', x: left + 0.5, y: top + 0.5, w: pw - 1, h: ph - 1, stroke: INK, width: 1 });
  for (const v of xt.minor) items.push({ kind: 'path', xy: [crisp(X(v)), bottom, crisp(X(v)), bottom + 2], color: INK, width: 1 });
  xt.ticks.forEach((v, i) => {
    items.push({ kind: 'path', xy: [crisp(X(v)), bottom, crisp(X(v)), bottom + tick - 0.5], color: INK, width: 1 });
    text(X(v), bottom + tick + 5, xt.labels[i], 'middle', 'top');
  });
  yt.ticks.forEach((v, i) => {
    items.push({ kind: 'path', xy: [left - tick + 0.5, crisp(Y(v)), left, crisp(Y(v))], color: INK, width: 1 });
    text(left - tick - 4, Y(v), yLabels[i], 'end', 'middle');
  });
  if (title) {
    // Smaller type for a title wider than the chart, then cut short; centred over the plot but kept inside the box.
    let ts = s;
    while (ts > 1 && textW(title, ts) + 1 > box.w - 2 * pad) ts--;
    const t = fit(title, ts, box.w - 2 * pad - 1);
    const half = (textW(t, ts) + 1) / 2;
    const cx = Math.min(Math.max(left + pw / 2, box.x + pad + half), box.x + box.w - pad - half);
    text(cx, box.y + pad + (ch - 7 * ts), t, 'middle', 'top', { bold: true, scale: ts });
  }
  if (xLabel) text(left + pw / 2, bottom + tick + 5 + ch + pad, fit(xLabel, s, pw), 'middle', 'top');
  if (yLabel) text(box.x + pad, top + ph / 2, fit(yLabel, s, ph), 'middle', 'top', { rotate: -90 });

  // Obstacles the legend should avoid: data segments, marker lines, dots and labels.
  const segments: number[][] = [];
  const boxes: Rect[] = [];
  const labelled: Item[] = [];
  // A label with a white backing, at the first of four placements (as asked, flipped across,
  // flipped up/down, both) that stays inside the plot and clear of earlier labels and dots.
  type Align = 'start' | 'end';
  type Base = 'top' | 'bottom';
  const flipA = (a: Align): Align => (a === 'start' ? 'end' : 'start');
  const flipB = (b: Base): Base => (b === 'top' ? 'bottom' : 'top');
  const addLabel = (x: number, y: number, t: string, align: Align, baseline: Base, altX: number, altY: number): void => {
    const options: Array<[number, number, Align, Base]> = [
      [x, y, align, baseline], [x, altY, align, flipB(baseline)], [altX, y, flipA(align), baseline], [altX, altY, flipA(align), flipB(baseline)],
    ];
    const rectOf = ([ox, oy, a, b]: [number, number, Align, Base]): Rect => {
      const o = textOffsets(t, s, { align: a, baseline: b });
      return { x: Math.round(ox) + o.du - 3, y: Math.round(oy) + o.dv - 3, w: o.width + 6, h: o.height + 6 };
    };
    // The frame takes the outermost pixel rows and columns of the plot area.
    const inside = (r: Rect) => r.x >= left + 1 && r.y >= top + 1 && r.x + r.w <= right - 1 && r.y + r.h <= bottom - 1;
    const clear = (r: Rect) => !boxes.some((b) => overlaps(r, b));
    let pick = options.find((o) => inside(rectOf(o)) && clear(rectOf(o))) ?? options.find((o) => inside(rectOf(o))) ?? options[0];
    let r = rectOf(pick);
    if (!inside(r)) {
      // Nothing fits: slide the first placement into the plot.
      const dx = Math.max(0, left + 1 - r.x) - Math.max(0, r.x + r.w - right + 1), dy = Math.max(0, top + 1 - r.y) - Math.max(0, r.y + r.h - bottom + 1);
      pick = [pick[0] + dx, pick[1] + dy, pick[2], pick[3]];
      r = rectOf(pick);
    }
    labelled.push({ kind: 'rect', ...r, fill: LABEL_BG });
    labelled.push({ kind: 'text', x: pick[0], y: pick[1], text: t, color: INK, scale: s, align: pick[2], baseline: pick[3], rotate: 0 });
    boxes.push(r);
  };

  for (const m of markers) {
    const dash = m.dashed ? dashFor(1) : undefined;
    if (m.x !== undefined) {
      const px = crisp(X(m.x));
      if (!(px >= left && px <= right)) continue;
      items.push({ kind: 'path', xy: [px, top, px, bottom], color: m.color, width: 1, dash });
      segments.push([px, top, px, bottom]);
      if (m.label) addLabel(px + 5, top + 5, m.label, 'start', 'top', px - 5, bottom - 5);
    } else {
      const py = crisp(Y(m.y!));
      if (!(py >= top && py <= bottom)) continue;
      items.push({ kind: 'path', xy: [left, py, right, py], color: m.color, width: 1, dash });
      segments.push([left, py, right, py]);
      if (m.label) addLabel(right - 6, py - 4, m.label, 'end', 'bottom', left + 6, py + 4);
    }
  }
  for (const q of series) {
    const xy: number[] = [];
    for (let i = 0; i < q.x.length; i++) {
      const px = X(q.x[i]), py = Y(q.y[i]);
      const ok = Number.isFinite(px) && Number.isFinite(py);
      xy.push(ok ? px : NaN, ok ? py : NaN);
      if (ok && i > 0 && Number.isFinite(xy[2 * i - 2]) && Number.isFinite(xy[2 * i - 1])) segments.push([xy[2 * i - 2], xy[2 * i - 1], px, py]);
      else if (ok) segments.push([px, py, px, py]);
    }
    items.push({ kind: 'path', xy, color: q.color, width: q.width, dash: q.dash, clip });
    if (q.dots) {
      for (let i = 0; i < xy.length; i += 2) {
        if (Number.isFinite(xy[i]) && Number.isFinite(xy[i + 1])) items.push({ kind: 'circle', cx: xy[i], cy: xy[i + 1], r: q.width + 1.5, fill: q.color, clip });
      }
    }
  }
  for (const p of points) {
    const px = X(p.x), py = Y(p.y);
    if (!Number.isFinite(px)) continue;
    const r = 2.5 * s;
    items.push(p.hollow
      ? { kind: 'circle', cx: px, cy: py, r, fill: '#ffffff', stroke: p.color, width: 2, clip }
      : { kind: 'circle', cx: px, cy: py, r, fill: p.color, stroke: '#ffffff', width: 1.5, clip });
    boxes.push({ x: px - r, y: py - r, w: 2 * r, h: 2 * r });
    if (p.label) addLabel(px + r + 5, py - r - 4, p.label, 'start', 'bottom', px - r - 5, py + r + 4);
  }
  items.push(...labelled);

  // Legend.
  const named = series.filter((q) => q.name !== '');
  if (legendPlace !== 'none' && named.length > 0) {
    const inner = 4 * s, sample = 14 * s, gap = 3 * s, rowH = ch + 3 * s;
    const lw = inner + sample + gap + Math.max(...named.map((q) => textW(q.name, s))) + inner;
    const lh = 2 * inner + named.length * rowH - 3 * s;
    const m = 8;
    const at: Record<string, Rect> = {
      'top-right': { x: right - m - lw, y: top + m, w: lw, h: lh },
      'top-left': { x: left + m, y: top + m, w: lw, h: lh },
      'bottom-right': { x: right - m - lw, y: bottom - m - lh, w: lw, h: lh },
      'bottom-left': { x: left + m, y: bottom - m - lh, w: lw, h: lh },
    };
    const place = legendPlace !== 'auto' ? legendPlace : (['top-right', 'top-left', 'bottom-right', 'bottom-left'] as const)
      .map((k, order) => ({ k, order, cost: legendCost(at[k], segments, boxes) }))
      .sort((a, b) => a.cost - b.cost || a.order - b.order)[0].k;
    const L = at[place];
    items.push({ kind: 'rect', x: Math.round(L.x) + 0.5, y: Math.round(L.y) + 0.5, w: Math.round(L.w), h: Math.round(L.h), fill: '#fffffff0', stroke: '#bbbbbb', width: 1 });
    named.forEach((q, i) => {
      const cy = Math.round(L.y) + inner + i * rowH + Math.floor(ch / 2) + 0.5;
      const sx = Math.round(L.x) + inner;
      items.push({ kind: 'path', xy: [sx + 1, cy, sx + sample - 1, cy], color: q.color, width: q.width, dash: q.dash });
      if (q.dots) items.push({ kind: 'circle', cx: sx + sample / 2, cy, r: q.width + 1.5, fill: q.color });
      text(sx + sample + gap, cy, q.name, 'start', 'middle');
    });
  }
  return { items, yTickWidth: yLabelW };
}

/** Ticks of the x axis, thinned until their labels fit side by side. */
function xTicks(x0: number, x1: number, log: boolean, integer: boolean, pw: number, s: number): { ticks: number[]; labels: string[]; minor: number[] } {
  const cw = 6 * s;
  for (let target = Math.max(2, Math.min(10, Math.floor(pw / (7 * cw)))); ; target--) {
    let ticks: number[], labels: string[];
    if (log) {
      ticks = logTicks(x0, x1, target + 1);
      labels = ticks.map(formatLogTick);
    } else {
      const t = niceTicks(x0, x1, target, integer ? 1 : 0);
      ticks = t.ticks;
      labels = ticks.map((v) => formatTick(v, t.step));
    }
    const spacing = ticks.length > 1 ? pw / ((log ? Math.log10(x1 / x0) : x1 - x0) / (log ? Math.log10(ticks[1] / ticks[0]) : ticks[1] - ticks[0])) : pw;
    const widest = Math.max(0, ...labels.map((l) => textW(l, s)));
    if (widest + 2 * cw <= spacing || target <= 1) {
      const decades = log ? Math.log10(x1 / x0) : 0;
      const minor = log && decades <= 6 ? logMinorTicks(x0, x1) : [];
      return { ticks, labels, minor };
    }
  }
}

function legendCost(r: Rect, segments: number[][], boxes: Rect[]): number {
  let cost = 0;
  const [x0, y0, x1, y1] = [r.x - 4, r.y - 4, r.x + r.w + 4, r.y + r.h + 4];
  for (const [ax, ay, bx, by] of segments) if (clipSegment(ax, ay, bx, by, x0, y0, x1, y1)) cost += 1;
  for (const b of boxes) if (overlaps(b, { x: x0, y: y0, w: x1 - x0, h: y1 - y0 })) cost += 1000;
  return cost;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && a.x + a.w > b.x && a.y < b.y + b.h && a.y + a.h > b.y;
}
