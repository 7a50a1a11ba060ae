// A MegaFace-style curve with real faces (issue 6): rank-1 identification of real probe people
// while real distractor photos are added to the gallery, 0 → all available, plotted.
//
//   npm run build && node dist/bench/megaface-curve.js --model MODEL.fmm [--data ../shared/data/faces]
//     [--out bench/megaface-curve] [--per-person 10] [--seed 1] [--max-lfw N]
//
// Protocol (MegaFace challenge 1, simplified): for each probe set (ORL, Yale B), the first photo of
// every probe person is enrolled; each of their other photos (at most --per-person − 1) is a probe.
// Distractors are the photos of people outside that probe set — LFW (View 1 training people) and
// the other set — added in a fixed shuffled order. A probe is right at m distractors when its own
// person's enrolled photo is nearer than every other enrolled photo and the first m distractors
// (each step is one search over the distractor rows [0, m) of a CompactGallery: the range scans).
// The photos are read from ../shared/data (never copied into the project); without them it exits.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/io/model-file.js';
import { ImageFolder, type FaceDataset } from '../src/data/index.js';
import { embedDataset } from '../src/metric/model.js';
import type { EmbeddingModel } from '../src/nn/embedding-net.js';
import { CompactGallery } from '../src/metric/compact.js';
import { lineChart, writePlot } from '../src/plot/index.js';
import { Rng } from '../src/random.js';

const args = process.argv.slice(2);
function opt(name: string, dflt?: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const modelPath = opt('model');
const root = fileURLToPath(new URL('../../', import.meta.url));
const data = opt('data', join(root, '..', 'shared', 'data', 'faces')) as string;
const out = opt('out', join(root, 'bench', 'megaface-curve')) as string;
const perPerson = Number(opt('per-person', '10'));
const seed = Number(opt('seed', '1'));
const maxLfw = Number(opt('max-lfw', 'Infinity'));
if (!modelPath) {
  console.error('megaface-curve: expected --model MODEL.fmm (a trained model file, e.g. from bench/lfw.ts --save)');
  process.exit(2);
}
for (const d of ['orl', 'yaleb', 'lfw-devtrain/images']) {
  if (!existsSync(join(data, d))) {
    console.log(`megaface-curve: skipped: ${join(data, d)} is absent (the photos live in ../shared/data, not in the project)`);
    process.exit(0);
  }
}

const { model, preprocess, hash } = loadModel(modelPath);
const net = model as unknown as EmbeddingModel;
console.log(`# MegaFace-style curve — model ${modelPath} (${hash.slice(0, 12)}…), preprocess ${JSON.stringify(preprocess)}`);

/** The first `perPerson` photos of every person of a folder. */
function firstPhotos(ds: ImageFolder, n: number): { items: number[]; labels: number[] } {
  const items: number[] = [], labels: number[] = [];
  ds.people.forEach((_, p) => { for (const i of ds.photosOf(p).slice(0, n)) { items.push(i); labels.push(p); } });
  return { items, labels };
}

function embedItems(ds: FaceDataset, items: number[], what: string): Float32Array {
  const t = performance.now();
  const view: FaceDataset = {
    size: items.length, people: ds.people, label: (i: number) => ds.label(items[i]), get: (i: number) => ds.get(items[i]),
    photosOf: () => [],
  } as unknown as FaceDataset;
  const e = embedDataset(net, view, 64);
  console.log(`embedded ${items.length} ${what} photos in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return e.data;
}

const sets = {
  orl: new ImageFolder(join(data, 'orl'), { preprocess, cache: false }),
  yaleb: new ImageFolder(join(data, 'yaleb'), { preprocess, cache: false }),
};
const lfw = new ImageFolder(join(data, 'lfw-devtrain', 'images'), { preprocess, cache: false, onError: 'skip' });
const dim = net.embeddingDim;
const emb: Record<string, { x: Float32Array; labels: number[] }> = {};
for (const [name, ds] of Object.entries(sets)) {
  const f = firstPhotos(ds, perPerson);
  emb[name] = { x: embedItems(ds, f.items, name), labels: f.labels };
}
const lfwItems = Array.from({ length: Math.min(lfw.size, maxLfw) }, (_, i) => i);
const lfwX = embedItems(lfw, lfwItems, 'LFW');

const series: Array<{ name: string; x: number[]; y: number[] }> = [];
for (const probeSet of Object.keys(sets) as Array<keyof typeof sets>) {
  const other = probeSet === 'orl' ? 'yaleb' : 'orl';
  const { x, labels } = emb[probeSet];
  // Enrol the first photo of each person; the others are probes.
  const enrolRows: number[] = [], probeRows: number[] = [];
  const seen = new Set<number>();
  labels.forEach((p, i) => { if (seen.has(p)) probeRows.push(i); else { seen.add(p); enrolRows.push(i); } });
  const people = enrolRows.map((i) => `${probeSet}:${labels[i]}`);
  const enrolled = new CompactGallery({ dim, people, labels: enrolRows.map((_, j) => j) });
  const ev = new Float32Array(enrolRows.length * dim);
  enrolRows.forEach((r, j) => ev.set(x.subarray(r * dim, (r + 1) * dim), j * dim));
  enrolled.rowBytes(0, enrolRows.length).set(new Uint8Array(ev.buffer));
  // Distractors: LFW + the other set, shuffled once.
  const dn = lfwX.length / dim + emb[other].x.length / dim;
  const dx = new Float32Array(dn * dim);
  dx.set(lfwX, 0);
  dx.set(emb[other].x, lfwX.length);
  const order = Array.from({ length: dn }, (_, i) => i);
  new Rng(seed).shuffle(order);
  const distractors = new CompactGallery({ dim, people: ['distractor'], labels: new Uint32Array(dn), capacity: dn });
  const rowsD = distractors.rowBytes(0, dn);
  const shuffled = new Float32Array(dn * dim);
  order.forEach((src, j) => shuffled.set(dx.subarray(src * dim, (src + 1) * dim), j * dim));
  rowsD.set(new Uint8Array(shuffled.buffer));
  const probes = new Float32Array(probeRows.length * dim);
  probeRows.forEach((r, j) => probes.set(x.subarray(r * dim, (r + 1) * dim), j * dim));
  const truth = probeRows.map((r) => enrolRows.findIndex((e) => labels[e] === labels[r]));
  // Nearest enrolled photo of each probe: right person, and its distance.
  const near = enrolled.search(probes, 1);
  const ownD = enrolled.pairDistances(probes, Int32Array.from(truth));
  const steps = [0, 10, 30, 100, 300, 1000, 3000, 10000].filter((m) => m < dn).concat([dn]);
  const ys: number[] = [];
  for (const m of steps) {
    let right = 0;
    const dd = m > 0 ? distractors.search(probes, 1, { end: m }).distances : null;
    for (let i = 0; i < probeRows.length; i++) {
      const okEnrolled = near.indices[i] === truth[i];
      const okDistr = dd === null || ownD[i] < dd[i];
      if (okEnrolled && okDistr) right++;
    }
    ys.push(right / probeRows.length);
    console.log(`${probeSet.padEnd(6)} probes ${probeRows.length}, enrolled ${enrolRows.length}, distractors ${String(m).padStart(6)}: rank-1 ${(right / probeRows.length).toFixed(4)}`);
  }
  series.push({ name: `${probeSet === 'orl' ? 'ORL' : 'Yale B'} probes (${enrolRows.length} people)`, x: steps.map((m) => m + 1), y: ys });
  enrolled.dispose();
  distractors.dispose();
}
const plot = lineChart({
  title: 'MegaFace-style curve: rank-1 identification as distractors are added',
  xLabel: 'distractor photos + 1 (LFW and the other set)', yLabel: 'rank-1 identification rate',
  series: series.map((s) => ({ ...s, dots: true })), xLog: true, yMin: 0, yMax: 1,
});
console.log(`plot: ${writePlot(out, plot).join(', ')}`);
