import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, randn, tensor } from '../../src/tensor.js';
import { tidy } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { mseLoss } from '../../src/ops/loss.js';
import { Adam } from '../../src/optim/adam.js';
import { Autoencoder, moduleFromConfig } from '../../src/nn/index.js';

const bits = (t: Tensor) => Array.from(new Uint32Array(t.toFloat32Array().buffer));

/** n smooth h×w images (sums of a few random gradients and blobs) in [0, 1]. */
function smoothImages(n: number, h: number, w: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const d = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const a = rng.uniform(-1, 1), b = rng.uniform(-1, 1), cy = rng.uniform(0, h), cx = rng.uniform(0, w), r = rng.uniform(1, h / 2);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const blob = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r));
        d[(i * h + y) * w + x] = 0.5 + 0.2 * (a * y / h + b * x / w) + 0.3 * blob;
      }
    }
  }
  return tensor(d, [n, h, w, 1]);
}

test('default: 64×64×1, blocks [32,64,128], bottleneck 128: names and shapes', () => tidy(() => {
  const ae = new Autoencoder({ seed: 1 });
  assert.equal(ae.namedParameters().map(([n, t]) => `${n}[${t.shape}]`), [
    'encoder.0.conv.w[3,3,1,32]', 'encoder.0.conv.b[32]', 'encoder.1.conv.w[3,3,32,64]', 'encoder.1.conv.b[64]',
    'encoder.2.conv.w[3,3,64,128]', 'encoder.2.conv.b[128]', 'bottleneck.w[8192,128]', 'bottleneck.b[128]',
    'expand.w[128,8192]', 'expand.b[8192]', 'decoder.0.1.w[3,3,128,64]', 'decoder.0.1.b[64]',
    'decoder.1.1.w[3,3,64,32]', 'decoder.1.1.b[32]', 'decoder.2.1.w[3,3,32,32]', 'decoder.2.1.b[32]',
    'output.w[3,3,32,1]', 'output.b[1]',
  ]);
  assert.is(ae.embeddingDim, 128);
  assert.equal(ae.inputShape, [64, 64, 1]);
  const x = randn([2, 64, 64, 1], new Rng(1));
  assert.equal(ae.forward(x).shape, [2, 64, 64, 1]);
  assert.equal(ae.encode(x).shape, [2, 128]);
  ae.dispose();
}));

test('a few Adam steps on tiny images lower the reconstruction MSE; encode() gives [N, bottleneck]', () => {
  const ae = new Autoencoder({ inputShape: [8, 8, 1], blocks: [4, 8], bottleneck: 6, seed: 2 });
  const x = smoothImages(8, 8, 8, 3);
  const opt = new Adam(ae.parameters(), { lr: 3e-3 });
  const losses: number[] = [];
  for (let i = 0; i < 20; i++) {
    losses.push(tidy(() => {
      opt.zeroGrad();
      const loss = mseLoss(ae.forward(x), x);
      loss.backward();
      opt.step();
      return loss.item();
    }));
  }
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses[losses.length - 1] < 0.5 * losses[0], `mse ${losses[0]} → ${losses[losses.length - 1]}`);
  tidy(() => {
    const z = ae.encode(x);
    assert.equal(z.shape, [8, 6]);
    assert.ok(z.requiresGrad, 'encode stays on the graph in training');
    const e = ae.embed(x, 3);
    assert.equal(e.shape, [8, 6]);
    assert.is(e.requiresGrad, false);
    assert.equal(bits(e), bits(z), 'no batch norm or dropout: embed = encode');
    assert.equal(ae.decode(z).shape, [8, 8, 8, 1]);
  });
  opt.dispose(); ae.dispose(); x.dispose();
});

test('stateDict round trip through the config: identical reconstructions bit for bit', () => tidy(() => {
  const a = new Autoencoder({ inputShape: [8, 8, 1], blocks: [2], bottleneck: 3, rng: new Rng(4) });
  const b = moduleFromConfig(JSON.parse(JSON.stringify(a.config()))) as Autoencoder;
  const x = smoothImages(3, 8, 8, 5);
  assert.not.equal(bits(b.forward(x)), bits(a.forward(x)));
  b.loadStateDict(a.stateDict());
  assert.equal(bits(b.forward(x)), bits(a.forward(x)));
  a.dispose(); b.dispose();
}));

test('input-shape and option errors say what was expected', () => tidy(() => {
  const ae = new Autoencoder({ inputShape: [8, 8, 1], blocks: [2], bottleneck: 3, seed: 1 });
  assert.throws(() => ae.forward(randn([1, 8, 4, 1], new Rng(1))), /Autoencoder\.forward: expected input \[N,8,8,1\] \(N images of 8×8 pixels with 1 channel, NHWC\), got shape \[1,8,4,1\]/);
  assert.throws(() => ae.encode(randn([1, 8, 8, 2], new Rng(1))), /Autoencoder\.encode: expected input \[N,8,8,1\]/);
  assert.throws(() => ae.decode(randn([1, 4], new Rng(1))), /Autoencoder\.decode: expected embeddings \[N,3\], got shape \[1,4\]/);
  assert.throws(() => ae.embed(randn([1, 8, 8], new Rng(1))), /Autoencoder\.embed: expected input \[N,8,8,1\]/);
  assert.throws(() => new Autoencoder({ inputShape: [12, 12, 1], blocks: [2, 2, 2] }), /Autoencoder: expected options\.inputShape with H and W divisible by 8 .*got \[12,12,1\]/);
  assert.throws(() => new Autoencoder({ blocks: [] }), /Autoencoder: expected options\.blocks to be a non-empty array/);
  assert.throws(() => new Autoencoder({ bottleneck: 0 }), /Autoencoder: expected options\.bottleneck to be an integer >= 1, got 0/);
  ae.dispose();
}));

test.run();
