// `facemetric eval`: how good is a model on people it never saw? Two ways:
//   --data DIR     a photo folder DIR/<person>/<photo>: the evaluation protocol (enrolmentSplit +
//                  evaluateProtocol): identification, verification with the D rule, open set.
//   --pairs FILE   an LFW pair list (View 1 or View 2) with photos ROOT/name/name_%04d.jpg: k-fold
//                  accuracy ± standard error, AUC, EER, TAR at FAR 10⁻¹..10⁻³, the best threshold,
//                  and the lecture's D rule.
// Both write the ROC curve with the best-accuracy threshold marked.
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { readPairs, pairPhotoPath, pairPhotos, type PairList } from '../data/index.js';
import { enrolmentSplit, evaluateProtocol, itemNames, pixelEmbeddings, protocolTable, type ProtocolReport } from '../metric/protocol.js';
import { rocCurve, verificationReport, type RocPoint } from '../metric/roc.js';
import { distance } from '../metric/verify.js';
import { Gallery } from '../metric/gallery.js';
import { rocPlot, writePlot } from '../plot/index.js';
import { UsageError, numberOption, type Command, type Io } from './args.js';
import { openGallery } from './identify.js';
import {
  describePreprocess, embedFolder, embedPhotos, loadEmbeddingModel, loadFolder, num, optional, required, type LoadedModel, type Values,
} from './photos.js';

const NAME = 'eval';
const FARS = [1e-1, 1e-2, 1e-3];
const DATA_ONLY = ['enrol', 'open-set-people', 'far', 'raw', 'seed'] as const;
const PAIRS_ONLY = ['root', 'ext', 'gallery'] as const;

/** `<model without extension>.roc` (writePlot adds .png and .svg). */
export function defaultPlotPath(model: string, suffix: string): string {
  return `${model.slice(0, model.length - extname(model).length)}.${suffix}`;
}

/** Distances of pairs (a[k], b[k]) of rows of `data` (dim floats each), with verify's arithmetic. */
function pairDistances(data: Float32Array, dim: number, a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  return Array.from({ length: a.length }, (_, k) => distance(data.subarray(a[k] * dim, (a[k] + 1) * dim), data.subarray(b[k] * dim, (b[k] + 1) * dim)));
}

/** The ROC with the threshold's operating point marked (t is one of rocCurve's thresholds). */
function writeRoc(path: string, roc: RocPoint[], t: number, label: string, auc: number, eer: number, on: string): string[] {
  const p = roc.find((r) => r.threshold === t);
  const title = `ROC on ${basename(on)} (AUC ${auc.toFixed(4)}, EER ${(100 * eer).toFixed(2)}%)`;
  return writePlot(path, rocPlot(roc, { auc, eer, title, marked: p ? { fpr: p.fpr, tpr: p.tpr, label } : undefined }));
}

function refuse(values: Values, names: readonly string[], mode: string): void {
  for (const n of names) if (values[n] !== undefined) throw new UsageError(`${NAME}: --${n} applies to ${mode === '--data' ? '--pairs' : '--data'} only, got it with ${mode}`);
}

async function runData(values: Values, loaded: LoadedModel, data: string, plotPath: string, io: Io): Promise<number> {
  const enrol = numberOption(NAME, 'enrol', values.enrol, { min: 1, max: 1e6, integer: true });
  const openSetPeople = numberOption(NAME, 'open-set-people', values['open-set-people'], { min: 0, max: 1e6, integer: true });
  const far = numberOption(NAME, 'far', values.far, { min: Number.MIN_VALUE, max: 1 }) ?? 0.1;
  const seed = numberOption(NAME, 'seed', values.seed, { min: 0, max: 0xffffffff, integer: true }) ?? 1;
  const folder = loadFolder(NAME, data, loaded.preprocess);
  if (openSetPeople !== undefined && openSetPeople > folder.people.length) {
    throw new UsageError(`${NAME}: expected --open-set-people to be at most the ${folder.people.length} people of ${data}, got ${openSetPeople}`);
  }
  const split = enrolmentSplit(folder, { enrol, openSetPeople, seed });
  const e = embedFolder(NAME, loaded.net, folder);
  const names = itemNames(folder);
  const report = evaluateProtocol(e, names, split, { far });
  const raw: ProtocolReport | null = values.raw ? evaluateProtocol(pixelEmbeddings(folder), names, split, { far }) : null;
  const d = pairDistances(e.data, e.dim, split.pairs.a, split.pairs.b);
  const v = report.verification;
  const label = `best threshold ${v.bestThreshold.toFixed(3)}`;
  const plots = writeRoc(plotPath, rocCurve(d, split.pairs.same), v.bestThreshold, label, v.auc, v.eer, data);
  const photosEnrolled = enrol === undefined ? 'the first half (rounded up) of each person\'s photos' : `the first ${enrol} photos of each person`;
  const openPeople = split.openSet ? (openSetPeople ?? Math.ceil(folder.people.length / 2)) : 0;
  if (values.json) {
    io.out(JSON.stringify({
      mode: 'data', model: loaded.path, data, people: folder.people.length, photos: folder.size, enrol: enrol ?? null,
      openSetPeople: openPeople, seed, net: report, rawPixels: raw,
      threshold: { value: v.bestThreshold, accuracy: v.bestAccuracy, source: 'best accuracy on these pairs' }, plots,
    }));
  } else {
    io.out(`${NAME}: ${loaded.path} on ${data}: ${folder.people.length} people, ${folder.size} photos (${describePreprocess(loaded.preprocess)})`);
    io.out(`enrolled ${photosEnrolled} (${split.gallery.length} photos), probes the other ${split.probes.length}; ` +
      `${v.pairs.genuine} same + ${v.pairs.impostor} different pairs in ${v.pairs.folds} folds (seed ${seed}); ` +
      (split.openSet ? `open set: the first ${openPeople} people enrolled` : 'no open set'));
    io.out('');
    io.out(protocolTable(raw ? [{ name: 'model', report }, { name: 'raw pixels', report: raw }] : [{ name: 'model', report }]));
    io.out('');
    io.out(`ROC (${label} marked): ${plots.join(', ')}`);
  }
  return 0;
}

/** Fold ids: View 2's own folds, or (View 1, or one fold) 10 folds dealt round-robin within each kind. */
function foldsOf(list: PairList): { ids: Int32Array; folds: number; how: string } {
  if (list.folds >= 2) {
    return { ids: Int32Array.from(list.pairs, (p) => p.fold), folds: list.folds, how: `View 2: the list's own ${list.folds} folds, each threshold chosen on the other ${list.folds - 1}` };
  }
  const k = Math.min(10, list.perFold);
  if (k < 2) throw new Error(`${NAME}: expected at least 2 same and 2 different pairs in ${list.file} for k-fold accuracy, got ${list.perFold} of each`);
  let same = 0, diff = 0;
  const ids = Int32Array.from(list.pairs, (p) => (p.same ? same++ : diff++) % k);
  return { ids, folds: k, how: `View 1: ${k} folds dealt round-robin from the pairs (same and different separately), each threshold chosen on the other ${k - 1}` };
}

async function runPairs(values: Values, loaded: LoadedModel, pairsPath: string, plotPath: string, io: Io): Promise<number> {
  const root = required(NAME, values, 'root', 'DIR (the photo folder of the pair list: DIR/name/name_0001.jpg)');
  const ext = optional(values, 'ext') ?? '.jpg';
  if (!/^\.?[\w-]+$/.test(ext)) throw new UsageError(`${NAME}: expected --ext to be a file extension like .jpg or png, got ${JSON.stringify(ext)}`);
  const galleryPath = optional(values, 'gallery');
  const list = readPairs(pairsPath);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`${NAME}: cannot read photo folder ${root}: no such folder`);
  const { ids, folds, how } = foldsOf(list);
  const { photos, a, b } = pairPhotos(list);
  const files = photos.map((p) => pairPhotoPath(root, p.name, p.index, ext));
  const missing = files.map((f, i) => ({ f, i })).filter(({ f }) => !existsSync(f));
  if (missing.length > 0) {
    const first = missing[0];
    const line = list.pairs.find((p) => (p.a.name === photos[first.i].name && p.a.index === photos[first.i].index) ||
      (p.b.name === photos[first.i].name && p.b.index === photos[first.i].index))?.line;
    throw new Error(`${NAME}: cannot read photo ${first.f} (of ${list.file}:${line}): no such file` +
      (missing.length > 1 ? `; ${missing.length - 1} more of the ${files.length} photos are missing` : ''));
  }
  const file = galleryPath === undefined ? null : openGallery(NAME, galleryPath, loaded.hash);
  const e = embedPhotos(NAME, loaded, files);
  const dim = loaded.net.embeddingDim;
  const d = pairDistances(e, dim, a, b);
  const same = list.pairs.map((p) => p.same);
  const v = verificationReport(d, same, { foldIds: ids, fars: FARS });

  // The lecture's D: the largest diameter of the clouds of the people with ≥ 2 photos among the pairs, or the gallery's.
  let D: { D: number; person: string } | null = null, source: string;
  if (file) {
    try { D = file.gallery.D({ minPhotos: 2 }); } catch { D = null; }
    source = `the gallery ${galleryPath}`;
    file.gallery.dispose();
  } else {
    const g = new Gallery({ dim });
    try {
      g.add(e, photos.map((p) => p.name));
      const many = g.diameters().filter((x) => g.count(x.person) >= 2).length;
      source = `the clouds of the ${many} people with 2 or more photos among the pairs`;
      if (many > 0) D = g.D({ minPhotos: 2 });
    } finally {
      g.dispose();
    }
  }
  let dRule: { D: number; person: string; source: string; accuracy: number; tar: number; far: number } | null = null;
  if (D) {
    let tp = 0, fp = 0;
    d.forEach((x, k) => { if (x < D.D) { if (same[k]) tp++; else fp++; } });
    const P = v.pairs.genuine, N = v.pairs.impostor;
    dRule = { D: D.D, person: D.person, source, accuracy: (tp + N - fp) / (P + N), tar: tp / P, far: fp / N };
  }
  const label = `best threshold ${v.best.threshold.toFixed(3)}`;
  const plots = writeRoc(plotPath, rocCurve(d, same), v.best.threshold, label, v.auc, v.eer.eer, list.file);
  const people = new Set(photos.map((p) => p.name)).size;
  const tars = v.tarAtFar.map((t) => ({ far: t.targetFar, tar: t.measurable ? t.tar : null, threshold: t.measurable ? t.threshold : null, measurable: t.measurable }));
  const viewText = list.view === 2 ? `View 2: ${list.folds} folds of ${list.perFold} same + ${list.perFold} different pairs` : `View 1: ${list.perFold} same + ${list.perFold} different pairs`;
  if (values.json) {
    io.out(JSON.stringify({
      mode: 'pairs', model: loaded.path, pairs: list.file, root, view: list.view, pairCount: { same: v.pairs.genuine, different: v.pairs.impostor },
      photos: files.length, people, folds, foldsFrom: list.folds >= 2 ? 'list' : 'round-robin',
      accuracy: v.kFold.mean, stderr: v.kFold.stderr, foldAccuracies: v.kFold.folds, auc: v.auc, eer: v.eer.eer, eerThreshold: v.eer.threshold,
      tar: tars, bestThreshold: v.best.threshold, bestAccuracy: v.best.accuracy, dRule, dSource: source, plots,
    }));
    return 0;
  }
  const rows: Array<[string, string]> = [
    [`${folds}-fold accuracy`, `${num(v.kFold.mean)} ± ${num(v.kFold.stderr)} (standard error; ${how})`],
    ['AUC', num(v.auc)],
    ['EER', `${num(v.eer.eer)} (threshold ${num(v.eer.threshold)})`],
    ...tars.map((t): [string, string] => [`TAR @ FAR=${t.far}`, t.tar === null
      ? `n/a (needs ${Math.round(1 / t.far)} or more different pairs, the list has ${v.pairs.impostor})` : `${num(t.tar)} (threshold ${num(t.threshold as number)})`]),
    ['best threshold', `${num(v.best.threshold)} (accuracy ${num(v.best.accuracy)} on all the pairs it was chosen on: optimistic)`],
    ['D rule (same when < D)', dRule
      ? `accuracy ${num(dRule.accuracy)}, TAR ${num(dRule.tar)}, FAR ${num(dRule.far)}; D = ${num(dRule.D)} (${dRule.person}), from ${source}`
      : `n/a (${file ? `the gallery ${galleryPath} has` : 'the pairs have'} no person with 2 or more photos)`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  io.out(`${NAME}: ${loaded.path} on ${list.file} (${viewText}); ${files.length} photos of ${people} people in ${root} (${describePreprocess(loaded.preprocess)})`);
  io.out('');
  for (const [k, val] of rows) io.out(`${k.padEnd(w)}  ${val}`);
  io.out('');
  io.out(`ROC (${label} marked): ${plots.join(', ')}`);
  return 0;
}

async function run(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length) throw new UsageError(`${NAME}: expected no positional arguments, got ${JSON.stringify(positionals[0])}`);
  const modelPath = required(NAME, values, 'model', 'MODEL (a model file from facemetric train)');
  const data = optional(values, 'data'), pairs = optional(values, 'pairs');
  if (data !== undefined && pairs !== undefined) throw new UsageError(`${NAME}: expected one of --data DIR or --pairs PAIRS, got both`);
  if (data === undefined && pairs === undefined) throw new UsageError(`${NAME}: expected --data DIR (a photo folder) or --pairs PAIRS --root DIR (an LFW pair list)`);
  refuse(values, data !== undefined ? PAIRS_ONLY : DATA_ONLY, data !== undefined ? '--data' : '--pairs');
  if (values.plot !== undefined && optional(values, 'plot') === undefined) throw new UsageError(`${NAME}: expected --plot PATH to be a non-empty path`);
  const plotPath = optional(values, 'plot') ?? defaultPlotPath(modelPath, 'roc');
  const loaded = loadEmbeddingModel(NAME, modelPath);
  try {
    return data !== undefined ? await runData(values, loaded, data, plotPath, io) : await runPairs(values, loaded, pairs as string, plotPath, io);
  } finally {
    loaded.model.dispose();
  }
}

export const evalCommand: Command = {
  name: NAME,
  summary: 'measure a model on unseen people: a photo folder, or an LFW pair list',
  usage: `facemetric eval --model MODEL (--data DIR | --pairs PAIRS --root DIR) [options]

--data DIR: the evaluation protocol on the people of DIR/<person>/<photo>: each person's first
photos enrolled, the others probes (identification rank-1/5), verification pairs among all
photos (10-fold accuracy ± standard error, AUC, EER, TAR at a FAR, the lecture's D rule with D
from the enrolled photos), and open-set identification (DIR at a FAR).
--pairs PAIRS: an LFW pair list (View 1 "N", View 2 "FOLDS<TAB>N") with photo i of a person at
DIR/name/name_%04d.jpg: 10-fold accuracy (View 2: its own folds; View 1: 10 folds dealt
round-robin), AUC, EER, TAR at FAR 0.1/0.01/0.001, the best threshold, and the D rule.
Both write the ROC curve with the best threshold marked.

  --model MODEL           model file from facemetric train (required)
  --plot PATH             ROC plot: PATH.png and PATH.svg, or only PATH when it ends in .png/.svg
                          (default MODEL without its extension + .roc)
 with --data DIR:
  --enrol N               photos enrolled per person, the first ones (default: half, rounded up)
  --open-set-people N     people enrolled for the open set, the first ones (default: half)
  --far F                 FAR of TAR@FAR (default 0.1)
  --seed N                seed of the different-person pairs (default 1)
  --raw                   add a column with raw pixels (the model's preprocessing) for comparison
 with --pairs PAIRS:
  --root DIR              folder of the photos, DIR/name/name_0001.jpg (required)
  --ext EXT               photo file extension (default .jpg)
  --gallery G             take D from this gallery file (same model) instead of the pair list's people
  --json                  print one JSON object`,
  options: {
    model: { type: 'string' }, data: { type: 'string' }, pairs: { type: 'string' }, root: { type: 'string' }, ext: { type: 'string' },
    gallery: { type: 'string' }, plot: { type: 'string' }, enrol: { type: 'string' }, 'open-set-people': { type: 'string' },
    far: { type: 'string' }, seed: { type: 'string' }, raw: { type: 'boolean' },
  },
  run,
};
