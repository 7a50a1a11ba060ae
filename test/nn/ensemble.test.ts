import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randn, type Tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { EmbeddingNet, EmbeddingEnsemble, moduleFromConfig, mirrorImages } from '../../src/nn/index.js';
import { saveModel, loadModel } from '../../src/io/model-file.js';

const dir = mkdtempSync(join(tmpdir(), 'facemetric-ensemble-'));
const member = (seed: number, more: Record<string, unknown> = {}) => new EmbeddingNet({ inputShape: [8, 8, 1], blocks: [2, 3], embeddingDim: 4, seed, ...more });
const rows = (t: Tensor) => Array.from(t.data);
const sqDist = (v: number[], i: number, j: number, d: number) => { let s = 0; for (let t = 0; t < d; t++) s += (v[i * d + t] - v[j * d + t]) ** 2; return s; };

test('embed = the members\' unit embeddings side by side / √M: unit rows, squared distances = the mean of the members\'', () => tidy(() => {
  const a = member(1), b = member(2, { normalize: false });
  const ens = new EmbeddingEnsemble({ members: [a, b] });
  assert.is(ens.embeddingDim, 8);
  assert.equal([...ens.inputShape], [8, 8, 1]);
  const x = randn([5, 8, 8, 1], new Rng(3));
  const e = rows(ens.embed(x, 2)), ea = rows(a.embed(x)), ebRaw = rows(b.embed(x));
  // b does not normalise: the ensemble does it
  const eb = ebRaw.map((v, k) => { const i = Math.floor(k / 4); let s = 0; for (let t = 0; t < 4; t++) s += ebRaw[i * 4 + t] ** 2; return v / Math.sqrt(s); });
  for (let i = 0; i < 5; i++) {
    let n = 0;
    for (let t = 0; t < 8; t++) {
      const want = (t < 4 ? ea[i * 4 + t] : eb[i * 4 + t - 4]) / Math.SQRT2;
      assert.ok(Math.abs(e[i * 8 + t] - want) < 1e-6, `row ${i} col ${t}`);
      n += e[i * 8 + t] ** 2;
    }
    assert.ok(Math.abs(n - 1) < 1e-5, `row ${i} has norm 1`);
  }
  for (const [i, j] of [[0, 1], [2, 4], [3, 0]]) {
    const want = (sqDist(ea, i, j, 4) + sqDist(eb, i, j, 4)) / 2;
    assert.ok(Math.abs(sqDist(e, i, j, 8) - want) < 1e-5, `pair ${i},${j}`);
  }
  ens.dispose();
}));

test('flipTest: a photo and its mirror image get the same embedding; it is the normalised sum of both', () => tidy(() => {
  const ens = new EmbeddingEnsemble({ members: [member(4), member(5)], flipTest: true });
  const plain = new EmbeddingEnsemble({ members: [member(4), member(5)] });
  const x = randn([3, 8, 8, 1], new Rng(6));
  const e = rows(ens.embed(x)), m = rows(ens.embed(mirrorImages(x)));
  for (let k = 0; k < e.length; k++) assert.ok(Math.abs(e[k] - m[k]) < 1e-6);
  const p = rows(plain.embed(x)), pm = rows(plain.embed(mirrorImages(x)));
  for (let i = 0; i < 3; i++) {
    let n = 0;
    for (let t = 0; t < 8; t++) n += (p[i * 8 + t] + pm[i * 8 + t]) ** 2;
    for (let t = 0; t < 8; t++) assert.ok(Math.abs(e[i * 8 + t] - (p[i * 8 + t] + pm[i * 8 + t]) / Math.sqrt(n)) < 1e-6);
  }
  ens.dispose(); plain.dispose();
}));

test('config → moduleFromConfig and a model file round trip give the same embeddings; weights are m0.*, m1.*', () => tidy(() => {
  const ens = new EmbeddingEnsemble({ members: [member(7), member(8, { batchNorm: true })], flipTest: true });
  const names = Object.keys(ens.stateDict());
  assert.ok(names.some((n) => n.startsWith('m0.')) && names.some((n) => n.startsWith('m1.blocks.0.bn')), names.join(' '));
  const copy = moduleFromConfig(JSON.parse(JSON.stringify(ens.config()))) as EmbeddingEnsemble;
  assert.equal(copy.config(), ens.config());
  copy.loadStateDict(ens.stateDict());
  const x = randn([2, 8, 8, 1], new Rng(9));
  assert.equal(rows(copy.embed(x)), rows(ens.embed(x)));
  const path = join(dir, 'e.fmm');
  saveModel(path, ens, { size: [8, 8], grey: true, standardize: true });
  const loaded = loadModel(path).model as EmbeddingEnsemble;
  assert.ok(loaded instanceof EmbeddingEnsemble);
  assert.equal(rows(loaded.embed(x)), rows(ens.embed(x)));
  ens.dispose(); copy.dispose(); loaded.dispose();
}));

test('errors: one member, members of other input shapes, forward (an ensemble is not trained as one)', () => {
  const a = member(1);
  assert.throws(() => new EmbeddingEnsemble({ members: [a] }), /EmbeddingEnsemble: expected options\.members: an array of 2 or more embedding models/);
  const other = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [2], embeddingDim: 4, seed: 1 });
  assert.throws(() => new EmbeddingEnsemble({ members: [a, other] }), /EmbeddingEnsemble: expected members with one input shape \(member 0 takes \[8,8,1\]\), got member 1 taking \[16,16,1\]/);
  const ens = new EmbeddingEnsemble({ members: [a, member(2)] });
  assert.throws(() => ens.forward(randn([1, 8, 8, 1], new Rng(1))), /EmbeddingEnsemble\.forward: an ensemble is not trained as one model; train each member/);
  ens.dispose(); other.dispose();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
