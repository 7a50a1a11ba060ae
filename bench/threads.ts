// Threads benchmark (`node dist/bench/threads.js [--quick] [--threads 1,2,4] [--only NAME]`): each workload at
// 1 thread and at the other counts, in the same run, with the ratio to 1 thread: gemm 1024³; the
// reference network's three conv layers (batch 64, 3×3, same padding) forward and forward +
// backward; the reference training step (batch 64 of 64×64×1, conv 32/64/128, dense 128,
// L2-normalised, batch-hard triplet, Adam) and inference, in images per second; kNN over
// 100,000 × 128, one query and a batch of 1,000 (k = 10), in queries per second. The load
// average is printed first: on a machine whose cores are busy with other work the ratios say
// little. The last column ("split on 1 core") runs the parts of the largest thread count one
// after the other on the calling thread: its ratio to 1 thread is what splitting costs in
// repeated work (packing, padding), whatever the machine's load; 2 threads can at best reach
// 2 × that ratio.
import { loadavg, availableParallelism } from 'node:os';
import { Rng } from '../src/random.js';
import { randn, parameter, Tensor } from '../src/tensor.js';
import { tidy } from '../src/memory.js';
import { matmul } from '../src/ops/dense.js';
import { conv2d } from '../src/ops/conv2d.js';
import { mul, sum } from '../src/ops/elementwise.js';
import { backward } from '../src/autograd.js';
import { EmbeddingNet } from '../src/nn/embedding-net.js';
import { tripletLoss } from '../src/ops/triplet.js';
import { Adam } from '../src/optim/adam.js';
import { Gallery } from '../src/metric/gallery.js';
import { getThreads, setInlineParts, setThreads } from '../src/threads.js';
import { timeIt } from './common.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const ti = args.indexOf('--threads');
const counts = ti >= 0 ? args[ti + 1].split(',').map(Number) : [1, 2];
if (counts[0] !== 1) counts.unshift(1);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';

interface Work { name: string; unit: string; perCall: number; fn: () => void; minTimeMs?: number }

async function measure(w: Work): Promise<void> {
  if (only && !w.name.includes(only)) return;
  const cells: string[] = [];
  let base = 0;
  for (const t of counts) {
    setThreads(t);
    const ms = await timeIt(`${w.name} t=${t}`, w.fn, { quick, minTimeMs: w.minTimeMs });
    if (t === 1) base = ms;
    const rate = w.perCall / (ms / 1000);
    cells.push(`${t}T ${ms.toFixed(2)} ms ${fmt(rate)} ${w.unit}${t === 1 ? '' : ` ×${(base / ms).toFixed(2)}`}`);
  }
  setInlineParts(true);
  try {
    const ms = await timeIt(`${w.name} inline`, w.fn, { quick, minTimeMs: w.minTimeMs });
    cells.push(`split on 1 core ×${(base / ms).toFixed(2)}`);
  } finally {
    setInlineParts(false);
  }
  console.log(`${w.name.padEnd(34)} ${cells.join('   ')}`);
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const [l1, l5] = loadavg();
console.log(`facemetric threads bench: ${availableParallelism()} cores, load average ${l1.toFixed(2)} (1 min) ${l5.toFixed(2)} (5 min), ` +
  `default threads ${getThreads()}, counts ${counts.join(',')}${quick ? ', quick' : ''}`);
const rng = new Rng(1);

// gemm 1024³.
{
  const n = 1024;
  const a = randn([n, n], rng), b = randn([n, n], rng);
  await measure({ name: 'gemm 1024³', unit: 'GFLOP/s', perCall: 2 * n ** 3 / 1e9, fn: () => tidy(() => { matmul(a, b); }) });
  a.dispose(); b.dispose();
}

// The reference network's conv layers.
for (const [h, c, o] of [[64, 1, 32], [32, 32, 64], [16, 64, 128]]) {
  const x = parameter(randn([64, h, h, c], rng)), w = parameter(randn([3, 3, c, o], rng, 0.1));
  const flops = 2 * 64 * h * h * 9 * c * o / 1e9;
  const label = `conv ${h}×${h}×${c}→${o} b64`;
  await measure({ name: `${label} fwd`, unit: 'GFLOP/s', perCall: flops, fn: () => tidy(() => { conv2d(x, w, undefined, { padding: 'same' }); }) });
  const dy = randn([64, h, h, o], rng);
  await measure({
    name: `${label} fwd+bwd`, unit: 'GFLOP/s', perCall: 3 * flops, fn: () => tidy(() => {
      x.grad = null; w.grad = null;
      backward(sum(mul(conv2d(x, w, undefined, { padding: 'same' }), dy)));
    }),
  });
  x.grad = null; w.grad = null;
  x.dispose(); w.dispose(); dy.dispose();
}

// The reference training step and inference.
{
  const net = new EmbeddingNet({ seed: 1 });
  const opt = new Adam(net.parameters(), { lr: 1e-3 });
  const x = randn([64, 64, 64, 1], rng);
  const labels = Array.from({ length: 64 }, (_, i) => i >> 2);
  await measure({
    name: 'train step b64 batch-hard Adam', unit: 'img/s', perCall: 64, minTimeMs: quick ? 1000 : 4000, fn: () => tidy(() => {
      opt.zeroGrad();
      tripletLoss(net.forward(x), labels, { margin: 0.3, miner: 'hard' }).loss.backward();
      opt.step();
    }),
  });
  const xi = randn([256, 64, 64, 1], rng);
  await measure({ name: 'inference 256 images', unit: 'img/s', perCall: 256, fn: () => { (net.embed(xi) as Tensor).dispose(); } });
  opt.dispose(); net.dispose(); x.dispose(); xi.dispose();
}

// kNN over 100,000 × 128.
{
  const N = 100_000, D = 128, Q = 1000;
  const g = new Float32Array(N * D);
  for (let i = 0; i < g.length; i++) g[i] = rng.normal();
  const gallery = new Gallery({ dim: D });
  gallery.add(g, Array.from({ length: N }, (_, i) => `p${i % 10_000}`));
  const q = new Float32Array(Q * D);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  const one = q.subarray(0, D);
  await measure({ name: `knn ${N}×${D} 1 query k=10`, unit: 'q/s', perCall: 1, fn: () => { gallery.search(one, 10); } });
  await measure({ name: `knn ${N}×${D} batch ${Q} k=10`, unit: 'q/s', perCall: Q, fn: () => { gallery.search(q, 10); }, minTimeMs: quick ? 200 : 1000 });
  gallery.dispose();
}
const [e1] = loadavg();
console.log(`load average at the end: ${e1.toFixed(2)}`);
