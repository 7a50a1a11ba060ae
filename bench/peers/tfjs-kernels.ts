// TensorFlow.js kernels next to facemetric's, same process, same run: matMul 1024³ (512³ on the
// cpu backend with --quick) and conv2d forward at the reference network's three layer shapes
// (batch 64, 'same'), in GFLOP/s. Both sides go through their public op (facemetric's matmul and
// conv2d under noGrad, tf.matMul and tf.conv2d), so each includes its allocation of the output.
import { noGrad } from '../../src/autograd.js';
import { Rng } from '../../src/random.js';
import { randn } from '../../src/tensor.js';
import { matmul } from '../../src/ops/dense.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { engineThreadCounts, gflops, medianMs, ratio, threadLabel, withEngineThreads, type BenchRow, type SuiteOptions } from '../common.js';
import { loadTf, tfConv2d, tfMatMul, useBackend } from './tfjs.js';

const LAYERS: Array<{ name: string; x: number[]; w: number[] }> = [
  { name: 'layer 1', x: [64, 64, 64, 1], w: [3, 3, 1, 32] },
  { name: 'layer 2', x: [64, 32, 32, 32], w: [3, 3, 32, 64] },
  { name: 'layer 3', x: [64, 16, 16, 64], w: [3, 3, 64, 128] },
];

export async function suite(o: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = new Rng(11);
  const runs = o.quick ? 3 : 10;
  // facemetric first, at each engine thread count.
  const ours = new Map<string, number>();
  const S = 1024;
  for (const n of await engineThreadCounts()) {
    await withEngineThreads(n, async () => {
      const a = randn([S, S], rng), b = randn([S, S], rng);
      const ms = await medianMs(() => noGrad(() => matmul(a, b)).dispose(), runs);
      ours.set(`mm.${n}`, gflops(2 * S ** 3, ms));
      rows.push({ name: `matMul ${S}³`, impl: 'facemetric matmul', ms, gflops: gflops(2 * S ** 3, ms), threads: n, key: `mm.facemetric.${n}` });
      a.dispose(); b.dispose();
      for (const l of LAYERS) {
        const x = randn(l.x, rng), w = randn(l.w, rng);
        const cms = await medianMs(() => noGrad(() => conv2d(x, w, null, { padding: 'same' })).dispose(), runs);
        const f = 2 * l.x[0] * l.x[1] * l.x[2] * l.w[0] * l.w[1] * l.w[2] * l.w[3];
        ours.set(`${l.name}.${n}`, gflops(f, cms));
        rows.push({ name: `conv2d ${l.name} x=[${l.x}] w=[${l.w}] forward`, impl: 'facemetric conv2d', ms: cms, gflops: gflops(f, cms), threads: n, key: `conv.${l.name}.facemetric.${n}`,
          note: l.w[2] % 4 === 0 && l.w[2] >= 8 ? 'Winograd F(4×4,3×3): effective GFLOP/s (direct-convolution flops / time)' : undefined });
        x.dispose(); w.dispose();
      }
    });
  }
  const tfl = await loadTf();
  for (const b of ['wasm', 'cpu'] as const) {
    const label = `TensorFlow.js ${tfl.version} ${b}`;
    if (!tfl.tf || !tfl.backends.includes(b) || !(await useBackend(tfl.tf, b))) {
      const why = !tfl.tf ? tfl.error ?? 'not installed' : !tfl.backends.includes(b) ? tfl.error ?? `backend ${b} missing` : `backend ${b} did not start`;
      rows.push({ name: `matMul ${S}³`, impl: `TensorFlow.js ${b}`, ms: NaN, threads: 1, note: why, key: `mm.tfjs-${b}` });
      for (const l of LAYERS) rows.push({ name: `conv2d ${l.name} x=[${l.x}] w=[${l.w}] forward`, impl: `TensorFlow.js ${b}`, ms: NaN, threads: 1, note: why });
      continue;
    }
    const slow = b === 'cpu';
    const size = slow && o.quick ? 512 : S;
    const mm = await tfMatMul(tfl.tf, size, slow ? (o.quick ? 1 : 2) : runs);
    rows.push({ name: `matMul ${S}³`, impl: label, ms: mm.ms * (S / size) ** 3, gflops: mm.gflops, threads: 1, key: `mm.tfjs-${b}`,
      note: `facemetric ${threadLabel(1)}: ${ratio(ours.get('mm.1'), mm.gflops)}${size !== S ? `; timed at ${size}³, ms scaled` : ''}` });
    for (const l of LAYERS) {
      // The cpu backend takes seconds per call: batch 4 (8 with the full run), scaled.
      const nb = slow ? (o.quick ? 4 : 8) : l.x[0];
      const r = await tfConv2d(tfl.tf, [nb, ...l.x.slice(1)], l.w, slow ? (o.quick ? 1 : 2) : runs);
      rows.push({ name: `conv2d ${l.name} x=[${l.x}] w=[${l.w}] forward`, impl: label, ms: r.ms * (l.x[0] / nb), gflops: r.gflops, threads: 1, key: `conv.${l.name}.tfjs-${b}`,
        note: `facemetric ${threadLabel(1)}: ${ratio(ours.get(`${l.name}.1`), r.gflops)}${nb !== l.x[0] ? `; timed at batch ${nb}, ms scaled` : ''}` });
    }
  }
  return rows;
}
