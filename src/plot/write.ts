// Writing plots to disk atomically: a temporary file next to the target, then a rename.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { describe, typeError } from '../errors.js';
import type { Plot } from './chart.js';

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try { rmSync(tmp, { force: true }); } catch { /* the directory itself may be missing */ }
    throw new Error(`writePlot: cannot write ${path}: ${(err as Error).message}`);
  }
}

/**
 * Writes `path` ending in .png or .svg as that format only; any other path gets both,
 * `<path>.png` and `<path>.svg`. Returns the files written.
 */
export function writePlot(path: string, plot: Plot): string[] {
  if (typeof path !== 'string' || path === '') throw typeError('writePlot', 'path as a non-empty string', describe(path));
  if (typeof plot !== 'object' || plot === null || !(plot.png instanceof Uint8Array) || typeof plot.svg !== 'string') {
    throw typeError('writePlot', 'plot as { png: Uint8Array, svg: string } (from lineChart, rocPlot, trainingCurvesPlot)', describe(plot));
  }
  const ext = extname(path).toLowerCase();
  const files = ext === '.png' ? [path] : ext === '.svg' ? [path] : [`${path}.png`, `${path}.svg`];
  for (const f of files) writeAtomic(f, f.toLowerCase().endsWith('.png') ? plot.png : plot.svg);
  return files;
}
