// `facemetric demo`: the main job on built-in data, no arguments, no network. Makes the built-in
// identity set, trains an embedding on some people, and on people it has never seen: identifies
// enrolled and unknown faces, verifies pairs with the lecture's D rule and a calibrated threshold,
// compares with raw pixels, writes the plots, and prints a short report.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeSyntheticSet, subsetPeople, standardize, type FaceDataset } from '../data/index.js';
import { EmbeddingNet } from '../nn/index.js';
import { train, type EpochReport } from '../metric/train.js';
import { Adam } from '../optim/adam.js';
import { CosineLR } from '../optim/schedule.js';
import { Gallery } from '../metric/gallery.js';
import { verify } from '../metric/verify.js';
import { calibrateThreshold, rocCurve } from '../metric/roc.js';
import { embedDataset, type EmbeddingSet } from '../metric/model.js';
import { enrolmentSplit, evaluateProtocol, itemNames, pixelEmbeddings, protocolTable, type ProtocolReport } from '../metric/protocol.js';
import { historyFromReports, rocPlot, trainingCurvesPlot, writePlot } from '../plot/index.js';
import { numberOption, type Command } from './args.js';

const NAME = 'demo';

function row(e: EmbeddingSet, i: number): Float32Array {
  return e.data.subarray(i * e.dim, (i + 1) * e.dim);
}

function pairDistance(e: EmbeddingSet, i: number, j: number): number {
  let s = 0;
  for (let t = 0; t < e.dim; t++) { const d = e.data[i * e.dim + t] - e.data[j * e.dim + t]; s += d * d; }
  return Math.sqrt(s);
}

export const demoCommand: Command = {
  name: NAME,
  summary: 'the whole job on built-in synthetic faces: train, enrol, identify (with unknowns), verify, plots',
  usage: `facemetric demo [--out DIR] [--epochs 200] [--seed 1] [--json]

Draws the built-in identity set (80 synthetic people × 10 photos, 32×32 grey), trains an
EmbeddingNet with the batch-hard triplet loss on 50 of them, calibrates thresholds on 10 others,
then on the last 20 people, never seen in training or calibration:
enrols 10 (5 photos each), identifies their other photos and the photos of the 10 people not
enrolled (who must come out "unknown"), verifies pairs with the lecture's D rule and with a
calibrated threshold, and compares everything with raw pixels. Writes training-curves.png/.svg
and roc.png/.svg to DIR (default ./facemetric-demo). No network and no photos needed.`,
  options: {
    out: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
  },
  async run(values, _positionals, io) {
    const epochs = numberOption(NAME, 'epochs', values.epochs, { min: 1, max: 10000, integer: true }) ?? 200;
    const seed = numberOption(NAME, 'seed', values.seed, { min: 0, max: 0xffffffff, integer: true }) ?? 1;
    const out = resolve(typeof values.out === 'string' ? values.out : 'facemetric-demo');
    const json = values.json === true;
    const say = (s: string) => { if (!json) io.out(s); };
    const t0 = performance.now();

    // 1. The built-in identity set: 40 people to train on, 20 never seen.
    const all = makeSyntheticSet({ people: 80, photos: 10, size: 32, seed });
    const trainSet = subsetPeople(all, (_n, l) => l < 50);
    const calibration = subsetPeople(all, (_n, l) => l >= 50 && l < 60);
    const unseen = subsetPeople(all, (_n, l) => l >= 60);
    say(`built-in identity set: ${all.people.length} synthetic people × 10 photos (32×32 grey), seed ${seed}`);
    say(`training on ${trainSet.people.length} people, calibrating thresholds on ${calibration.people.length} others, ` +
      `evaluating on the last ${unseen.people.length}; the network sees only the first ${trainSet.people.length}`);

    // 2. Train the embedding.
    const net = new EmbeddingNet({ inputShape: [32, 32, 1], blocks: [16, 32, 64], embeddingDim: 64, batchNorm: true, seed });
    const adam = new Adam(net.parameters(), { lr: 2e-3 });
    const tt = performance.now();
    const every = Math.max(1, Math.round(epochs / 10));
    const result = await train({
      model: net, data: trainSet, epochs, seed, batch: { p: 8, k: 4 }, optimizer: adam,
      schedule: new CosineLR(adam, { tMax: epochs, minLr: 1e-4 }),
      loss: { margin: 0.2, miner: 'hard' }, augment: { shift: 1, brightness: 0.05, contrast: 0.1 },
      onEpoch: (r: EpochReport) => {
        if (r.epoch % every === 0 || r.epoch === 1) {
          io.err(`epoch ${String(r.epoch).padStart(4)}/${epochs}  loss ${r.loss.toFixed(4)}  active ${(r.health?.activeFraction ?? NaN).toFixed(2)}  ` +
            `d(A,P) ${(r.health?.meanPositive ?? NaN).toFixed(3)}  d(A,N) ${(r.health?.meanNegative ?? NaN).toFixed(3)}  ${r.imagesPerSecond.toFixed(0)} img/s`);
        }
      },
    });
    const trainSeconds = (performance.now() - tt) / 1000;
    adam.dispose();

    // 3. On the unseen people: the protocol's figures for the net and for raw pixels.
    const split = enrolmentSplit(unseen, { enrol: 5, openSetPeople: 10, seed });
    const names = itemNames(unseen);
    const netE = embedDataset(net, unseen);
    const rawE = pixelEmbeddings(mapDataset(unseen));
    const netR = evaluateProtocol(netE, names, split);
    const rawR = evaluateProtocol(rawE, names, split);

    // 4. A gallery of 10 enrolled people; identify their other photos and the 10 unknown people.
    const open = split.openSet!;
    const pairs = split.pairs;
    const pairD = Array.from(pairs.a, (a, k) => pairDistance(netE, a, pairs.b[k]));
    // Thresholds come from the calibration people (neither trained on nor evaluated): the
    // verification threshold from their pairs (best accuracy), the open-set threshold at a 10 %
    // FAR of probes of calibration people left out of a calibration gallery.
    const calE = embedDataset(net, calibration);
    const calSplit = enrolmentSplit(calibration, { enrol: 5, openSetPeople: 5, seed });
    const calR = evaluateProtocol(calE, itemNames(calibration), calSplit, { openSetFar: 0.1 });
    const calPairD = Array.from(calSplit.pairs.a, (a, k) => pairDistance(calE, a, calSplit.pairs.b[k]));
    const cal = calibrateThreshold(calPairD, calSplit.pairs.same);
    const openThreshold = calR.openSet!.threshold;
    const gallery = new Gallery({ dim: netE.dim });
    for (const i of open.gallery) gallery.add(row(netE, i), [names[i]]);
    const D = gallery.D();
    let knownOk = 0, known = 0, unknownOk = 0, unknown = 0;
    const examples: Array<{ photo: string; truth: string; enrolled: boolean; answer: string; distance: number }> = [];
    for (const i of open.probes) {
      const r = gallery.identify(row(netE, i), { k: 1, threshold: openThreshold });
      const enrolled = gallery.has(names[i]);
      if (enrolled) { known++; if (r.label === names[i]) knownOk++; } else { unknown++; if (!r.known) unknownOk++; }
      const shown = examples.filter((e) => e.enrolled === enrolled).length;
      if (shown < 3 && (shown === 0 || names[i] !== examples[examples.length - 1].truth)) {
        examples.push({ photo: `${names[i]}#${i}`, truth: names[i], enrolled, answer: r.label, distance: r.distance });
      }
    }
    // Two verifications: a same-person pair and a different-person pair.
    const sameK = pairs.same.indexOf(true), diffK = pairs.same.indexOf(false);
    const verifications = [sameK, diffK].map((k) => {
      const a = row(netE, pairs.a[k]), b = row(netE, pairs.b[k]);
      const byD = verify(a, b, { rule: 'diameter', gallery });
      const byT = verify(a, b, { threshold: cal.threshold });
      return { a: `${names[pairs.a[k]]}#${pairs.a[k]}`, b: `${names[pairs.b[k]]}#${pairs.b[k]}`, truth: pairs.same[k] ? 'same' : 'different',
        distance: byT.distance, dRule: byD.same ? 'same' : 'different', threshold: byT.same ? 'same' : 'different' };
    });
    gallery.dispose();

    // 5. Plots.
    mkdirSync(out, { recursive: true });
    const files = [
      ...writePlot(join(out, 'training-curves'), trainingCurvesPlot(historyFromReports(result.history), { title: 'demo: triplet training on synthetic faces' })),
      ...writePlot(join(out, 'roc'), rocPlot(rocCurve(pairD, pairs.same), {
        auc: netR.verification.auc, eer: netR.verification.eer, title: 'demo: verification of unseen people',
        marked: markedPoint(pairD, pairs.same, cal.threshold),
      })),
    ];
    net.dispose();
    const seconds = (performance.now() - t0) / 1000;

    if (json) {
      io.out(JSON.stringify({
        seed, epochs, trainSeconds, seconds, people: { train: 50, calibration: 10, unseen: 20, enrolled: 10, unknown: 10 },
        net: netR, rawPixels: rawR, threshold: cal.threshold, openSetThreshold: openThreshold, D: { D: D.D, person: D.person },
        openSet: { known, knownCorrect: knownOk, unknown, unknownRejected: unknownOk }, examples, verifications, plots: files,
      }));
      return 0;
    }
    const last = result.history[result.history.length - 1];
    say(`trained ${epochs} epochs in ${trainSeconds.toFixed(1)} s (final loss ${last.loss.toFixed(4)})`);
    say('');
    say('on the 20 unseen people (5 photos enrolled each, 5 probes each; 10 of them enrolled for the open set):');
    say(protocolTable([{ name: 'trained net', report: netR }, { name: 'raw pixels', report: rawR }]));
    say('');
    say(`identification with unknowns (threshold ${openThreshold.toFixed(3)}, calibrated on the calibration people at 10 % FAR): ` +
      `${knownOk}/${known} photos of the 10 enrolled people named correctly, ${unknownOk}/${unknown} photos of the 10 people not enrolled called "unknown"`);
    for (const e of examples) say(`  ${e.photo.padEnd(10)} → ${e.answer.padEnd(8)} (truth: ${e.enrolled ? e.truth : `${e.truth}, not enrolled`}; distance to the nearest enrolled photo ${e.distance.toFixed(3)})`);
    say(`the lecture's D = ${D.D.toFixed(3)} (the widest enrolled cloud, ${D.person}); verification:`);
    for (const v of verifications) say(`  ${v.a} vs ${v.b}: distance ${v.distance.toFixed(3)}, truth ${v.truth}; D rule says ${v.dRule}, threshold ${cal.threshold.toFixed(3)} says ${v.threshold}`);
    say(`  over all ${pairs.same.length} pairs of unseen people: D rule accuracy ${netR.verification.dRule.accuracy.toFixed(3)}, ` +
      `calibrated threshold accuracy ${thresholdAccuracy(pairD, pairs.same, cal.threshold).toFixed(3)}`);
    say('');
    say(`plots: ${files.join(', ')}`);
    say(`done in ${seconds.toFixed(1)} s`);
    return 0;
  },
};

function thresholdAccuracy(d: number[], same: boolean[], t: number): number {
  let ok = 0;
  d.forEach((x, k) => { if ((x < t) === same[k]) ok++; });
  return ok / d.length;
}

/** The operating point of a threshold on the ROC: its FAR and TAR on these pairs. */
function markedPoint(d: number[], same: boolean[], t: number): { fpr: number; tpr: number; label: string } {
  let tp = 0, fp = 0, P = 0, N = 0;
  d.forEach((x, k) => { if (same[k]) { P++; if (x < t) tp++; } else { N++; if (x < t) fp++; } });
  return { fpr: fp / N, tpr: tp / P, label: `threshold ${t.toFixed(3)}` };
}

/** The data set with each photo standardised, so raw pixels are compared fairly. */
function mapDataset(ds: FaceDataset): FaceDataset {
  return {
    get size() { return ds.size; },
    get people() { return ds.people; },
    label: (i) => ds.label(i),
    get: (i) => standardize(ds.get(i)),
    photosOf: (l) => ds.photosOf(l),
  };
}

export type { ProtocolReport };
