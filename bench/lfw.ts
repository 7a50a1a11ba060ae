// LFW on people not trained on: train the triplet net on part of the LFW View 1 training people
// (deep-funneled, ../shared/data/faces/lfw-devtrain) under a wall-clock budget, then measure
// verification on View-2-style pairs of the held-out people (never seen in training).
//
//   npm run build && node dist/bench/lfw.js [--minutes 30] [--size 64] [--crop 0.5] [--colour]
//     [--batch-norm] [--flip-test] [--blocks 32,64,128] [--dim 128] [--dropout 0] [--margin 0.2] [--miner hard|semihard|all]
//     [--hard-after F] [--lr 1e-3] [--min-lr-ratio 0.05] [--no-cosine] [--p 32 --k 4] [--aug flip,shift=4 | --no-aug]
//     [--held-out 0.15] [--pairs-per-fold 100] [--seed 1] [--eval-every 2] [--data DIR] [--save MODEL]
//     [--singles N] [--cosface W [--cos-scale 30] [--cos-margin 0.25]] [--net-seed N] [--wd 0 (AdamW's decoupled weight decay)]
//
// Protocol
// - People with ≥ 2 photos (1,184) are split by a seeded shuffle: --held-out of them (default 15 %)
//   are never trained on. People with one photo (2,854) are not used unless --singles N adds N of
//   their photos to every batch (negatives for the triplet loss, classes for the classifier).
// - --cosface W adds W × a CosFace term (margin softmax over all training people, train's
//   `classifier` option) to the triplet loss.
// - The held-out pairs: 10 folds of N same + N different pairs (N = --pairs-per-fold), seeded.
//   Same pairs: a held-out person drawn uniformly, then two of their photos (no pair twice);
//   different pairs: two held-out people drawn uniformly, one photo of each. The list is written
//   in LFW's View 2 format (`10<TAB>N`, `name<TAB>i<TAB>j`, `name1<TAB>i<TAB>name2<TAB>j`) to a
//   temp file and read back with the library's parser, so `facemetric eval --pairs FILE --root
//   DIR/images` reads the same pairs.
// - Training: `train()` with PK batches, an Adam optimiser and a cosine learning rate over the
//   TIME budget (the rate is set before every batch from the training seconds spent, so the
//   schedule ends when the budget does, whatever the speed of the machine). Training stops after
//   the batch that reaches --minutes. Decoding the photos (≈ 6 ms each) is done before and not
//   counted; evaluation between epochs is not counted either.
// - Figures: 10-fold accuracy with the list's own folds (threshold chosen on the other 9),
//   its standard error, AUC and EER (src/metric/roc.ts). The headline is the FINAL weights; the
//   best epoch seen by the held-out evaluation is printed too but is optimistic (chosen on the
//   test pairs). Raw pixels (the same preprocessed image, L2-normalised) on the same pairs.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageFolder, Subset, flipHorizontal, parsePairs, pairPhotos, type AugmentOptions, type Preprocess, type PairList } from '../src/data/index.js';
import { EmbeddingNet, CosineClassifier } from '../src/nn/index.js';
import { Adam, AdamW } from '../src/optim/adam.js';
import { train, type EpochReport } from '../src/metric/train.js';
import { embedDataset, type EmbeddingSet } from '../src/metric/model.js';
import { pixelEmbeddings } from '../src/metric/protocol.js';
import { kFoldAccuracy, auc, eer } from '../src/metric/roc.js';
import { Rng } from '../src/random.js';
import { saveModel } from '../src/io/model-file.js';
import type { Miner } from '../src/ops/triplet.js';

const NAME = 'lfw';
const argv = process.argv.slice(2);
function flag(name: string): boolean { return argv.includes(name); }
function text(name: string, fallback: string): string {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  if (i + 1 >= argv.length) throw new Error(`${NAME}: expected a value after ${name}, got nothing`);
  return argv[i + 1];
}
function value(name: string, fallback: number): number {
  const s = text(name, String(fallback));
  const v = Number(s);
  if (!Number.isFinite(v)) throw new Error(`${NAME}: expected a number after ${name}, got ${JSON.stringify(s)}`);
  return v;
}

function parseAug(s: string): AugmentOptions | undefined {
  if (s === 'none') return undefined;
  const o: AugmentOptions = {};
  for (const part of s.split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    if (k === 'flip') o.flip = true;
    else if (k === 'shift') o.shift = Number(v ?? 3);
    else if (k === 'scale') o.scale = Number(v ?? 0.08);
    else if (k === 'brightness') o.brightness = Number(v ?? 0.1);
    else if (k === 'contrast') o.contrast = Number(v ?? 0.1);
    else throw new Error(`${NAME}: expected --aug items flip, shift=N, scale=X, brightness=X, contrast=X, got ${JSON.stringify(part)}`);
  }
  return o;
}

const cfg = {
  minutes: value('--minutes', 30),
  size: value('--size', 64),
  crop: value('--crop', 0.5),
  colour: flag('--colour'),
  batchNorm: flag('--batch-norm'),
  blocks: text('--blocks', '32,64,128').split(',').map(Number),
  dim: value('--dim', 128),
  dropout: value('--dropout', 0),
  flipTest: flag('--flip-test'),
  margin: value('--margin', 0.2),
  miner: text('--miner', 'hard') as Miner,
  lr: value('--lr', 1e-3),
  minLrRatio: value('--min-lr-ratio', 0.05),
  cosine: !flag('--no-cosine'),
  p: value('--p', 32),
  k: value('--k', 4),
  augment: flag('--no-aug') ? undefined : parseAug(text('--aug', 'flip,shift=4')),
  heldOut: value('--held-out', 0.15),
  perFold: value('--pairs-per-fold', 100),
  seed: value('--seed', 1),
  evalEvery: value('--eval-every', 2),
  save: text('--save', ''),
  hardAfter: value('--hard-after', 0),
  singles: value('--singles', 0),
  wd: value('--wd', 0),
  // The network's initialisation and the batches (default --seed); --seed alone sets the split and
  // the pairs, so runs with other --net-seed values train ensemble members on the same people.
  netSeed: argv.includes('--net-seed') ? value('--net-seed', 0) : NaN,
  cosface: value('--cosface', 0),
  cosScale: value('--cos-scale', 30),
  cosMargin: value('--cos-margin', 0.25),
};
const root = text('--data', fileURLToPath(new URL('../../../shared/data/faces/lfw-devtrain', import.meta.url)));
const images = existsSync(join(root, 'images')) ? join(root, 'images') : root;
if (!existsSync(images)) {
  console.log(`${NAME}: skipped — no LFW photos at ${root} (the benchmark needs ../shared/data/faces/lfw-devtrain next to the project, or --data DIR)`);
  process.exit(0);
}
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`${NAME}: ${new Date().toISOString()}  load ${load()}  argv ${argv.join(' ') || '(defaults)'}`);

// ---- Data: people with ≥ 2 photos, decoded and preprocessed once (cached by the folder) ----
const pre: Preprocess = { size: [cfg.size, cfg.size], grey: !cfg.colour, crop: cfg.crop < 1 ? cfg.crop : undefined, standardize: true };
const t0 = performance.now();
const ds = new ImageFolder(images, { minPhotos: cfg.singles > 0 ? 1 : 2, preprocess: pre });
// The split is drawn over the people with ≥ 2 photos only, so it is the same with or without --singles.
const multi = Array.from({ length: ds.people.length }, (_, l) => l).filter((l) => ds.photosOf(l).length >= 2);
const order = new Rng(cfg.seed).shuffle(Array.from({ length: multi.length }, (_, i) => i)).map((i) => multi[i]);
const nHeld = Math.round(cfg.heldOut * multi.length);
const heldLabels = order.slice(0, nHeld).sort((a, b) => a - b);
const singleLabels = cfg.singles > 0 ? Array.from({ length: ds.people.length }, (_, l) => l).filter((l) => ds.photosOf(l).length === 1) : [];
const trainLabels = [...order.slice(nHeld), ...singleLabels].sort((a, b) => a - b);
const subset = (labels: number[]) => new Subset(ds, labels.flatMap((l) => [...ds.photosOf(l)]), labels);
const trainSet = subset(trainLabels);
for (let i = 0; i < ds.size; i++) ds.get(i); // decode everything now, outside the training time
const decodeSeconds = (performance.now() - t0) / 1000;
console.log(`data: ${multi.length} people with ≥ 2 photos${singleLabels.length ? ` + ${singleLabels.length} with one` : ''}, ${ds.size} photos, decoded in ${decodeSeconds.toFixed(1)} s `
  + `(crop ${cfg.crop} → ${cfg.size}×${cfg.size} ${cfg.colour ? 'RGB' : 'grey'}); train ${trainLabels.length} people / ${trainSet.size} photos, `
  + `held out ${heldLabels.length} people / ${heldLabels.reduce((s, l) => s + ds.photosOf(l).length, 0)} photos`);

// ---- The held-out pair list (View 2 format), written out and read back ----
function photoNumber(file: string): number {
  const m = /_(\d+)\.[^.]+$/.exec(basename(file));
  if (!m) throw new Error(`${NAME}: expected photo files named Name_NNNN.jpg, got ${file}`);
  return Number(m[1]);
}
function makePairList(seed: number, folds: number, perFold: number): string {
  const rng = new Rng(seed ^ 0x51ed);
  const people = heldLabels;
  const used = new Set<string>();
  const num = (i: number) => photoNumber(ds.items[i].file);
  const lines = [`${folds}\t${perFold}`];
  for (let f = 0; f < folds; f++) {
    for (let n = 0; n < perFold;) {
      const l = people[rng.int(people.length)];
      const ph = ds.photosOf(l);
      const a = rng.int(ph.length), b = rng.int(ph.length);
      if (a === b) continue;
      const [x, y] = a < b ? [num(ph[a]), num(ph[b])] : [num(ph[b]), num(ph[a])];
      const key = `${l}:${x}:${y}`;
      if (used.has(key)) continue;
      used.add(key); n++;
      lines.push(`${ds.people[l]}\t${x}\t${y}`);
    }
    for (let n = 0; n < perFold;) {
      const la = people[rng.int(people.length)], lb = people[rng.int(people.length)];
      if (la === lb) continue;
      const pa = ds.photosOf(la), pb = ds.photosOf(lb);
      const x = num(pa[rng.int(pa.length)]), y = num(pb[rng.int(pb.length)]);
      const key = la < lb ? `${la}:${x}|${lb}:${y}` : `${lb}:${y}|${la}:${x}`;
      if (used.has(key)) continue;
      used.add(key); n++;
      lines.push(`${ds.people[la]}\t${x}\t${ds.people[lb]}\t${y}`);
    }
  }
  return lines.join('\n') + '\n';
}
const pairsFile = join(mkdtempSync(join(tmpdir(), 'lfw-pairs-')), `pairs-heldout-seed${cfg.seed}.txt`);
const pairsText = makePairList(cfg.seed, 10, cfg.perFold);
writeFileSync(pairsFile, pairsText);
const list: PairList = parsePairs(pairsText, pairsFile);
const pp = pairPhotos(list);
const itemOf = new Map<string, number>();
for (let i = 0; i < ds.size; i++) itemOf.set(`${ds.people[ds.label(i)]}\u0000${photoNumber(ds.items[i].file)}`, i);
const evalSet = new Subset(ds, pp.photos.map((p) => {
  const i = itemOf.get(`${p.name}\u0000${p.index}`);
  if (i === undefined) throw new Error(`${NAME}: pair photo ${p.name} ${p.index} not in the folder`);
  return i;
}));
// Subset relabels, but row r of embedDataset(evalSet) is still photo pp.photos[r].
const same = list.pairs.map((p) => p.same);
const foldIds = Int32Array.from(list.pairs, (p) => p.fold);
console.log(`pairs: ${pairsFile} — ${list.folds} folds of ${list.perFold} same + ${list.perFold} different pairs over ${pp.photos.length} photos `
  + `of ${heldLabels.length} held-out people (facemetric eval --pairs ${pairsFile} --root ${images})`);

interface Figures { acc: number; se: number; auc: number; eer: number }
function l2(a: Float32Array, i: number, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) { const v = a[i * d + t] - a[j * d + t]; s += v * v; }
  return Math.sqrt(s);
}
function verify(e: EmbeddingSet): Figures {
  const dist = Array.from({ length: list.pairs.length }, (_, k) => l2(e.data, pp.a[k], pp.b[k], e.dim));
  const kf = kFoldAccuracy(dist, same, { foldIds });
  return { acc: kf.mean, se: kf.stderr, auc: auc(dist, same), eer: eer(dist, same).eer };
}
const fmt = (f: Figures) => `acc ${f.acc.toFixed(4)} ± ${f.se.toFixed(4)}  AUC ${f.auc.toFixed(4)}  EER ${f.eer.toFixed(4)}`;
const pixels = verify(pixelEmbeddings(evalSet));
console.log(`raw pixels (${cfg.size}×${cfg.size}${cfg.colour ? '×3' : ''}, L2-normalised): ${fmt(pixels)}`);

// ---- Training under the time budget ----
const netSeed = Number.isNaN(cfg.netSeed) ? cfg.seed : cfg.netSeed;
const net = new EmbeddingNet({
  seed: netSeed, inputShape: [cfg.size, cfg.size, cfg.colour ? 3 : 1], blocks: cfg.blocks, embeddingDim: cfg.dim, batchNorm: cfg.batchNorm, dropout: cfg.dropout, flipTest: cfg.flipTest,
});
const head = cfg.cosface > 0 ? new CosineClassifier({ inFeatures: cfg.dim, classes: trainLabels.length, seed: netSeed + 1 }) : null;
const params = [...net.parameters(), ...(head ? head.parameters() : [])];
const opt = cfg.wd > 0 ? new AdamW(params, { lr: cfg.lr, weightDecay: cfg.wd }) : new Adam(params, { lr: cfg.lr });
const budget = cfg.minutes * 60;
const minLr = cfg.lr * cfg.minLrRatio;
const lrAt = (s: number) => (cfg.cosine ? minLr + (cfg.lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, s / budget))) : cfg.lr);
let doneSeconds = 0; // training seconds of the finished epochs
let partialSeconds = 0; // of the epoch in progress
let bestAcc = -1, bestEpoch = 0, epochsDone = 0, trainedImages = 0, fullSeconds = 0, interrupted = false;
console.log(`recipe: ${JSON.stringify(cfg)}`);
// --hard-after F: mine with --miner for the first F of the budget, then with 'hard' (a second
// train() call with the same optimizer, another sampler seed, and the same time-based schedule).
const phases: Array<{ miner: Miner; until: number }> = cfg.hardAfter > 0 && cfg.hardAfter < 1
  ? [{ miner: cfg.miner, until: cfg.hardAfter * budget }, { miner: 'hard', until: budget }]
  : [{ miner: cfg.miner, until: budget }];
const t1 = performance.now();
for (const [pi, ph] of phases.entries()) {
  const stop = new AbortController();
  const offset = epochsDone;
  const result = await train({
    model: net, data: trainSet, epochs: 100000, seed: netSeed + 7919 * pi, batch: { p: cfg.p, k: cfg.k, singles: cfg.singles }, optimizer: opt,
    classifier: head ? { head, weight: cfg.cosface, scale: cfg.cosScale, margin: cfg.cosMargin } : undefined,
    loss: { margin: cfg.margin, miner: ph.miner, reduction: 'mean' }, augment: cfg.augment,
    onBatch: (b) => {
      partialSeconds = b.seconds;
      const s = doneSeconds + b.seconds;
      if (s >= ph.until) stop.abort();
      else opt.lr = lrAt(s);
    },
    signal: stop.signal,
    onEpoch: (r: EpochReport) => {
      doneSeconds += r.seconds;
      partialSeconds = 0;
      trainedImages += r.imagesPerSecond * r.seconds;
      fullSeconds += r.seconds;
      const epoch = r.epoch + offset;
      const h = r.health;
      let v = '';
      if (cfg.evalEvery > 0 && epoch % cfg.evalEvery === 0) {
        const f = verify(embedDataset(net, evalSet));
        if (f.acc > bestAcc) { bestAcc = f.acc; bestEpoch = epoch; }
        v = `  held-out ${fmt(f)}`;
      }
      console.log(`epoch ${String(epoch).padStart(3)} ${ph.miner}  loss ${r.loss.toFixed(4)}  active ${h ? (100 * h.activeFraction).toFixed(0) : '-'}%  `
        + `d(A,P) ${h?.meanPositive.toFixed(3)} d(A,N) ${h?.meanNegative.toFixed(3)}  lr ${r.lr.toExponential(2)}  ${r.seconds.toFixed(1)} s  `
        + `${r.imagesPerSecond.toFixed(0)} img/s  t ${(doneSeconds / 60).toFixed(1)} min${v}${r.warnings.length ? '  ' + r.warnings.join('; ') : ''}`);
    },
  });
  epochsDone += result.history.length;
  interrupted = result.interrupted;
  if (result.interrupted) { doneSeconds += partialSeconds; partialSeconds = 0; }
}
const wallSeconds = (performance.now() - t1) / 1000;
const final = verify(embedDataset(net, evalSet));
console.log(`\nLFW held-out verification (${heldLabels.length} people never trained on, ${list.folds}×(${list.perFold}+${list.perFold}) pairs, seed ${cfg.seed})`);
console.log(`  triplet net (final weights): ${fmt(final)}${cfg.flipTest ? ' (photo + mirror image: --flip-test)' : ''}`);
if (!cfg.flipTest) {
  // What --flip-test would have given with the same weights: each photo's embedding plus its mirror image's, re-normalised.
  const mirror = embedDataset(net, { size: evalSet.size, people: evalSet.people, label: (i) => evalSet.label(i), photosOf: (l) => evalSet.photosOf(l), get: (i) => flipHorizontal(evalSet.get(i)) });
  const both = embedDataset(net, evalSet);
  for (let i = 0; i < both.count; i++) {
    let n = 0;
    for (let t = 0; t < both.dim; t++) { both.data[i * both.dim + t] += mirror.data[i * both.dim + t]; n += both.data[i * both.dim + t] ** 2; }
    for (let t = 0; t < both.dim; t++) both.data[i * both.dim + t] /= Math.sqrt(n) || 1;
  }
  console.log(`  with the mirror image too:   ${fmt(verify(both))} (what --flip-test gives with these weights)`);
}
if (bestEpoch > 0) console.log(`  best evaluated epoch ${bestEpoch}: acc ${bestAcc.toFixed(4)} (optimistic: chosen on these pairs)`);
console.log(`  raw pixels:                  ${fmt(pixels)}`);
console.log(`training: ${(doneSeconds / 60).toFixed(1)} min of training batches (${(wallSeconds / 60).toFixed(1)} min wall with the held-out evaluations), `
  + `${epochsDone} full epochs${interrupted ? ' + a partial one' : ''}, ${(trainedImages / Math.max(fullSeconds, 1e-9)).toFixed(0)} img/s in full epochs; `
  + `decode ${decodeSeconds.toFixed(0)} s; load now ${load()}`);
console.log(`recipe: ${argv.join(' ') || '(defaults)'}`);
if (cfg.save) {
  saveModel(cfg.save, net, pre, { bench: 'lfw', recipe: cfg });
  console.log(`model: ${cfg.save} (check: facemetric eval --model ${cfg.save} --pairs ${pairsFile} --root ${images})`);
}
net.dispose();
opt.dispose();
