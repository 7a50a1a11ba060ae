import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, randn, tensor, type Shape } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { dense, matmul } from '../../src/ops/dense.js';
import { relu } from '../../src/ops/activation.js';
import { maxPool2d, avgPool2d } from '../../src/ops/pool.js';
import { reshape } from '../../src/ops/elementwise.js';
import { l2Normalize } from '../../src/ops/normalize.js';
import { batchNorm } from '../../src/ops/batchnorm.js';
import { dropout } from '../../src/ops/dropout.js';
import { upsampleNearest } from '../../src/ops/upsample.js';
import {
  Module, Conv2d, Dense, ReLU, MaxPool2d, AvgPool2d, Flatten, Reshape, L2Normalize, BatchNorm, Dropout, UpsampleNearest, CosineClassifier,
  Sequential, ConvBlock, EmbeddingNet, Autoencoder, moduleFromConfig, moduleTypes,
  heNormal, heUniform, glorotUniform, glorotNormal, computeFans, seedModules,
} from '../../src/nn/index.js';

const bits = (t: Tensor) => Array.from(new Uint32Array(t.toFloat32Array().buffer));
const gradOf = (t: Tensor) => t.grad as Tensor;
const x4 = (shape: Shape, seed = 1) => randn(shape, new Rng(seed));

test('Conv2d forward = conv2d(x, w, b) with its stride and padding, bit for bit', () => tidy(() => {
  for (const [padding, stride] of [['same', 1], ['valid', 2], [1, [1, 2]]] as const) {
    const c = new Conv2d({ inChannels: 3, outChannels: 5, kernelSize: [3, 2], stride, padding, seed: 4 });
    const x = x4([2, 7, 6, 3]);
    assert.equal(bits(c.forward(x)), bits(conv2d(x, c.w, c.b, { stride, padding })), `padding ${padding}`);
    c.dispose();
  }
  const nb = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 1, bias: false, seed: 1 });
  assert.is(nb.b, null);
  assert.equal(nb.namedParameters().map(([n]) => n), ['w']);
  const x = x4([1, 3, 3, 2]);
  assert.equal(bits(nb.forward(x)), bits(conv2d(x, nb.w, null)));
  nb.dispose();
}));

test('Conv2d.forwardMaxPool and BatchNorm.forwardMaxPool = the layer, a 2×2 max-pool (and ReLU), bit for bit; errors name the method', () => tidy(() => {
  const c = new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: 'same', seed: 2 });
  const bn = new BatchNorm({ numFeatures: 8 });
  const x = x4([2, 7, 6, 4]);
  for (const withRelu of [false, true]) {
    const want = (h: Tensor) => { const p = maxPool2d(h, { size: 2 }); return withRelu ? relu(p) : p; };
    assert.equal(bits(c.forwardMaxPool(x, withRelu)), bits(want(c.forward(x))), `conv, relu ${withRelu}`);
    bn.eval();
    const h = c.forward(x);
    assert.equal(bits(bn.forwardMaxPool(h, withRelu)), bits(want(bn.forward(h))), `batch norm (evaluation), relu ${withRelu}`);
  }
  assert.throws(() => c.forwardMaxPool(x4([2, 7, 6, 3])), /Conv2d\.forwardMaxPool: expected input \[N,H,W,4\] \(NHWC with 4 channels\), got shape \[2,7,6,3\]/);
  assert.throws(() => bn.forwardMaxPool(x4([2, 8])), /BatchNorm\.forwardMaxPool: expected input \[N,H,W,8\], got shape \[2,8\]/);
  c.dispose(); bn.dispose();
}));

test('Dense forward = dense(x, w, b), bit for bit; without bias too', () => tidy(() => {
  for (const bias of [true, false]) {
    const d = new Dense({ inFeatures: 7, outFeatures: 5, bias, seed: 2 });
    const x = x4([3, 7]);
    assert.equal(bits(d.forward(x)), bits(dense(x, d.w, d.b)));
    assert.is(d.numParameters(), 35 + (bias ? 5 : 0));
    d.dispose();
  }
}));

test('CosineClassifier forward = normalise(x) · normalise(w)ᵀ bit for bit, and equals the cosines in float64', () => tidy(() => {
  const c = new CosineClassifier({ inFeatures: 5, classes: 3, seed: 2 });
  assert.equal([...c.w.shape], [3, 5]);
  assert.is(c.numParameters(), 15);
  const x = tensor(Array.from({ length: 10 }, (_, i) => Math.sin(i + 1) * 3), [2, 5]);
  const y = c.forward(x);
  assert.equal([...y.shape], [2, 3]);
  assert.equal(bits(y), bits(matmul(l2Normalize(x), l2Normalize(c.w), { transB: true })));
  const xv = Array.from(x.data), wv = Array.from(c.w.data);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
    let dot = 0, nx = 0, nw = 0;
    for (let t = 0; t < 5; t++) { dot += xv[i * 5 + t] * wv[j * 5 + t]; nx += xv[i * 5 + t] ** 2; nw += wv[j * 5 + t] ** 2; }
    assert.ok(Math.abs(y.data[i * 3 + j] - dot / Math.sqrt(nx * nw)) < 1e-6, `cos[${i},${j}]`);
  }
  assert.throws(() => c.forward(tensor([1, 2, 3], [1, 3])), /CosineClassifier\.forward: expected input \[N,5\], got shape \[1,3\]/);
  assert.throws(() => new CosineClassifier({ inFeatures: 5, classes: 0 }), /CosineClassifier: expected options\.classes/);
  c.dispose();
}));

test('parameter-free layers = their ops, bit for bit', () => tidy(() => {
  const x = x4([2, 6, 6, 3]);
  assert.equal(bits(new ReLU().forward(x)), bits(relu(x)));
  assert.equal(bits(new MaxPool2d({ size: 2 }).forward(x)), bits(maxPool2d(x, { size: 2 })));
  assert.equal(bits(new MaxPool2d({ size: 3, stride: 2, padding: 'same' }).forward(x)), bits(maxPool2d(x, { size: 3, stride: 2, padding: 'same' })));
  assert.equal(bits(new AvgPool2d({ size: [2, 3] }).forward(x)), bits(avgPool2d(x, { size: [2, 3] })));
  const f = new Flatten().forward(x);
  assert.equal(f.shape, [2, 108]);
  assert.is(f.storage, x.storage);
  assert.equal(new Reshape({ shape: [3, 36] }).forward(x).shape, [2, 3, 36]);
  const m = x4([4, 5]);
  assert.equal(bits(new L2Normalize().forward(m)), bits(l2Normalize(m)));
  assert.equal(bits(new UpsampleNearest({ factor: [2, 1] }).forward(x)), bits(upsampleNearest(x, { factor: [2, 1] })));
  assert.equal(bits(reshape(x, [2, 108])), bits(f));
}));

test('ConvBlock = conv → ReLU → max-pool (and with batch norm), values and every gradient bit for bit', () => tidy(() => {
  for (const batchNorm of [false, true]) {
    const block = new ConvBlock({ inChannels: 3, outChannels: 8, batchNorm, seed: 3 });
    block.train();
    // Inputs with many windows whose largest value is ≤ 0 (the ReLU's dead side) and some ties.
    const xv = x4([2, 6, 8, 3], 4).toFloat32Array().map((v, i) => (i % 7 === 0 ? 0 : Math.round(v * 2) / 2 - 0.25));
    const x = tensor(xv, [2, 6, 8, 3], { requiresGrad: true });
    const dy = x4([2, 3, 4, 8], 5);
    const y = block.forward(x);
    y.backward(dy);
    const got = [bits(y), bits(gradOf(x)), ...block.parameters().map((p) => bits(gradOf(p)))];
    x.grad = null;
    for (const p of block.parameters()) p.grad = null;
    const h = block.bn ? block.bn.forward(block.conv.forward(x)) : block.conv.forward(x);
    const ref = maxPool2d(relu(h), { size: 2 });
    ref.backward(dy);
    const want = [bits(ref), bits(gradOf(x)), ...block.parameters().map((p) => bits(gradOf(p)))];
    got.forEach((g, i) => assert.equal(g, want[i], `${batchNorm ? 'with' : 'without'} batch norm: ${i === 0 ? 'y' : i === 1 ? 'dx' : `gradient of parameter ${i - 2}`}`));
    block.dispose();
  }
}));

test('BatchNorm: batch statistics in training (updating the running ones), running statistics in evaluation', () => tidy(() => {
  const bn = new BatchNorm({ numFeatures: 3, momentum: 0.2 });
  assert.equal(bn.namedParameters().map(([n]) => n), ['gamma', 'beta']);
  assert.equal(bn.namedBuffers().map(([n]) => n), ['runningMean', 'runningVar']);
  const x = x4([2, 4, 4, 3], 5);
  const g = tensor([1, 1, 1]), b = tensor([0, 0, 0]);
  const yTrain = bn.forward(x);
  assert.equal(bits(yTrain), bits(batchNorm(x, g, b, { training: true })));
  assert.ok(bn.runningMean.toArray().some((v) => v !== 0), 'running mean updated');
  bn.eval();
  const rm = bn.runningMean.toArray(), rv = bn.runningVar.toArray();
  const yEval = bn.forward(x);
  assert.equal(bn.runningMean.toArray(), rm, 'running mean unchanged in evaluation');
  assert.equal(bits(yEval), bits(batchNorm(x, g, b, { training: false, runningMean: tensor(rm), runningVar: tensor(rv) })));
  assert.not.equal(bits(yEval), bits(yTrain));
  // Over [N,D] too.
  const d = new BatchNorm({ numFeatures: 5 });
  assert.equal(d.forward(x4([6, 5])).shape, [6, 5]);
  bn.dispose(); d.dispose();
}));

test('Dropout: a fresh seeded mask per forward in training, the identity in evaluation', () => tidy(() => {
  const x = x4([4, 50]);
  const d = new Dropout({ rate: 0.4, seed: 9 });
  const seeds = new Rng(9);
  const y1 = d.forward(x), y2 = d.forward(x);
  assert.equal(bits(y1), bits(dropout(x, { rate: 0.4, seed: seeds.nextU32() })));
  assert.equal(bits(y2), bits(dropout(x, { rate: 0.4, seed: seeds.nextU32() })));
  assert.not.equal(bits(y1), bits(y2));
  d.eval();
  assert.is(d.forward(x), x);
  // The same seed gives the same sequence of masks.
  const e = new Dropout({ rate: 0.4, seed: 9 });
  assert.equal(bits(e.forward(x)), bits(y1));
}));

test('initialisers: fans, scale, seeds', () => {
  assert.equal(computeFans([3, 3, 16, 32]), { fanIn: 144, fanOut: 288 });
  assert.equal(computeFans([100, 10]), { fanIn: 100, fanOut: 10 });
  const std = (t: Tensor) => { const d = t.data; let s = 0, q = 0; for (const v of d) { s += v; q += v * v; } const m = s / d.length; return Math.sqrt(q / d.length - m * m); };
  const maxAbs = (t: Tensor) => t.toArray().reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  tidy(() => {
    const shape = [5, 5, 40, 64];
    const fanIn = 1000, fanOut = 1600;
    assert.ok(Math.abs(std(heNormal(shape, new Rng(1))) / Math.sqrt(2 / fanIn) - 1) < 0.02);
    assert.ok(Math.abs(std(glorotNormal(shape, new Rng(1))) / Math.sqrt(2 / (fanIn + fanOut)) - 1) < 0.02);
    const hu = heUniform(shape, new Rng(1)), gu = glorotUniform(shape, new Rng(1));
    assert.ok(maxAbs(hu) <= Math.sqrt(6 / fanIn) && maxAbs(hu) > 0.99 * Math.sqrt(6 / fanIn));
    assert.ok(maxAbs(gu) <= Math.sqrt(6 / (fanIn + fanOut)) && maxAbs(gu) > 0.99 * Math.sqrt(6 / (fanIn + fanOut)));
    assert.ok(Math.abs(std(hu) / Math.sqrt(2 / fanIn) - 1) < 0.02);
  });
});

test('same seed → identical weights bit for bit; different seed → different; init option is honoured', () => {
  const a = new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, seed: 11 });
  const b = new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, seed: 11 });
  const c = new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, seed: 12 });
  assert.equal(bits(a.w), bits(b.w));
  assert.not.equal(bits(a.w), bits(c.w));
  assert.ok(a.b?.toArray().every((v) => v === 0), 'biases start at zero');
  const g = new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, seed: 11, init: 'glorotUniform' });
  assert.not.equal(bits(g.w), bits(a.w));
  // A shared generator: layers draw in order, so the same generator seed rebuilds the same pair.
  const pair = (s: number) => { const rng = new Rng(s); return [new Dense({ inFeatures: 3, outFeatures: 2, rng }), new Dense({ inFeatures: 3, outFeatures: 2, rng })]; };
  const [p1, p2] = pair(5), [q1, q2] = pair(5);
  assert.equal(bits(p1.w), bits(q1.w));
  assert.equal(bits(p2.w), bits(q2.w));
  assert.not.equal(bits(p1.w), bits(p2.w));
  assert.is(p1.config().seed, undefined, 'no seed recorded with a shared generator');
  // Without seed or generator: seeds from the default sequence, recorded in the config.
  seedModules(3);
  const u = new Dense({ inFeatures: 3, outFeatures: 2 });
  seedModules(3);
  const v = new Dense({ inFeatures: 3, outFeatures: 2 });
  assert.type(u.config().seed, 'number');
  assert.equal(bits(u.w), bits(v.w));
  for (const m of [a, b, c, g, p1, p2, q1, q2, u, v]) m.dispose();
});

/** One instance of every registered type, with non-default options where they exist. */
function everyLayer(): Module[] {
  return [
    new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: [3, 1], stride: [2, 1], padding: [1, 0, 0, 1], bias: false, init: 'glorotNormal', seed: 1 }),
    new Dense({ inFeatures: 4, outFeatures: 2, init: 'heUniform', seed: 2 }),
    new ReLU(),
    new MaxPool2d({ size: 3, stride: 2, padding: 'same' }),
    new AvgPool2d({ size: [2, 1] }),
    new Flatten(),
    new Reshape({ shape: [2, 8] }),
    new L2Normalize({ eps: 1e-6 }),
    new BatchNorm({ numFeatures: 4, momentum: 0.3, eps: 1e-3 }),
    new Dropout({ rate: 0.25, seed: 3 }),
    new UpsampleNearest({ factor: [2, 3] }),
    new Sequential(new Dense({ inFeatures: 2, outFeatures: 2, seed: 4 }), new ReLU()),
    new ConvBlock({ inChannels: 1, outChannels: 2, batchNorm: true, pool: 0, kernelSize: 5, seed: 5 }),
    new EmbeddingNet({ inputShape: [8, 8, 1], blocks: [2], embeddingDim: 3, normalize: false, batchNorm: true, dropout: 0.1, seed: 6 }),
    new Autoencoder({ inputShape: [4, 4, 1], blocks: [2], bottleneck: 3, seed: 7 }),
    new CosineClassifier({ inFeatures: 4, classes: 3, seed: 8 }),
  ];
}

test('config → JSON → moduleFromConfig for every layer type: same class, same config, same weights', () => {
  const layers = everyLayer();
  const types = new Set(layers.map((m) => m.config().type));
  for (const t of ['Conv2d', 'Dense', 'ReLU', 'MaxPool2d', 'AvgPool2d', 'Flatten', 'Reshape', 'L2Normalize', 'BatchNorm', 'Dropout',
    'UpsampleNearest', 'Sequential', 'ConvBlock', 'EmbeddingNet', 'Autoencoder', 'CosineClassifier']) {
    assert.ok(types.has(t), `${t} covered`);
    assert.ok(moduleTypes().includes(t), `${t} registered`);
  }
  for (const m of layers) {
    const config = m.config();
    const copy = moduleFromConfig(JSON.parse(JSON.stringify(config)));
    assert.is(copy.constructor, m.constructor);
    assert.equal(copy.config(), config, config.type);
    const a = m.stateDict(), b = copy.stateDict();
    assert.equal(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) assert.equal(Array.from(b[k].data), Array.from(a[k].data), `${config.type} ${k}`);
    m.dispose(); copy.dispose();
  }
});

test('layer option errors name the layer, the option and the value', () => {
  assert.throws(() => new Conv2d({ inChannels: 0, outChannels: 1, kernelSize: 3 }), /Conv2d: expected options\.inChannels to be an integer >= 1, got 0/);
  assert.throws(() => new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: [3, 3, 3] as never }), /Conv2d: expected options\.kernelSize to be an integer >= 1 or a pair/);
  assert.throws(() => new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, padding: 'full' as never }), /Conv2d: expected options\.padding to be 'same', 'valid'/);
  assert.throws(() => new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, init: 'xavier' as never }), /Conv2d: expected options\.init to be one of 'heNormal', 'heUniform', 'glorotUniform', 'glorotNormal', got "xavier"/);
  assert.throws(() => new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, seed: -1 }), /Conv2d: expected options\.seed to be an integer in \[0, 4294967295\], got -1/);
  assert.throws(() => new Dense({ inFeatures: 2, outFeatures: 2, rng: {} as never }), /Dense: expected options\.rng to be an Rng/);
  assert.throws(() => new Dense({ inFeatures: 2, outFeatures: 2, bias: 1 as never }), /Dense: expected options\.bias to be a boolean, got 1/);
  assert.throws(() => new Dense(undefined as never), /Dense: expected options \{ inFeatures, outFeatures/);
  assert.throws(() => new MaxPool2d({ size: 0 }), /MaxPool2d: expected options\.size to be an integer >= 1, got 0/);
  assert.throws(() => new AvgPool2d({ size: 2, padding: 'full' as never }), /AvgPool2d: expected options\.padding to be one of 'valid', 'same'/);
  assert.throws(() => new BatchNorm({ numFeatures: 2, momentum: 1.5 }), /BatchNorm: expected options\.momentum to be a finite number in \[0, 1\], got 1.5/);
  assert.throws(() => new Dropout({ rate: 1 }), /Dropout: expected options\.rate to be in \[0, 1\), got 1/);
  assert.throws(() => new Reshape({ shape: [2, 0] }), /Reshape: expected options\.shape\[1\] to be an integer >= 1, got 0/);
  assert.throws(() => new UpsampleNearest({ factor: 0 }), /UpsampleNearest: expected factor to be an integer >= 1, got 0/);
});

test('input-shape errors name the layer, what it expects and what it got', () => tidy(() => {
  const c = new Conv2d({ inChannels: 3, outChannels: 2, kernelSize: 3, seed: 1 });
  assert.throws(() => c.forward(x4([1, 5, 5, 1])), /Conv2d\.forward: expected input \[N,H,W,3\] \(NHWC with 3 channels\), got shape \[1,5,5,1\]/);
  assert.throws(() => c.forward(x4([5, 5, 3])), /Conv2d\.forward: expected input \[N,H,W,3\].*got shape \[5,5,3\]/);
  const d = new Dense({ inFeatures: 4, outFeatures: 2, seed: 1 });
  assert.throws(() => d.forward(x4([2, 5])), /Dense\.forward: expected input \[N,4\], got shape \[2,5\]/);
  assert.throws(() => new BatchNorm({ numFeatures: 4 }).forward(x4([2, 3])), /BatchNorm\.forward: expected input with 4 features on the last axis \(\[N,4\] or \[N,H,W,4\]\), got shape \[2,3\]/);
  assert.throws(() => new L2Normalize().forward(x4([2, 3, 1])), /L2Normalize\.forward: expected input \[N,D\], got shape \[2,3,1\]/);
  assert.throws(() => new Reshape({ shape: [5] }).forward(x4([2, 4])), /Reshape\.forward: expected input \[N,…\] with 5 values per sample/);
  assert.throws(() => new Flatten().forward(3 as never), /Flatten\.forward: expected a Tensor, got 3/);
  assert.throws(() => new MaxPool2d({ size: 2 }).forward(x4([2, 4])), /maxPool2d: expected input of rank 4/);
  c.dispose(); d.dispose();
}));

test.run();
