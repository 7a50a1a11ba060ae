import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddingNet, Autoencoder } from '../../src/nn/index.js';
import { saveModel, loadModel } from '../../src/io/model-file.js';
import { saveGallery, loadGallery } from '../../src/io/gallery-file.js';
import { Gallery } from '../../src/metric/gallery.js';
import { randn } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import type { Preprocess } from '../../src/data/index.js';
import { flavour } from '../../src/wasm.js';

const dir = mkdtempSync(join(tmpdir(), 'facemetric-files-'));
const pre: Preprocess = { size: [16, 16], grey: true, standardize: true };

test('a model file round-trips: same architecture, same embeddings bit for bit, same hash', () => {
  const m = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 8, seed: 3 });
  const path = join(dir, 'm.fmm');
  const hash = saveModel(path, m, pre, { note: 'test' });
  assert.match(hash, /^[0-9a-f]{64}$/);
  const f = loadModel(path);
  assert.is(f.hash, hash);
  assert.equal(f.preprocess, pre);
  assert.equal(f.meta, { note: 'test' });
  assert.equal(f.engine, { build: flavour(), runtime: `node ${process.version}` }, 'the engine that saved it');
  assert.equal(f.model.config(), m.config());
  tidy(() => {
    const x = randn([3, 16, 16, 1], new Rng(1));
    assert.equal(Array.from((f.model as EmbeddingNet).embed(x).data), Array.from(m.embed(x).data));
  });
  assert.is(saveModel(join(dir, 'm2.fmm'), m, pre, { other: 1 }), hash, 'metadata is not part of the hash');
  assert.equal(readdirSync(dir).filter((n) => n.includes('.tmp')), []);
  const ae = new Autoencoder({ inputShape: [16, 16, 1], blocks: [4], bottleneck: 5, seed: 1 });
  saveModel(join(dir, 'ae.fmm'), ae, pre);
  assert.is(loadModel(join(dir, 'ae.fmm')).model.config().type, 'Autoencoder');
  m.dispose(); f.model.dispose(); ae.dispose();
});

test('corrupt, truncated and foreign model files are refused, naming the file', () => {
  const m = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4], embeddingDim: 4, seed: 3 });
  const path = join(dir, 'c.fmm');
  saveModel(path, m, pre);
  const good = readFileSync(path);
  const bad = join(dir, 'bad.fmm');
  const refuse = (bytes: Uint8Array, re: RegExp) => { writeFileSync(bad, bytes); assert.throws(() => loadModel(bad), (e: Error) => e.message.includes('bad.fmm') && re.test(e.message)); };
  const flipped = Buffer.from(good); flipped[good.length - 30] ^= 0x10;
  refuse(flipped, /fails its checksum/);
  refuse(good.subarray(0, good.length - 100), /truncated/);
  refuse(Buffer.from('not a model at all, just some text'), /not a facemetric model file/);
  const g = new Gallery({ dim: 4 });
  g.add(new Float32Array([1, 0, 0, 0]), ['a']);
  saveGallery(join(dir, 'g.fmg'), g, { modelHash: 'a'.repeat(64) });
  assert.throws(() => loadModel(join(dir, 'g.fmg')), /expected a model file, got a gallery file/);
  // Non-finite weights are never written.
  const sd = m.stateDict();
  const first = Object.keys(sd)[0];
  sd[first].data[0] = NaN;
  assert.throws(() => m.loadStateDict(sd), /NaN|finite/);
  m.dispose(); g.dispose();
});

test('a gallery file round-trips with its model hash, D and threshold', () => {
  const g = new Gallery({ dim: 2 });
  g.add(new Float32Array([0, 0, 3, 4, 10, 10, 10, 11, 50, 50]), ['ann', 'ann', 'bob', 'bob', 'cy']);
  const path = join(dir, 'x.fmg');
  const hash = 'b'.repeat(64);
  saveGallery(path, g, { modelHash: hash, threshold: 1.25 });
  const f = loadGallery(path, { modelHash: hash });
  assert.equal(f.gallery.toData(), g.toData());
  assert.is(f.D?.D, 5);
  assert.is(f.D?.person, 'ann');
  assert.is(f.threshold, 1.25);
  assert.is(f.gallery.identify(new Float32Array([10, 10.4])).label, 'bob');
  assert.throws(() => loadGallery(path, { modelHash: 'c'.repeat(64) }), /x\.fmg: this gallery was made by another model \(hash bbbbbbbbbbbb…\), not by the one given/);
  const bytes = Buffer.from(readFileSync(path)); bytes[bytes.length - 20] ^= 1;
  writeFileSync(join(dir, 'y.fmg'), bytes);
  assert.throws(() => loadGallery(join(dir, 'y.fmg')), /y\.fmg: corrupt: chunk "vectors:0"/);
  assert.throws(() => saveGallery(path, g, { modelHash: 'nope' }), /saveGallery: expected modelHash/);
  g.dispose(); f.gallery.dispose();
});

test('a gallery larger than one vector chunk round-trips', () => {
  const n = 70000, dim = 3;
  const v = new Float32Array(n * dim).map((_, i) => (i % 97) / 7);
  const labels = Array.from({ length: n }, (_, i) => `p${i % 1000}`);
  const g = new Gallery({ dim });
  g.add(v, labels);
  const path = join(dir, 'big.fmg');
  saveGallery(path, g, { modelHash: 'd'.repeat(64) });
  const f = loadGallery(path);
  assert.equal(f.gallery.toData().vectors, v);
  assert.is(f.gallery.people.length, 1000);
  g.dispose(); f.gallery.dispose();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
