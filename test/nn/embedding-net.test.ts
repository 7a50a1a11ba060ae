import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, randn, tensor } from '../../src/tensor.js';
import { tidy, memoryStats } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { tripletLoss } from '../../src/ops/triplet.js';
import { Adam } from '../../src/optim/adam.js';
import { EmbeddingNet, moduleFromConfig } from '../../src/nn/index.js';
import { mirrorImages } from '../../src/nn/embedding-net.js';

const bits = (t: Tensor) => Array.from(new Uint32Array(t.toFloat32Array().buffer));

/** k identities × m images of h×w: a random pattern per identity plus noise; labels 0..k-1. */
function toyFaces(k: number, m: number, h: number, w: number, seed: number, noise = 0.3): { x: Tensor; labels: number[] } {
  const rng = new Rng(seed);
  const protos = Array.from({ length: k }, () => Float32Array.from({ length: h * w }, () => rng.normal()));
  const data = new Float32Array(k * m * h * w);
  const labels: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < m; j++) {
      const o = (i * m + j) * h * w;
      for (let p = 0; p < h * w; p++) data[o + p] = protos[i][p] + noise * rng.normal();
      labels.push(i);
    }
  }
  return { x: tensor(data, [k * m, h, w, 1]), labels };
}

test('the reference network: 64×64×1, convs 32/64/128 + ReLU + 2×2 max-pool, dense 128: names, shapes, 1,141,376 parameters', () => {
  const net = new EmbeddingNet({ seed: 1 });
  assert.equal(net.namedParameters().map(([n, t]) => `${n}[${t.shape}]`), [
    'blocks.0.conv.w[3,3,1,32]', 'blocks.0.conv.b[32]',
    'blocks.1.conv.w[3,3,32,64]', 'blocks.1.conv.b[64]',
    'blocks.2.conv.w[3,3,64,128]', 'blocks.2.conv.b[128]',
    'embedding.w[8192,128]', 'embedding.b[128]',
  ]);
  const expected = (3 * 3 * 1 * 32 + 32) + (3 * 3 * 32 * 64 + 64) + (3 * 3 * 64 * 128 + 128) + (8192 * 128 + 128);
  assert.is(expected, 1141376);
  assert.is(net.numParameters(), expected);
  assert.equal(net.inputShape, [64, 64, 1]);
  assert.is(net.embeddingDim, 128);
  assert.equal(net.featureShape, [8, 8, 128]);
  assert.equal(net.namedBuffers(), []);
  assert.equal(net.config(), { type: 'EmbeddingNet', inputShape: [64, 64, 1], blocks: [32, 64, 128], embeddingDim: 128, normalize: true, batchNorm: false, dropout: 0, seed: 1 });
  tidy(() => {
    const e = net.forward(randn([3, 64, 64, 1], new Rng(2)));
    assert.equal(e.shape, [3, 128]);
    for (let i = 0; i < 3; i++) {
      const row = e.data.subarray(i * 128, (i + 1) * 128);
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-5, `row ${i} has unit norm`);
    }
  });
  net.dispose();
});

test('same seed → identical weights, different seed → different', () => {
  const small = (seed: number) => new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 8, seed });
  const a = small(3), b = small(3), c = small(4);
  const flat = (m: EmbeddingNet) => m.parameters().flatMap(bits);
  assert.equal(flat(a), flat(b));
  assert.not.equal(flat(a), flat(c));
  a.dispose(); b.dispose(); c.dispose();
});

test('normalize: false gives the raw dense output; batchNorm adds bn.* and drops the conv bias', () => tidy(() => {
  const raw = new EmbeddingNet({ inputShape: [8, 8, 2], blocks: [3], embeddingDim: 5, normalize: false, seed: 2 });
  const e = raw.forward(randn([4, 8, 8, 2], new Rng(1)));
  assert.equal(e.shape, [4, 5]);
  assert.ok(Math.abs(Math.hypot(...e.data.subarray(0, 5)) - 1) > 1e-3);
  const bn = new EmbeddingNet({ inputShape: [8, 8, 1], blocks: [3, 4], embeddingDim: 5, batchNorm: true, seed: 2 });
  assert.equal(bn.namedParameters().map(([n]) => n), ['blocks.0.conv.w', 'blocks.0.bn.gamma', 'blocks.0.bn.beta', 'blocks.1.conv.w',
    'blocks.1.bn.gamma', 'blocks.1.bn.beta', 'embedding.w', 'embedding.b']);
  assert.equal(bn.namedBuffers().map(([n]) => n), ['blocks.0.bn.runningMean', 'blocks.0.bn.runningVar', 'blocks.1.bn.runningMean', 'blocks.1.bn.runningVar']);
  raw.dispose(); bn.dispose();
}));

test('train/eval switches batch norm and dropout; embed() runs in evaluation mode and restores the mode', () => tidy(() => {
  const net = new EmbeddingNet({ inputShape: [8, 8, 1], blocks: [4], embeddingDim: 6, batchNorm: true, dropout: 0.5, seed: 5 });
  const x = randn([4, 8, 8, 1], new Rng(3));
  const t1 = net.forward(x), t2 = net.forward(x);
  assert.not.equal(bits(t1), bits(t2), 'training: a new dropout mask each time');
  net.eval();
  const e1 = net.forward(x), e2 = net.forward(x);
  assert.equal(bits(e1), bits(e2), 'evaluation: deterministic');
  net.train();
  const em = net.embed(x);
  assert.ok(net.training, 'mode restored');
  assert.is(em.requiresGrad, false);
  assert.equal(bits(em), bits(e1));
  net.dispose();
}));

test('embed() in chunks equals one forward in evaluation; N=0 gives [0, D]', () => tidy(() => {
  const net = new EmbeddingNet({ inputShape: [16, 12, 3], blocks: [4, 8], embeddingDim: 7, seed: 8 });
  const x = randn([10, 16, 12, 3], new Rng(4));
  net.eval();
  const whole = net.forward(x);
  for (const bs of [1, 3, 4, 10, 64]) assert.equal(bits(net.embed(x, bs)), bits(whole), `batchSize ${bs}`);
  assert.equal(net.embed(new Tensor([0, 16, 12, 3])).shape, [0, 7]);
  net.dispose();
}));

test('mirrorImages reverses W in NHWC, channels kept together', () => tidy(() => {
  // 1 image, 1 row, 3 columns, 2 channels: (a0,a1) (b0,b1) (c0,c1) → (c0,c1) (b0,b1) (a0,a1).
  const m = mirrorImages(tensor([1, 2, 3, 4, 5, 6], [1, 1, 3, 2]));
  assert.equal(Array.from(m.data), [5, 6, 3, 4, 1, 2]);
  const two = mirrorImages(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]));
  assert.equal(Array.from(two.data), [2, 1, 4, 3, 6, 5, 8, 7]);
}));

test('flipTest: embed() = normalise(f(x) + f(mirror x)) (mean without normalize); forward unchanged; kept in the config', () => tidy(() => {
  const x = randn([3, 16, 16, 1], new Rng(5), 1);
  for (const normalize of [true, false]) {
    const plain = new EmbeddingNet({ seed: 3, inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 6, normalize });
    const flip = new EmbeddingNet({ seed: 3, inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 6, normalize, flipTest: true });
    const a = plain.embed(x).toFloat32Array(), b = plain.embed(mirrorImages(x)).toFloat32Array();
    const got = flip.embed(x, 2).toFloat32Array();
    for (let i = 0; i < 3; i++) {
      const s = Array.from({ length: 6 }, (_, t) => a[i * 6 + t] + b[i * 6 + t]);
      const norm = normalize ? Math.hypot(...s) : 2;
      for (let t = 0; t < 6; t++) assert.ok(Math.abs(got[i * 6 + t] - s[t] / norm) < 1e-6, `normalize ${normalize} row ${i} col ${t}`);
    }
    // A mirror image has exactly the same flip-test embedding.
    assert.ok(flip.embed(mirrorImages(x)).toFloat32Array().every((v, i) => Math.abs(v - got[i]) < 1e-6));
    assert.equal(bits(flip.forward(x)), bits(plain.forward(x)));
    assert.is(flip.config().flipTest, true);
    assert.is('flipTest' in plain.config(), false);
    const again = moduleFromConfig(flip.config()) as EmbeddingNet;
    assert.is(again.flipTest, true);
    again.dispose(); plain.dispose(); flip.dispose();
  }
}));

test('stateDict round trip: save → new model from config → load → identical outputs bit for bit (with batch norm buffers)', () => tidy(() => {
  for (const batchNorm of [false, true]) {
    const a = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 8, batchNorm, rng: new Rng(1) });
    const { x, labels } = toyFaces(4, 2, 16, 16, 1);
    const opt = new Adam(a.parameters(), { lr: 1e-2 });
    for (let i = 0; i < 2; i++) tidy(() => { opt.zeroGrad(); tripletLoss(a.forward(x), labels, { margin: 0.2 }).loss.backward(); opt.step(); });
    const config = JSON.parse(JSON.stringify(a.config()));
    const sd = a.stateDict();
    const b = moduleFromConfig(config) as EmbeddingNet;
    a.eval(); b.eval();
    assert.not.equal(bits(b.forward(x)), bits(a.forward(x)), 'a fresh model differs before loading');
    b.loadStateDict(sd);
    assert.equal(bits(b.forward(x)), bits(a.forward(x)), `batchNorm ${batchNorm}`);
    assert.equal(bits(b.embed(x, 3)), bits(a.embed(x, 3)));
    opt.dispose(); a.dispose(); b.dispose();
  }
}));

test('a few steps of tripletLoss + Adam on 16×16 toy faces (blocks [4,8]) lower the loss', () => {
  const net = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 8, seed: 3 });
  const { x, labels } = toyFaces(4, 4, 16, 16, 7);
  const opt = new Adam(net.parameters(), { lr: 3e-3 });
  const losses: number[] = [];
  for (let i = 0; i < 15; i++) {
    losses.push(tidy(() => {
      opt.zeroGrad();
      const { loss } = tripletLoss(net.forward(x), labels, { margin: 0.5 });
      loss.backward();
      opt.step();
      return loss.item();
    }));
  }
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses[losses.length - 1] < 0.5 * losses[0], `loss ${losses[0]} → ${losses[losses.length - 1]}`);
  opt.dispose(); net.dispose(); x.dispose();
});

test('training steps with batch norm and dropout keep the engine memory flat', () => {
  const net = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4, 8], embeddingDim: 8, batchNorm: true, dropout: 0.2, seed: 6 });
  const { x, labels } = toyFaces(4, 2, 16, 16, 2);
  const opt = new Adam(net.parameters(), { lr: 1e-3 });
  const step = () => tidy(() => { opt.zeroGrad(); tripletLoss(net.forward(x), labels, { margin: 0.2 }).loss.backward(); opt.step(); });
  for (let i = 0; i < 3; i++) step();
  const before = memoryStats();
  for (let i = 0; i < 20; i++) step();
  const after = memoryStats();
  assert.is(after.liveBytes, before.liveBytes);
  assert.is(after.heapBytes, before.heapBytes);
  opt.dispose(); net.dispose(); x.dispose();
});

test('input-shape and option errors say what was expected', () => tidy(() => {
  const net = new EmbeddingNet({ inputShape: [16, 16, 1], blocks: [4], embeddingDim: 4, seed: 1 });
  assert.throws(() => net.forward(randn([2, 32, 32, 1], new Rng(1))),
    /EmbeddingNet\.forward: expected input \[N,16,16,1\] \(N images of 16×16 pixels with 1 channel, NHWC\), got shape \[2,32,32,1\]/);
  assert.throws(() => net.forward(randn([16, 16, 1], new Rng(1))), /got shape \[16,16,1\]; add the batch axis: one image is \[1,H,W,C\]/);
  assert.throws(() => net.embed(randn([2, 16, 16, 3], new Rng(1))), /EmbeddingNet\.embed: expected input \[N,16,16,1\]/);
  assert.throws(() => net.embed(randn([2, 16, 16, 1], new Rng(1)), 0), /EmbeddingNet\.embed: expected batchSize to be an integer >= 1, got 0/);
  assert.throws(() => net.forward([1, 2] as never), /EmbeddingNet\.forward: expected a Tensor of images \[N,H,W,C\], got an array of length 2/);
  assert.throws(() => new EmbeddingNet({ inputShape: [8, 8, 1], blocks: [2, 2, 2, 2] }), /EmbeddingNet: expected options\.inputShape large enough for 4 2×2 max-pools \(at least 16 pixels a side\), got \[8,8,1\]/);
  assert.throws(() => new EmbeddingNet({ inputShape: [64, 64] }), /EmbeddingNet: expected options\.inputShape to be \[H, W, C\]/);
  assert.throws(() => new EmbeddingNet({ blocks: [32, 0] }), /EmbeddingNet: expected options\.blocks\[1\] to be an integer >= 1, got 0/);
  assert.throws(() => new EmbeddingNet({ dropout: 1 }), /EmbeddingNet: expected options\.dropout to be a rate in \[0, 1\), got 1/);
  assert.throws(() => new EmbeddingNet({ normalize: 'yes' as never }), /EmbeddingNet: expected options\.normalize to be a boolean/);
  net.dispose();
}));

test.run();
