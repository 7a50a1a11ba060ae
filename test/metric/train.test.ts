import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train, type EpochReport } from '../../src/metric/train.js';
import { isCollapsed } from '../../src/metric/health.js';
import { EmbeddingNet, Autoencoder, CosineClassifier } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/adam.js';
import { ArrayDataset, type Image } from '../../src/data/index.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/random.js';

const dir = mkdtempSync(join(tmpdir(), 'facemetric-train-'));

/** People as smooth random patterns; photos add noise and a small shift. */
function toyFaces(people: number, photos: number, size = 16, seed = 1): ArrayDataset {
  const rng = new Rng(seed);
  const images: Image[] = [], labels: number[] = [];
  for (let p = 0; p < people; p++) {
    const fx = 1 + rng.int(3), fy = 1 + rng.int(3), ph = rng.uniform(0, 6);
    for (let k = 0; k < photos; k++) {
      const data = new Float32Array(size * size);
      const dx = rng.int(3) - 1;
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        data[y * size + x] = Math.sin((x + dx) * fx * 0.4 + ph) * Math.cos(y * fy * 0.4) + rng.normal(0, 0.2);
      }
      images.push({ width: size, height: size, channels: 1, data });
      labels.push(p);
    }
  }
  return new ArrayDataset(images, labels);
}

const net = (seed = 3) => new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 8, seed });
const weights = (m: EmbeddingNet) => Object.entries(m.stateDict()).map(([k, v]) => [k, Array.from(v.data)]);

test('training lowers the loss and reports health figures and validation', async () => {
  const data = toyFaces(6, 4), val = toyFaces(4, 4, 16, 9);
  const m = net();
  const reports: EpochReport[] = [];
  const r = await train({ model: m, data, validation: val, epochs: 6, seed: 2, batch: { p: 3, k: 4 }, loss: { margin: 0.5, miner: 'all' }, onEpoch: (e) => { reports.push(e); } });
  assert.is(r.history.length, 6);
  assert.equal(reports.map((e) => e.epoch), [1, 2, 3, 4, 5, 6]);
  assert.ok(reports[5].loss < reports[0].loss, `loss ${reports[0].loss} → ${reports[5].loss}`);
  const h = reports[5].health!;
  assert.ok(h.activeFraction > 0 && h.activeFraction <= 1);
  assert.ok(h.meanNegative > h.meanPositive, `d(A,N) ${h.meanNegative} > d(A,P) ${h.meanPositive}`);
  assert.ok(Math.abs(h.normMean - 1) < 1e-5, 'normalised embeddings have norm 1');
  const v = reports[5].validation!;
  assert.ok(v.rank1 >= 0 && v.rank1 <= 1 && v.auc > 0.5, JSON.stringify(v));
  assert.equal(v.pairs, { same: 24, different: 24 });
  m.dispose();
});

test('same seed, same data → the same weights, bit for bit', async () => {
  const data = toyFaces(5, 3);
  const run = async () => {
    const m = net(4);
    await train({ model: m, data, epochs: 3, seed: 7, batch: { p: 3, k: 3 }, augment: { flip: true, shift: 1, brightness: 0.1 } });
    const w = weights(m); m.dispose(); return w;
  };
  const a = await run(), b = await run();
  assert.equal(a, b);
  const m = net(4);
  await train({ model: m, data, epochs: 3, seed: 8, batch: { p: 3, k: 3 }, augment: { flip: true, shift: 1, brightness: 0.1 } });
  assert.not.equal(weights(m), a, 'another seed gives other weights');
  m.dispose();
});

test('a run resumed from its checkpoint ends with the same weights as an uninterrupted one', async () => {
  const data = toyFaces(5, 3);
  const opts = { data, seed: 5, batch: { p: 3, k: 3 }, augment: { flip: true, shift: 1 } };
  const straight = net();
  await train({ ...opts, model: straight, epochs: 4, checkpoint: join(dir, 'a.ck') });
  const first = net();
  await train({ ...opts, model: first, epochs: 2, checkpoint: join(dir, 'b.ck') });
  first.dispose();
  const resumed = net();
  const r = await train({ ...opts, model: resumed, epochs: 4, checkpoint: join(dir, 'b.ck'), resume: true });
  assert.is(r.resumedFrom, 2);
  assert.equal(r.history.map((e) => e.epoch), [1, 2, 3, 4]);
  assert.equal(weights(resumed), weights(straight));
  straight.dispose(); resumed.dispose();
});

test('a damaged checkpoint or one of another architecture is refused', async () => {
  const data = toyFaces(4, 3);
  const path = join(dir, 'c.ck');
  const m = net();
  await train({ model: m, data, epochs: 1, seed: 1, batch: { p: 2, k: 3 }, checkpoint: path });
  const bytes = readFileSync(path);
  const bad = Buffer.from(bytes); bad[bad.length - 40] ^= 0xff;
  writeFileSync(join(dir, 'bad.ck'), bad);
  let err: Error | null = null;
  try { await train({ model: net(), data, epochs: 2, checkpoint: join(dir, 'bad.ck'), resume: true }); } catch (e) { err = e as Error; }
  assert.match(String(err?.message), /bad\.ck: corrupt: chunk .* fails its checksum/);
  err = null;
  const other = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 6, seed: 1 });
  try { await train({ model: other, data, epochs: 2, checkpoint: path, resume: true }); } catch (e) { err = e as Error; }
  assert.match(String(err?.message), /c\.ck: this checkpoint was made for a different architecture/);
  m.dispose(); other.dispose();
});

test('classifier (CosFace) next to the triplet loss: trains, is deterministic, resumes bit for bit with the head', async () => {
  // people 0…5 with 4 photos, 6…9 with one photo (used through batch.singles)
  const multi = toyFaces(6, 4), single = toyFaces(4, 1, 16, 5);
  const data = new ArrayDataset([...Array.from({ length: multi.size }, (_, i) => multi.get(i)), ...Array.from({ length: single.size }, (_, i) => single.get(i))],
    [...Array.from({ length: multi.size }, (_, i) => multi.label(i)), ...Array.from({ length: single.size }, (_, i) => 6 + single.label(i))]);
  const base = { data, seed: 3, batch: { p: 3, k: 4, singles: 2 }, loss: { margin: 0.3, miner: 'all' as const } };
  const run = async (epochs: number, extra: { checkpoint?: string; resume?: boolean } = {}) => {
    const m = net(5), head = new CosineClassifier({ inFeatures: 8, classes: 10, seed: 6 });
    const reports: EpochReport[] = [];
    await train({ ...base, ...extra, model: m, epochs, classifier: { head, scale: 8, margin: 0.2 }, onEpoch: (e) => { reports.push(e); } });
    const w = [...weights(m), ...Object.entries(head.stateDict()).map(([k, v]) => [k, Array.from(v.data)])];
    m.dispose(); head.dispose();
    return { w, reports };
  };
  const a = await run(6);
  // the loss reported is triplet + CosFace; CosFace alone starts near log(10) · 1 ≈ 2.3 at scale 8
  assert.ok(a.reports[0].loss > 1, `first epoch loss ${a.reports[0].loss}`);
  assert.ok(a.reports[5].loss < 0.8 * a.reports[0].loss, `loss ${a.reports[0].loss} → ${a.reports[5].loss}`);
  assert.ok(a.reports[5].health!.meanNegative > a.reports[5].health!.meanPositive);
  assert.equal((await run(6)).w, a.w, 'same seed → same weights and head');
  await run(3, { checkpoint: join(dir, 'cls.ck') });
  assert.equal((await run(6, { checkpoint: join(dir, 'cls.ck'), resume: true })).w, a.w, 'resumed = uninterrupted, head included');
  // a checkpoint with a head is refused by a run without one, and the other way round
  let err: Error | null = null;
  try { await train({ ...base, model: net(5), epochs: 7, checkpoint: join(dir, 'cls.ck'), resume: true }); } catch (e) { err = e as Error; }
  assert.match(String(err?.message), /cls\.ck: this checkpoint was made with a training head .* that the resumed run does not have/);
});

test('classifier errors: too few classes, an optimizer without the head, a reconstruction objective', async () => {
  const data = toyFaces(4, 3);
  const m = net(), head = new CosineClassifier({ inFeatures: 8, classes: 3 });
  let err: Error | null = null;
  try { await train({ model: m, data, epochs: 1, classifier: { head } }); } catch (e) { err = e as Error; }
  assert.match(String(err?.message), /train: expected classifier\.head with a class for every label \(the data's labels go up to 3\), got 3 classes/);
  const ok = new CosineClassifier({ inFeatures: 8, classes: 4 });
  err = null;
  try { await train({ model: m, data, epochs: 1, classifier: { head: ok }, optimizer: new Adam(m.parameters()) }); } catch (e) { err = e as Error; }
  assert.match(String(err?.message), /train: expected an optimizer that holds the classifier head's parameters too/);
  err = null;
  try { await train({ model: m, data, epochs: 1, classifier: { head: ok, scale: 0 } }); } catch (e) { err = e as Error; }
  assert.match(String(err?.message), /train: expected classifier\.scale/);
  err = null;
  try { await train({ model: m, data, epochs: 1, classifier: { head: m as unknown as CosineClassifier } }); } catch (e) { err = e as Error; }
  assert.match(String(err?.message), /train: expected classifier \{ head: CosineClassifier, scale\?, margin\?, weight\? \}, got/);
  m.dispose(); head.dispose(); ok.dispose();
});

test('the collapse warning fires when every embedding is the same point', async () => {
  const data = toyFaces(4, 3);
  const m = net();
  const zeros = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, { shape: v.shape, data: new Float32Array(v.data.length) }]));
  m.loadStateDict(zeros);
  const opt = new SGD(m.parameters(), { lr: 1e-9 });
  const r = await train({ model: m, data, epochs: 1, seed: 1, batch: { p: 2, k: 3 }, optimizer: opt, loss: { margin: 0.3, miner: 'hard' } });
  const h = r.history[0].health!;
  assert.is(h.collapsed, true);
  assert.is(h.meanPositive, 0);
  assert.is(h.meanNegative, 0);
  assert.ok(Math.abs(h.lossPerTriplet - 0.3) < 1e-6);
  assert.match(r.history[0].warnings.join(' '), /embedding collapsed/);
  assert.is(isCollapsed(0.5, 0.9, 0.1, 0.3), false);
  opt.dispose(); m.dispose();
});

test('early stopping stops after `patience` epochs without improvement', async () => {
  const data = toyFaces(4, 3);
  const m = net();
  // All-zero weights: every embedding is the same point, so the loss is the margin at every epoch.
  m.loadStateDict(Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, { shape: v.shape, data: new Float32Array(v.data.length) }])));
  const opt = new SGD(m.parameters(), { lr: 1e-12 });
  const r = await train({ model: m, data, epochs: 10, seed: 1, batch: { p: 2, k: 3 }, optimizer: opt, earlyStopping: { patience: 2, metric: 'loss', minDelta: 1e-3 } });
  assert.is(r.stoppedEarly, true);
  assert.is(r.history.length, 3);
  assert.is(r.bestEpoch, 1);
  opt.dispose(); m.dispose();
});

test('an autoencoder trains with the reconstruction objective', async () => {
  const data = toyFaces(3, 4);
  const ae = new Autoencoder({ inputShape: [16, 16, 1], blocks: [4, 8], bottleneck: 8, seed: 2 });
  const r = await train({ model: ae, data, epochs: 8, seed: 1, batch: { p: 3, k: 4 }, objective: 'reconstruction' });
  assert.ok(r.history[7].loss < r.history[0].loss, `${r.history[0].loss} → ${r.history[7].loss}`);
  assert.is(r.history[0].health, undefined);
  ae.dispose();
});

test('bad options are named', async () => {
  const data = toyFaces(2, 2);
  const m = net();
  const msg = async (o: object) => { try { await train({ model: m, data, epochs: 1, ...o }); return ''; } catch (e) { return (e as Error).message; } };
  assert.match(await msg({ epochs: -1 }), /train: expected epochs to be an integer >= 0/);
  assert.match(await msg({ objective: 'nope' }), /train: expected objective to be one of 'triplet', 'reconstruction'/);
  assert.match(await msg({ batch: { p: 1, k: 2 } }), /train: expected batch.p to be an integer >= 2/);
  assert.match(await msg({ resume: true }), /train: expected a checkpoint path with resume/);
  m.dispose();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
