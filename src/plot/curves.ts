// Ready-made plots: training curves (loss above; active-triplet fraction and validation accuracy
// below, on a shared epoch axis) and the ROC curve (with the chance line, AUC, EER and a marked
// operating point, on a linear or log FAR axis).
import { checkInt, checkNumber, describe, rangeError, typeError } from '../errors.js';
import type { EpochReport } from '../metric/train.js';
import { chartItems, defaultTextScale, renderPlot, type ChartOptions, type MarkedPoint, type Plot, type Series } from './chart.js';
import type { Item } from './scene.js';

export interface TrainingEpoch {
  epoch: number;
  loss: number;
  /** Fraction of mined triplets with a non-zero loss, in [0, 1]. */
  activeFraction?: number;
  /** Validation accuracy in [0, 1]. */
  valAccuracy?: number;
}

export interface FigureOptions { title?: string; width?: number; height?: number }

/** The figures trainingCurvesPlot draws, taken from train()'s history. */
export function historyFromReports(reports: readonly EpochReport[]): TrainingEpoch[] {
  return reports.map((r) => ({ epoch: r.epoch, loss: r.loss, activeFraction: r.health?.activeFraction, valAccuracy: r.validation?.accuracy }));
}

/**
 * Loss per epoch in the upper panel; below it, when the history has them, the active-triplet
 * fraction and the validation accuracy on a fixed [0, 1] axis. Default size 800 × 700 (800 × 500
 * with one panel). NaN values leave gaps.
 */
export function trainingCurvesPlot(history: readonly TrainingEpoch[], opts: FigureOptions = {}): Plot {
  const where = 'trainingCurvesPlot';
  if (!Array.isArray(history) || history.length === 0) throw rangeError(where, 'history to be a non-empty array of { epoch, loss }', describe(history));
  const value = (i: number, key: 'loss' | 'activeFraction' | 'valAccuracy', v: unknown): number => {
    if (v === undefined) return NaN;
    if (typeof v !== 'number') throw typeError(where, `history[${i}].${key} to be a number`, describe(v));
    return v;
  };
  const epochs = history.map((h, i) => {
    if (typeof h !== 'object' || h === null) throw typeError(where, `history[${i}] as { epoch, loss }`, describe(h));
    return checkNumber(where, `history[${i}].epoch`, h.epoch);
  });
  const loss = history.map((h, i) => value(i, 'loss', h.loss));
  const active = history.map((h, i) => value(i, 'activeFraction', h.activeFraction));
  const acc = history.map((h, i) => value(i, 'valAccuracy', h.valAccuracy));
  const has = (a: number[]) => a.some((v) => !Number.isNaN(v));
  const lower: Series[] = [];
  const dots = history.length <= 40;
  if (has(active)) lower.push({ name: 'active triplets', x: epochs, y: active, color: '#ff7f0e', dots });
  if (has(acc)) lower.push({ name: 'validation accuracy', x: epochs, y: acc, color: '#2ca02c', dots });

  const width = checkInt(where, 'width', opts.width ?? 800, 200, 8192);
  const height = checkInt(where, 'height', opts.height ?? (lower.length ? 700 : 500), 160, 8192);
  const title = opts.title ?? 'Training';
  const lo = Math.min(...epochs), hi = Math.max(...epochs);
  const xRange = hi > lo ? {} : { xMin: lo - 1, xMax: hi + 1 };
  const textScale = defaultTextScale(width, lower.length ? height / 2 : height);
  const upper: ChartOptions = {
    title, yLabel: 'loss', xLabel: lower.length ? undefined : 'epoch', xInteger: true, textScale, ...xRange,
    series: [{ name: 'training loss', x: epochs, y: loss, color: '#1f77b4', dots }],
  };
  if (!lower.length) return renderPlot({ width, height, background: '#ffffff', items: chartItems(where, upper, { x: 0, y: 0, w: width, h: height }).items });

  const top = Math.round(height * 0.5);
  const bottomOpts: ChartOptions = { yLabel: 'fraction', xLabel: 'epoch', xInteger: true, yMin: 0, yMax: 1, textScale, series: lower, ...xRange };
  const boxA = { x: 0, y: 0, w: width, h: top }, boxB = { x: 0, y: top, w: width, h: height - top };
  // Lay out twice so that both plots start at the same x (the wider y tick labels win).
  const wide = Math.max(chartItems(where, upper, boxA).yTickWidth, chartItems(where, bottomOpts, boxB).yTickWidth);
  const items: Item[] = [...chartItems(where, upper, boxA, wide).items, ...chartItems(where, bottomOpts, boxB, wide).items];
  return renderPlot({ width, height, background: '#ffffff', items });
}

export interface RocPlotOptions extends FigureOptions {
  /** Area under the curve, shown in the legend and the title. */
  auc?: number;
  /** Equal error rate: a hollow dot where FAR = 1 − TAR, labelled, and in the title. */
  eer?: number;
  /** An operating point to mark, e.g. the chosen threshold. */
  marked?: { fpr: number; tpr: number; label?: string };
  /** Log-scaled FAR axis (default false). */
  logFar?: boolean;
  /** Left end of the log FAR axis (default: the decade below the smallest positive FAR, at least 1e-6). */
  farMin?: number;
  /** Legend name of the curve (default 'ROC'). */
  name?: string;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

/**
 * The ROC curve (TAR against FAR) with the chance line, on a linear or log FAR axis. Points are
 * drawn in the given order (rocCurve's order: FAR rising). Default size 640 × 560.
 */
export function rocPlot(points: ReadonlyArray<{ fpr: number; tpr: number }>, opts: RocPlotOptions = {}): Plot {
  const where = 'rocPlot';
  if (!Array.isArray(points) || points.length === 0) throw rangeError(where, 'points to be a non-empty array of { fpr, tpr }', describe(points));
  const fpr = points.map((p, i) => {
    if (typeof p !== 'object' || p === null) throw typeError(where, `points[${i}] as { fpr, tpr }`, describe(p));
    return checkNumber(where, `points[${i}].fpr`, p.fpr, 0, 1);
  });
  const tpr = points.map((p, i) => checkNumber(where, `points[${i}].tpr`, p.tpr, 0, 1));
  const auc = opts.auc === undefined ? undefined : checkNumber(where, 'auc', opts.auc, 0, 1);
  const eer = opts.eer === undefined ? undefined : checkNumber(where, 'eer', opts.eer, 0, 1);
  const log = !!opts.logFar;
  const width = checkInt(where, 'width', opts.width ?? 640, 200, 8192);
  const height = checkInt(where, 'height', opts.height ?? 560, 160, 8192);
  if (opts.name !== undefined && typeof opts.name !== 'string') throw typeError(where, 'name as a string', describe(opts.name));

  let xMin = 0;
  if (log) {
    const smallest = Math.min(...fpr.filter((v) => v > 0));
    const auto = Number.isFinite(smallest) ? Math.max(1e-6, Number(`1e${Math.floor(Math.log10(smallest) + 1e-9)}`)) : 1e-3;
    xMin = opts.farMin === undefined ? auto : checkNumber(where, 'farMin', opts.farMin, 1e-12, 0.5);
  }
  // On a log axis the diagonal TAR = FAR is a curve: sampled at 61 log-spaced points.
  const diag = log ? Array.from({ length: 61 }, (_, i) => xMin * (1 / xMin) ** (i / 60)) : [0, 1];
  const chance: Series = { name: 'chance', x: diag, y: diag, color: '#888888', dashed: true, width: 1.5 };
  const name = (opts.name ?? 'ROC') + (auc !== undefined ? ` (AUC ${auc.toFixed(4)})` : '');
  const marks: MarkedPoint[] = [];
  if (eer !== undefined && (!log || eer >= xMin)) marks.push({ x: eer, y: 1 - eer, label: `EER ${pct(eer)}`, color: '#444444', hollow: true });
  if (opts.marked !== undefined) {
    const m = opts.marked;
    if (typeof m !== 'object' || m === null) throw typeError(where, 'marked as { fpr, tpr, label }', describe(m));
    const x = checkNumber(where, 'marked.fpr', m.fpr, 0, 1), y = checkNumber(where, 'marked.tpr', m.tpr, 0, 1);
    if (m.label !== undefined && typeof m.label !== 'string') throw typeError(where, 'marked.label as a string', describe(m.label));
    if (!log || x >= xMin) marks.push({ x, y, label: m.label, color: '#d62728' });
  }
  const facts = [auc !== undefined ? `AUC ${auc.toFixed(4)}` : '', eer !== undefined ? `EER ${pct(eer)}` : ''].filter(Boolean).join(', ');
  const title = opts.title ?? `ROC curve${facts ? ` (${facts})` : ''}`;
  const plot = renderPlot({
    width, height, background: '#ffffff',
    items: chartItems(where, {
      title, xLabel: log ? 'false accept rate (FAR, log scale)' : 'false accept rate (FAR)', yLabel: 'true accept rate (TAR)',
      xLog: log, xMin, xMax: 1, yMin: 0, yMax: 1, textScale: defaultTextScale(width, height),
      series: [{ name, x: fpr, y: tpr, color: '#1f77b4', width: 2 }, chance], points: marks,
    }, { x: 0, y: 0, w: width, h: height }).items,
  });
  return plot;
}
