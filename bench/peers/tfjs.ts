// TensorFlow.js, the peer a user of JavaScript would otherwise pick: its wasm backend
// (@tensorflow/tfjs-backend-wasm, SIMD, single-threaded: the threaded build does not run under
// Node) and its cpu backend (plain JS), in the same process as facemetric. The reference network
// is built from TF.js ops exactly as src/nn EmbeddingNet's defaults (64×64×1, three blocks of 3×3
// 'same' conv with bias → ReLU → 2×2 max-pool with 32/64/128 filters, flatten, dense 128 with
// bias, L2-normalise); the training step is the batch-hard triplet loss (Euclidean, margin 0.2,
// summed) on 16 people × 4 photos and Adam 1e-3, as facemetric's. A backend that cannot run a
// step (the wasm backend has no Conv2DBackpropFilter kernel) gives a row with the error as note.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { loadPeer, medianMs, gflops, type BenchRow } from '../common.js';

type Tf = any;
type T = any;

export type TfBackend = 'wasm' | 'cpu';

let tfLoad: Promise<{ tf: Tf; version: string; backends: TfBackend[]; error?: string }> | undefined;

/** Loads @tensorflow/tfjs and registers the wasm backend when it is installed. */
export function loadTf(): Promise<{ tf: Tf; version: string; backends: TfBackend[]; error?: string }> {
  tfLoad ??= (async () => {
    const core = await loadPeer<Tf>('@tensorflow/tfjs');
    if (!core.ok) return { tf: null, version: '', backends: [], error: core.error };
    const tf = core.mod;
    const backends: TfBackend[] = [];
    const wasm = await loadPeer<unknown>('@tensorflow/tfjs-backend-wasm');
    if (wasm.ok && tf.findBackendFactory('wasm')) backends.push('wasm');
    backends.push('cpu');
    return { tf, version: core.version, backends, error: wasm.ok ? undefined : `tfjs-backend-wasm ${wasm.error}` };
  })();
  return tfLoad;
}

/** Switches the backend; false when it cannot start. */
export async function useBackend(tf: Tf, b: TfBackend): Promise<boolean> {
  const ok = await tf.setBackend(b);
  await tf.ready();
  return ok && tf.getBackend() === b;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
}

/** The reference network's variables (He-like scaled uniform; the values do not matter for speed). */
function makeNet(tf: Tf) {
  const r = lcg(5);
  const v = (shape: number[], fanIn: number) => {
    const n = shape.reduce((a, b) => a * b, 1), data = new Float32Array(n), s = Math.sqrt(6 / fanIn);
    for (let i = 0; i < n; i++) data[i] = 2 * s * r();
    return tf.variable(tf.tensor(data, shape));
  };
  const convs = [[1, 32], [32, 64], [64, 128]].map(([c, o]) => ({ w: v([3, 3, c, o], 9 * c), b: tf.variable(tf.zeros([o])) }));
  const dw = v([8192, 128], 8192), db = tf.variable(tf.zeros([128]));
  const vars = [...convs.flatMap((c) => [c.w, c.b]), dw, db];
  const forward = (x: T): T => {
    let h = x;
    for (const c of convs) h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c.w, 1, 'same'), c.b)), 2, 2, 'valid');
    const e = tf.add(tf.matMul(tf.reshape(h, [h.shape[0], 8192]), dw), db);
    return tf.div(e, tf.sqrt(tf.maximum(tf.sum(tf.square(e), 1, true), 1e-24)));
  };
  return { vars, forward, dispose: () => vars.forEach((x) => x.dispose()) };
}

function images(tf: Tf, n: number): T {
  const r = lcg(9), data = new Float32Array(n * 64 * 64);
  for (let i = 0; i < data.length; i++) data[i] = r() + 0.5;
  return tf.tensor(data, [n, 64, 64, 1]);
}

/** Batch-hard triplet loss (Euclidean, margin 0.2, summed) for a P×K batch labelled i / K. */
function batchHard(tf: Tf, e: T, n: number, K: number): T {
  const pos = new Float32Array(n * n), negBig = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const same = Math.floor(i / K) === Math.floor(j / K);
    pos[i * n + j] = same && i !== j ? 1 : 0;
    negBig[i * n + j] = same ? 1e9 : 0;
  }
  const sq = tf.sum(tf.square(e), 1, true);
  const d2 = tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(2, tf.matMul(e, e, false, true)));
  const dist = tf.sqrt(tf.maximum(d2, 1e-12));
  const hp = tf.max(tf.mul(dist, tf.tensor(pos, [n, n])), 1);
  const hn = tf.min(tf.add(dist, tf.tensor(negBig, [n, n])), 1);
  return tf.sum(tf.relu(tf.add(tf.sub(hp, hn), 0.2)));
}

export interface NetResult { ips: number; ms: number; batch: number; note?: string }

/** Forward of the reference network on `batch` images: images/s (median of `runs`). */
export async function tfInference(tf: Tf, batch: number, runs: number): Promise<NetResult> {
  const net = makeNet(tf), x = images(tf, batch);
  const ms = await medianMs(() => { const y = tf.tidy(() => net.forward(x)); y.dataSync(); y.dispose(); }, runs);
  net.dispose(); x.dispose();
  return { ips: (1000 * batch) / ms, ms, batch };
}

/** One training step (forward, batch-hard loss, backward, Adam 1e-3) on P × K images (default 16 × 4). */
export async function tfTrainStep(tf: Tf, runs: number, { P = 16, K = 4, warmup = 1 } = {}): Promise<NetResult> {
  const n = P * K;
  const net = makeNet(tf), x = images(tf, n), opt = tf.train.adam(1e-3);
  try {
    const ms = await medianMs(() => {
      const loss = opt.minimize(() => batchHard(tf, net.forward(x), n, K), true, net.vars);
      loss.dataSync(); loss.dispose();
    }, runs, warmup);
    return { ips: (1000 * n) / ms, ms, batch: n };
  } catch (e) {
    return { ips: NaN, ms: NaN, batch: n, note: `cannot train: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    opt.dispose(); net.dispose(); x.dispose();
  }
}

/** tf.matMul m×k · k×n in GFLOP/s. */
export async function tfMatMul(tf: Tf, size: number, runs: number): Promise<{ ms: number; gflops: number }> {
  const a = tf.randomNormal([size, size], 0, 1, 'float32', 1), b = tf.randomNormal([size, size], 0, 1, 'float32', 2);
  const ms = await medianMs(() => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); }, runs);
  a.dispose(); b.dispose();
  return { ms, gflops: gflops(2 * size ** 3, ms) };
}

/** tf.conv2d forward (stride 1, 'same') of x [N,H,W,C] with w [3,3,C,O], GFLOP/s. */
export async function tfConv2d(tf: Tf, x: number[], w: number[], runs: number): Promise<{ ms: number; gflops: number }> {
  const xt = tf.randomNormal(x, 0, 1, 'float32', 3), wt = tf.randomNormal(w, 0, 1, 'float32', 4);
  const ms = await medianMs(() => { const y = tf.conv2d(xt, wt, 1, 'same'); y.dataSync(); y.dispose(); }, runs);
  xt.dispose(); wt.dispose();
  const flops = 2 * x[0] * x[1] * x[2] * w[0] * w[1] * w[2] * w[3];
  return { ms, gflops: gflops(flops, ms) };
}

/** "not installed" rows when TF.js is absent. */
export function tfMissingRows(names: string[], why: string): BenchRow[] {
  return names.map((name) => ({ name, impl: 'TensorFlow.js', ms: NaN, note: why }));
}
