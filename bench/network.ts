// The reference network end to end, facemetric next to its peers in the same run: one training
// step (batch 64 = 16 people × 4 photos of 64×64×1, EmbeddingNet defaults: conv 32/64/128,
// dense 128, L2-normalised; batch-hard triplet loss, margin 0.2; Adam 1e-3) and inference
// (forward of a batch of 64 in evaluation mode), in images per second. Peers: PyTorch through
// bench/torch_ref.py at 1 and 2 threads; TensorFlow.js wasm and cpu backends (1 thread: the
// wasm backend's threaded build does not run under Node, the cpu backend is plain JS).
// facemetric runs at every count engineThreadCounts() gives (1 until setThreads exists).
import { tidy } from '../src/memory.js';
import { Rng } from '../src/random.js';
import { randn } from '../src/tensor.js';
import { EmbeddingNet } from '../src/nn/embedding-net.js';
import { tripletLoss } from '../src/ops/triplet.js';
import { Adam } from '../src/optim/adam.js';
import { engineThreadCounts, medianMs, ratio, threadLabel, withEngineThreads, type BenchRow, type SuiteOptions } from './common.js';
import { runTorch } from './peers/torch.js';
import { loadTf, tfInference, tfTrainStep, useBackend } from './peers/tfjs.js';

const P = 16, K = 4, BATCH = P * K;
const TRAIN = `train step, batch ${BATCH} (${P}×${K}) batch-hard + Adam`;
const INFER = `inference, batch ${BATCH}`;

/** facemetric's training step and inference on the current engine thread count: images/s. */
export async function facemetricNet(quick: boolean): Promise<{ train: number; infer: number; trainMs: number; inferMs: number }> {
  const rng = new Rng(1);
  const net = new EmbeddingNet({ seed: 1 });
  const opt = new Adam(net.parameters(), { lr: 1e-3 });
  const x = randn([BATCH, 64, 64, 1], rng);
  const labels = Array.from({ length: BATCH }, (_, i) => Math.floor(i / K));
  net.train();
  const trainMs = await medianMs(() => tidy(() => {
    opt.zeroGrad();
    const { loss } = tripletLoss(net.forward(x), labels, { margin: 0.2, miner: 'hard' });
    loss.backward();
    opt.step();
  }), quick ? 3 : 10, quick ? 1 : 2);
  const inferMs = await medianMs(() => net.embed(x, BATCH).dispose(), quick ? 5 : 20, 2);
  opt.dispose(); net.dispose(); x.dispose();
  return { train: (1000 * BATCH) / trainMs, infer: (1000 * BATCH) / inferMs, trainMs, inferMs };
}

export async function suite(o: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ours = new Map<number, { train: number; infer: number }>();
  for (const n of await engineThreadCounts()) {
    const r = await withEngineThreads(n, () => facemetricNet(o.quick));
    ours.set(n, r);
    rows.push({ name: TRAIN, impl: 'facemetric', ms: r.trainMs, rate: r.train, unit: 'images/s', threads: n, key: `train.facemetric.${n}` });
    rows.push({ name: INFER, impl: 'facemetric', ms: r.inferMs, rate: r.infer, unit: 'images/s', threads: n, key: `infer.facemetric.${n}` });
  }
  const peerRows: BenchRow[] = [];

  // PyTorch at 1 and 2 threads.
  const torch = runTorch([1, 2], o.quick);
  for (const n of [1, 2]) {
    if ('error' in torch) {
      peerRows.push({ name: TRAIN, impl: 'PyTorch', ms: NaN, threads: n, note: torch.error, key: `train.torch.${n}` });
      peerRows.push({ name: INFER, impl: 'PyTorch', ms: NaN, threads: n, note: torch.error, key: `infer.torch.${n}` });
      continue;
    }
    const t = torch.threads[String(n)];
    const impl = `PyTorch ${torch.torch}${torch.mkldnn ? ' (oneDNN)' : ''}`;
    const me = ours.get(n);
    const vs = (a: number | undefined, b: number) => (me ? `facemetric ${threadLabel(n)}: ${ratio(a, b)}` : `facemetric has no ${threadLabel(n)} row yet`);
    peerRows.push({ name: TRAIN, impl, ms: t.train_ms, rate: t.train_ips, unit: 'images/s', threads: n, key: `train.torch.${n}`, note: vs(me?.train, t.train_ips) });
    peerRows.push({ name: INFER, impl, ms: t.infer_ms, rate: t.infer_ips, unit: 'images/s', threads: n, key: `infer.torch.${n}`, note: vs(me?.infer, t.infer_ips) });
  }

  // TensorFlow.js, wasm and cpu backends (1 thread each). The machine may be shared: facemetric
  // is measured again right before them (1 thread) and their ratios use that measurement.
  const tfl = await loadTf();
  let me1 = ours.get(1);
  if (tfl.tf) {
    const r = await facemetricNet(o.quick);
    me1 = r;
    peerRows.push({ name: TRAIN, impl: 'facemetric (again, next to TF.js)', ms: r.trainMs, rate: r.train, unit: 'images/s', threads: 1, key: 'train.facemetric.1.tfjs' });
    peerRows.push({ name: INFER, impl: 'facemetric (again, next to TF.js)', ms: r.inferMs, rate: r.infer, unit: 'images/s', threads: 1, key: 'infer.facemetric.1.tfjs' });
  }
  for (const b of ['wasm', 'cpu'] as const) {
    const impl = `TensorFlow.js ${tfl.version} ${b}`;
    if (!tfl.tf || !tfl.backends.includes(b) || !(await useBackend(tfl.tf, b))) {
      const why = !tfl.tf ? tfl.error ?? 'not installed' : !tfl.backends.includes(b) ? tfl.error ?? `backend ${b} missing` : `backend ${b} did not start`;
      peerRows.push({ name: INFER, impl: `TensorFlow.js ${b}`, ms: NaN, threads: 1, note: why, key: `infer.tfjs-${b}` });
      peerRows.push({ name: TRAIN, impl: `TensorFlow.js ${b}`, ms: NaN, threads: 1, note: why, key: `train.tfjs-${b}` });
      continue;
    }
    // The cpu backend runs at about 0.5 GFLOP/s: a smaller batch for the forward (images/s does
    // not depend on it), one timed training step, none with --quick.
    const fb = b === 'cpu' ? (o.quick ? 4 : 16) : BATCH;
    // wasm: the faster of two medians (one full run measured this forward at 2.1× the sum of its own
    // conv2d kernel rows, a slow spell of the shared machine; the peer keeps its better figure).
    const runs = b === 'cpu' ? (o.quick ? 1 : 2) : (o.quick ? 3 : 10);
    let inf = await tfInference(tfl.tf, fb, runs);
    if (b === 'wasm') {
      const again = await tfInference(tfl.tf, fb, runs);
      if (again.ms < inf.ms) inf = again;
    }
    peerRows.push({ name: INFER, impl, ms: inf.ms * (BATCH / fb), rate: inf.ips, unit: 'images/s', threads: 1, key: `infer.tfjs-${b}`,
      note: `facemetric 1 thread: ${ratio(me1?.infer, inf.ips)}${fb !== BATCH ? `; timed at batch ${fb}, ms scaled to ${BATCH}` : ''}${b === 'wasm' ? '; the faster of 2 medians' : ''}` });
    if (b === 'cpu' && !o.flags?.includes('--tfjs-cpu-train')) {
      // Its conv2d backward runs at a few MFLOP/s: a step of batch 64 takes about half an hour.
      peerRows.push({ name: TRAIN, impl, ms: NaN, threads: 1, key: `train.tfjs-${b}`,
        note: 'not run by default: the cpu backend\'s conv2d backward is ~40× slower than its forward (2 images of layer 2: 0.55 s forward, 44 s forward + backward, measured once on this machine while it was shared), about half an hour per step of 64; --tfjs-cpu-train times one step at batch 4 (2×2)' });
      continue;
    }
    const tr = b === 'cpu' ? await tfTrainStep(tfl.tf, 1, { P: 2, K: 2, warmup: 0 }) : await tfTrainStep(tfl.tf, o.quick ? 2 : 5);
    peerRows.push({ name: TRAIN, impl, ms: tr.ms, rate: tr.ips, unit: 'images/s', threads: 1, key: `train.tfjs-${b}`,
      note: tr.note ?? `facemetric 1 thread: ${ratio(me1?.train, tr.ips)}${tr.batch !== BATCH ? `; timed at batch ${tr.batch} (one step, no warm-up), ms per step of ${tr.batch}` : ''}` });
  }
  return [...rows, ...peerRows];
}
