// The kernels that gemm.ts, conv2d.ts and knn.ts do not cover, each as a fraction of a ceiling
// measured in the same run (common.ts): max-pooling (forward and backward at the reference
// network's first pool, memory-bound: GB/s against the memory stream), L2-normalise (forward and
// backward over 65,536 rows of 128, memory-bound), the triplet loss (pairwise distances of a
// batch of 64 × 128, the batch-hard miner, and the whole op forward + backward; compute in
// GFLOP/s against the micro-kernel peak) and the diameter of one person's 1,000 photos of 128
// (all 499,500 pairs, compute-bound). Flops of a distance count 3 per element (subtract,
// multiply, add), as the kernels do them. All rows: 1 thread.
import { Storage, tidy } from '../src/memory.js';
import { kernels } from '../src/wasm.js';
import { Rng } from '../src/random.js';
import { randn, parameter } from '../src/tensor.js';
import { tripletLoss } from '../src/ops/triplet.js';
import { ceilingRows, gbps, gflops, microKernelPeak, streamBandwidth, timeIt, type BenchRow, type SuiteOptions } from './common.js';

interface K {
  maxpool2d_fwd_f32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, y: number, argmax: number): void;
  maxpool2d_fwd_inference_f32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, y: number): void;
  maxpool2d_bwd_f32(dy: number, argmax: number, n: number, h: number, w: number, c: number, oh: number, ow: number, dx: number): void;
  maxpool2d_bwd_tiled_f32(dy: number, argmax: number, n: number, h: number, w: number, c: number, kh: number, kw: number, oh: number, ow: number, dx: number): void;
  l2normalize_fwd_f32(x: number, rows: number, d: number, eps: number, y: number, norms: number): void;
  l2normalize_bwd_f32(y: number, dy: number, norms: number, rows: number, d: number, eps: number, dx: number): void;
  pairwise_dist_f32(x: number, n: number, d: number, squared: number, i0: number, i1: number, y: number): void;
  pairwise_dist_bwd_f32(x: number, n: number, d: number, dist: number, g: number, squared: number, i0: number, i1: number, dx: number): void;
  triplet_hard_f32(dist: number, labels: number, n: number, margin: number, a0: number, a1: number, stats: number, coef: number): void;
  diameter_f32(g: number, d: number, idx: number, b0: number, b1: number, out: number): void;
}

function filled(n: number, rng: Rng, scale = 1): Storage {
  const s = new Storage(n);
  const v = s.f32view();
  for (let i = 0; i < n; i++) v[i] = scale * rng.normal();
  return s;
}

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;

export async function suite(o: SuiteOptions): Promise<BenchRow[]> {
  const k = kernels<K>();
  const rng = new Rng(3);
  const opts = { quick: o.quick };
  const rows: BenchRow[] = await ceilingRows(o.quick);
  const peak = await microKernelPeak(o.quick), stream = await streamBandwidth(o.quick);
  const best = Math.max(stream.read, stream.copy);
  const ofStream = (g: number) => `${pct(g, best)} of the memory stream (${best.toFixed(1)} GB/s, the faster of sum and copy)`;
  const ofPeak = (g: number) => `${pct(g, peak)} of the micro-kernel peak`;

  // Max-pool 2×2 stride 2 after the first conv block: [64, 64, 64, 32] → [64, 32, 32, 32].
  {
    const N = 64, H = 64, W = 64, C = 32, OH = 32, OW = 32;
    const x = filled(N * H * W * C, rng), y = new Storage(N * OH * OW * C), am = new Storage(N * OH * OW * C);
    const dy = filled(N * OH * OW * C, rng), dx = new Storage(N * H * W * C);
    const label = `maxpool 2×2 [${N},${H},${W},${C}]→[${N},${OH},${OW},${C}]`;
    const fwd = await timeIt('maxpool fwd', () => k.maxpool2d_fwd_f32(x.ptr, N, H, W, C, 2, 2, 2, 2, 0, 0, OH, OW, y.ptr, am.ptr), opts);
    const fwdBytes = 4 * (x.length + 2 * y.length); // x read, y and argmax written
    rows.push({ name: `${label} forward (with argmax)`, impl: 'facemetric', ms: fwd, gbps: gbps(fwdBytes, fwd), threads: 1, key: 'pool.fwd', note: ofStream(gbps(fwdBytes, fwd)) });
    const inf = await timeIt('maxpool inference', () => k.maxpool2d_fwd_inference_f32(x.ptr, N, H, W, C, 2, 2, 2, 2, 0, 0, OH, OW, y.ptr), opts);
    const infBytes = 4 * (x.length + y.length);
    rows.push({ name: `${label} forward (inference)`, impl: 'facemetric', ms: inf, gbps: gbps(infBytes, inf), threads: 1, note: ofStream(gbps(infBytes, inf)) });
    // dx written once, dy and argmax read (the zero-fill of the scatter kernel not counted).
    const bwdBytes = 4 * (dx.length + dy.length + am.length);
    const bwd = await timeIt('maxpool bwd', () => k.maxpool2d_bwd_tiled_f32(dy.ptr, am.ptr, N, H, W, C, 2, 2, OH, OW, dx.ptr), opts);
    rows.push({ name: `${label} backward`, impl: 'facemetric', ms: bwd, gbps: gbps(bwdBytes, bwd), threads: 1, key: 'pool.bwd',
      note: `${ofStream(gbps(bwdBytes, bwd))}; one SIMD pass (what maxPool2d takes for windows that tile the input)` });
    const sc = await timeIt('maxpool bwd scatter', () => k.maxpool2d_bwd_f32(dy.ptr, am.ptr, N, H, W, C, OH, OW, dx.ptr), opts);
    rows.push({ name: `${label} backward`, impl: 'facemetric (zero-fill + scalar scatter)', ms: sc, gbps: gbps(bwdBytes, sc), threads: 1,
      note: `the general kernel (overlapping or padded windows): ${(sc / bwd).toFixed(2)}× the one-pass time` });
    for (const s of [x, y, am, dy, dx]) s.dispose();
  }

  // L2-normalise 65,536 rows of 128 (32 MB: past the caches).
  {
    const R = 65536, D = 128;
    const x = filled(R * D, rng), y = new Storage(R * D), norms = new Storage(R), dy = filled(R * D, rng), dx = new Storage(R * D);
    const label = `l2-normalise [${R},${D}]`;
    const fwd = await timeIt('l2n fwd', () => k.l2normalize_fwd_f32(x.ptr, R, D, 1e-12, y.ptr, norms.ptr), opts);
    const fb = 4 * (2 * R * D + R);
    rows.push({ name: `${label} forward`, impl: 'facemetric', ms: fwd, gbps: gbps(fb, fwd), gflops: gflops(3 * R * D, fwd), threads: 1, key: 'l2n.fwd', note: ofStream(gbps(fb, fwd)) });
    const bwd = await timeIt('l2n bwd', () => k.l2normalize_bwd_f32(y.ptr, dy.ptr, norms.ptr, R, D, 1e-12, dx.ptr), opts);
    const bb = 4 * (3 * R * D + R);
    rows.push({ name: `${label} backward`, impl: 'facemetric', ms: bwd, gbps: gbps(bb, bwd), gflops: gflops(5 * R * D, bwd), threads: 1, key: 'l2n.bwd', note: ofStream(gbps(bb, bwd)) });
    for (const s of [x, y, norms, dy, dx]) s.dispose();
  }

  // Triplet loss on a P×K = 16×4 batch of 64 embeddings of 128 (everything in L1/L2: compute).
  {
    const N = 64, D = 128, P = 16, KK = 4;
    const x = filled(N * D, rng, 0.1), dist = new Storage(N * N), g = filled(N * N, rng), dx = new Storage(N * D);
    const labels = new Storage(N);
    labels.i32view().set(Array.from({ length: N }, (_, i) => Math.floor(i / KK)));
    const stats = new Storage(10), coef = new Storage(N * N);
    const pairFlops = ((N * (N - 1)) / 2) * 3 * D;
    const pd = await timeIt('pairwise', () => k.pairwise_dist_f32(x.ptr, N, D, 0, 0, N, dist.ptr), opts);
    rows.push({ name: `triplet: pairwise distances [${N},${D}]`, impl: 'facemetric', ms: pd, gflops: gflops(pairFlops, pd), threads: 1, key: 'triplet.pairwise', note: ofPeak(gflops(pairFlops, pd)) });
    const pdb = await timeIt('pairwise bwd', () => k.pairwise_dist_bwd_f32(x.ptr, N, D, dist.ptr, g.ptr, 0, 0, N, dx.ptr), opts);
    const bwdFlops = N * (N - 1) * 4 * D; // per (i, j≠i): subtract, divide, multiply, add per element
    rows.push({ name: `triplet: pairwise distances backward [${N},${D}]`, impl: 'facemetric', ms: pdb, gflops: gflops(bwdFlops, pdb), threads: 1, note: `${ofPeak(gflops(bwdFlops, pdb))}; has a division per element` });
    const hard = await timeIt('batch-hard', () => k.triplet_hard_f32(dist.ptr, labels.ptr, N, 0.2, 0, N, stats.ptr, coef.ptr), opts);
    rows.push({ name: `triplet: batch-hard miner ${P}×${KK}`, impl: 'facemetric', ms: hard, gbps: gbps(4 * (2 * N * N + N), hard), threads: 1, note: 'a 64×64 scan; µs-scale' });
    const e = parameter(randn([N, D], rng, 0.1), 'e');
    const lab = Array.from({ length: N }, (_, i) => Math.floor(i / KK));
    const whole = await timeIt('tripletLoss op', () => tidy(() => { e.grad?.dispose(); e.grad = null; const { loss } = tripletLoss(e, lab, { margin: 0.2, miner: 'hard' }); loss.backward(); }), opts);
    rows.push({ name: `triplet: tripletLoss op forward + backward [${N},${D}] batch-hard`, impl: 'facemetric', ms: whole, threads: 1, key: 'triplet.op',
      note: `${(pd / whole * 100).toFixed(0)}% of it is the pairwise-distance kernel; the backward only visits the 2 mined pairs per anchor; includes autograd and validation` });
    e.grad?.dispose(); e.dispose();
    for (const s of [x, dist, g, dx, labels, stats, coef]) s.dispose();
  }

  // Diameter of one person's 1,000 photos of 128 (every row listed; 512 KB: L2-resident).
  {
    const M = 1000, D = 128;
    const gal = filled(M * D, rng), idx = new Storage(M), out = new Storage(3);
    idx.i32view().set(Array.from({ length: M }, (_, i) => i));
    const flops = ((M * (M - 1)) / 2) * 3 * D;
    const ms = await timeIt('diameter', () => k.diameter_f32(gal.ptr, D, idx.ptr, 1, M, out.ptr), opts);
    rows.push({ name: `diameter of ${M} photos × ${D} (${(M * (M - 1)) / 2} pairs)`, impl: 'facemetric', ms, gflops: gflops(flops, ms), threads: 1, key: 'diameter', note: ofPeak(gflops(flops, ms)) });
    for (const s of [gal, idx, out]) s.dispose();
  }
  return rows;
}
