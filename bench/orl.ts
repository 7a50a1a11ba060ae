// The ORL accuracy protocol, full run: train the triplet net and the autoencoder on ORL's people
// s1–s30, then evaluate them and raw pixels on the unseen s31–s40 (src/metric/protocol.ts:
// orlSplit, evaluateProtocol) and print the figures side by side with the training times.
//
//   npm run build && node dist/bench/orl.js [--epochs N] [--ae-epochs N] [--seed S] [--json] [--data DIR]
//
// Input: 64×64 grey, standardised per photo (the reference network's input). Raw pixels are that
// same 4,096-value image, L2-normalised: after per-photo standardisation every photo already has
// the same norm (√4096), so normalising only rescales the distances and changes no figure — it
// puts them on the unit sphere like the triplet net. The autoencoder's bottleneck is L2-normalised
// too (its better variant on this protocol, so it is not handicapped). Extra flags for tuning:
// --lr, --margin, --miner all|hard|semihard, --p, --k, --bn, --no-aug, --cosine.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ImageFolder, subsetPeople, flipHorizontal, type FaceDataset, type AugmentOptions, type Preprocess } from '../src/data/index.js';
import { EmbeddingNet, Autoencoder } from '../src/nn/index.js';
import { Adam, AdamW } from '../src/optim/adam.js';
import { CosineLR } from '../src/optim/schedule.js';
import { train, type EpochReport } from '../src/metric/train.js';
import { embedDataset, type EmbeddingSet } from '../src/metric/model.js';
import type { Miner } from '../src/ops/triplet.js';
import {
  orlSplit, enrolmentSplit, evaluateProtocol, pixelEmbeddings, itemNames, protocolTable, type ProtocolReport,
} from '../src/metric/protocol.js';

export const PREPROCESS: Preprocess = { size: [64, 64], grey: true, standardize: true };
export const AUGMENT: AugmentOptions = { flip: true, shift: 3, scale: 0.08, brightness: 0.1, contrast: 0.1 };

function flag(name: string): boolean { return process.argv.includes(name); }
function value(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`orl: expected a number after ${name}, got ${process.argv[i + 1]}`);
  return v;
}
function text(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
}

/** Rows of unit length (a zero row stays zero). */
function l2rows(e: EmbeddingSet): EmbeddingSet {
  const out = new Float32Array(e.data.length);
  for (let i = 0; i < e.count; i++) {
    let s = 0;
    for (let t = 0; t < e.dim; t++) s += e.data[i * e.dim + t] ** 2;
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let t = 0; t < e.dim; t++) out[i * e.dim + t] = e.data[i * e.dim + t] * k;
  }
  return { ...e, data: out };
}

const json = flag('--json');
const log = (s: string) => { if (json) process.stderr.write(s + '\n'); else console.log(s); };

const root = text('--data', fileURLToPath(new URL('../../../shared/data/faces/orl', import.meta.url)));
if (!existsSync(root)) {
  const msg = `orl: skipped — no ORL photos at ${root} (the benchmark needs ../shared/data/faces/orl next to the project, or --data DIR)`;
  if (json) console.log(JSON.stringify({ skipped: msg }));
  else console.log(msg);
  process.exit(0);
}

const seed = value('--seed', 1);
const epochs = value('--epochs', 60);
const aeEpochs = value('--ae-epochs', 30);
const cfg = {
  lr: value('--lr', 1e-3), margin: value('--margin', 0.2), miner: text('--miner', 'hard') as Miner,
  p: value('--p', 15), k: value('--k', 4), batchNorm: flag('--bn'), dropout: value('--dropout', 0), weightDecay: value('--wd', 0), dim: value('--dim', 128),
  augment: flag('--no-aug') ? undefined : flag('--strong-aug') ? { flip: true, shift: 6, scale: 0.15, brightness: 0.2, contrast: 0.2 } : AUGMENT,
  cosine: flag('--cosine'), warmup: value('--warmup', 0), warmupMiner: text('--warmup-miner', 'all') as Miner,
};

const t0 = performance.now();
const ds = new ImageFolder(root, { preprocess: PREPROCESS, preload: true });
// --validate: tuning without looking at s31–s40 — train on s1–s20, evaluate on s21–s30 (the
// general split: photos 1–5 enrolled, s21–s25 enrolled for the open set).
const validate = flag('--validate');
const { train: trainSet, test, split } = validate
  ? (() => {
    const o = orlSplit(ds, { seed });
    const people = o.train.people;
    const tr = subsetPeople(o.train, people.slice(0, 20)), va = subsetPeople(o.train, people.slice(20));
    return { train: tr, test: va, split: enrolmentSplit(va, { seed }) };
  })()
  : orlSplit(ds, { seed });
const names = itemNames(test);
log(`ORL: ${ds.people.length} people, ${ds.size} photos (${((performance.now() - t0) / 1000).toFixed(1)} s to load); `
  + `train ${trainSet.people[0]}–${trainSet.people.at(-1)} (${trainSet.size}), test ${test.people[0]}–${test.people.at(-1)} (${test.size})${validate ? ' — validation run' : ''}`);
log(`split: gallery ${split.gallery.length}, probes ${split.probes.length}, pairs ${split.pairs.same.filter(Boolean).length} same + ${split.pairs.same.filter((s) => !s).length} different (seed ${seed}), open set ${split.openSet?.gallery.length} enrolled / ${split.openSet?.probes.length} probes`);

const progress = (what: string, total: number) => (r: EpochReport) => {
  const h = r.health ? `  d(A,P) ${r.health.meanPositive.toFixed(3)} d(A,N) ${r.health.meanNegative.toFixed(3)} active ${(100 * r.health.activeFraction).toFixed(0)}%` : '';
  log(`${what} epoch ${String(r.epoch).padStart(3)}/${total}  loss ${r.loss.toFixed(4)}  ${r.seconds.toFixed(2)} s  ${r.imagesPerSecond.toFixed(0)} img/s  lr ${r.lr.toExponential(1)}${h}${r.warnings.length ? '  ' + r.warnings.join('; ') : ''}`);
};

// The triplet net. With --warmup N the first N epochs mine with --warmup-miner (default 'all'),
// the rest with --miner (a second call of train with the same optimizer and another seed).
const net = new EmbeddingNet({ seed, batchNorm: cfg.batchNorm, dropout: cfg.dropout, embeddingDim: cfg.dim });
const opt = cfg.weightDecay > 0 ? new AdamW(net.parameters(), { lr: cfg.lr, weightDecay: cfg.weightDecay }) : new Adam(net.parameters(), { lr: cfg.lr });
const schedule = cfg.cosine ? new CosineLR(opt, { tMax: epochs, minLr: cfg.lr / 20 }) : undefined;
const phases: Array<{ epochs: number; miner: Miner }> = cfg.warmup > 0
  ? [{ epochs: Math.min(cfg.warmup, epochs), miner: cfg.warmupMiner }, { epochs: epochs - Math.min(cfg.warmup, epochs), miner: cfg.miner }]
  : [{ epochs, miner: cfg.miner }];
const tnet = { seconds: 0, epochs: 0 };
for (const [i, ph] of phases.entries()) {
  const done = tnet.epochs;
  const r = await train({
    model: net, data: trainSet, epochs: ph.epochs, seed: seed + 7919 * i, batch: { p: cfg.p, k: cfg.k }, optimizer: opt, schedule,
    loss: { margin: cfg.margin, miner: ph.miner, reduction: 'mean' }, augment: cfg.augment,
    onEpoch: (e) => progress(`triplet (${ph.miner})`, epochs)({ ...e, epoch: e.epoch + done }),
  });
  tnet.seconds += r.seconds;
  tnet.epochs += r.epochs;
}
opt.dispose();

// The autoencoder (reconstruction loss; same photos, augmentation and batches).
const ae = new Autoencoder({ seed });
const tae = await train({
  model: ae, data: trainSet, epochs: flag('--skip-ae') ? 0 : aeEpochs, seed, objective: 'reconstruction', batch: { p: cfg.p, k: cfg.k },
  augment: cfg.augment, onEpoch: progress('autoencoder', aeEpochs),
});

/** With --tta: the mean of the embeddings of each photo and its mirror image, L2-normalised. */
function netEmbeddings(): EmbeddingSet {
  const e = embedDataset(net, test);
  if (!flag('--tta')) return e;
  const mirrored: FaceDataset = { size: test.size, people: test.people, label: (i) => test.label(i), photosOf: (l) => test.photosOf(l), get: (i) => flipHorizontal(test.get(i)) };
  const m = embedDataset(net, mirrored);
  for (let i = 0; i < e.data.length; i++) e.data[i] += m.data[i];
  return l2rows(e);
}

const te = performance.now();
const reports: Array<{ name: string; report: ProtocolReport; trainSeconds: number; epochs: number }> = [
  { name: 'triplet net', report: evaluateProtocol(netEmbeddings(), names, split), trainSeconds: tnet.seconds, epochs: tnet.epochs },
  { name: 'autoencoder', report: evaluateProtocol(l2rows(embedDataset(ae, test)), names, split), trainSeconds: tae.seconds, epochs: tae.epochs },
  { name: 'raw pixels', report: evaluateProtocol(pixelEmbeddings(test), names, split), trainSeconds: 0, epochs: 0 },
];
const evalSeconds = (performance.now() - te) / 1000;
net.dispose();
ae.dispose();

const [tn, au, px] = reports.map((r) => r.report);
const figures = (r: ProtocolReport) => [r.identification.rank1, r.identification.rank5, r.verification.accuracy, r.verification.auc,
  1 - r.verification.eer, r.verification.tar, r.verification.dRule.accuracy, r.openSet?.dir ?? NaN];
const beats = (a: ProtocolReport, b: ProtocolReport) => figures(a).every((x, i) => x > figures(b)[i] || (x === 1 && figures(b)[i] === 1));
const verdict = {
  targets: { rank1: tn.identification.rank1 >= 0.95, verification: tn.verification.accuracy >= 0.9 },
  beatsAutoencoder: beats(tn, au),
  beatsPixels: beats(tn, px),
};
const totalSeconds = (performance.now() - t0) / 1000;

if (json) {
  console.log(JSON.stringify({
    seed, config: { ...cfg, epochs, aeEpochs, preprocess: PREPROCESS }, split: { gallery: split.gallery.length, probes: split.probes.length, pairs: split.pairs.a.length },
    results: reports, verdict, evalSeconds, totalSeconds,
  }, null, 2));
} else {
  console.log(`\nORL protocol, seed ${seed}: trained on s1–s30, tested on s31–s40 (unseen)\n`);
  console.log(protocolTable(reports));
  console.log(`\ntraining: triplet net ${tnet.epochs} epochs in ${tnet.seconds.toFixed(1)} s (margin ${cfg.margin}, ${cfg.miner}, P×K ${cfg.p}×${cfg.k}, Adam lr ${cfg.lr}${cfg.cosine ? ' cosine' : ''}${cfg.batchNorm ? ', batch norm' : ''}); autoencoder ${tae.epochs} epochs in ${tae.seconds.toFixed(1)} s`);
  console.log(`evaluation ${evalSeconds.toFixed(1)} s; total ${totalSeconds.toFixed(1)} s`);
  console.log(`targets: rank-1 ≥ 0.95 ${verdict.targets.rank1 ? 'met' : 'MISSED'}, 10-fold verification ≥ 0.90 ${verdict.targets.verification ? 'met' : 'MISSED'}; `
    + `triplet net beats the autoencoder on every figure: ${verdict.beatsAutoencoder ? 'yes' : 'NO'}, raw pixels: ${verdict.beatsPixels ? 'yes' : 'NO'}`);
}
