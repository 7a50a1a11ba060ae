// gemm benchmark: the packed GEMM (through gemmInto, the path every op takes) at 256³ and 1024³,
// all four transpose combinations at 1024³, and the dense layer shapes of a batch of 64, next to
// a plain-JS ikj loop over Float32Array and the scalar wasm loop measured in the same run; and the
// micro-kernel's peak: gemm_kernel_4x8 called over and over on L1-resident panels (kc = 256), the
// ceiling the packed GEMM can reach. When the relaxed-SIMD build is loaded (fused multiply-adds,
// src/wasm.ts), the SIMD128 build's micro-kernel (multiply, then add) is timed next to it on a
// separate instance of that build. The plain-JS loop is timed at 512³ for the 1024³ row (the
// note says so): at 1024³ it takes seconds per call.
import { readFileSync } from 'node:fs';
import { Storage } from '../src/memory.js';
import { flavour, kernels, unshareMemoryImport } from '../src/wasm.js';
import { Rng } from '../src/random.js';
import { gemmInto } from '../src/ops/dense.js';
import { gflops, timeIt, type BenchRow, type SuiteOptions } from './common.js';

interface K {
  gemm_kernel_4x8(kc: number, pa: number, pb: number, c: number, ldc: number, accumulate: number): void;
  gemm_naive_f32(a: number, b: number, m: number, n: number, k: number, c: number): void;
}

function filled(n: number, rng: Rng): Storage {
  const s = new Storage(n);
  const v = s.f32view();
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return s;
}

/** Plain JS, ikj order: the inner loop runs along a row of B and of C (contiguous). */
function jsGemm(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void {
  c.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      const bo = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bo + j];
    }
  }
}

const cube = (n: number) => `${n}³`;

/** The SIMD128 build's gemm_kernel_4x8 on its own instance and memory, bound to panels of kc = KC at fixed places. */
function simd128MicroKernel(KC: number): () => void {
  const bytes = unshareMemoryImport(readFileSync(new URL('../../build/facemetric.wasm', import.meta.url)));
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, abort() { throw new Error('abort'); }, seed: () => 42 } });
  const k = inst.exports as unknown as K;
  const base = 1 << 19, pa = base, pb = pa + 16 * KC, tile = pb + 32 * KC;
  const v = new Float32Array(memory.buffer, base, 12 * KC + 32), rng = new Rng(3);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return () => k.gemm_kernel_4x8(KC, pa, pb, tile, 8, 1);
}

export async function suite(o: SuiteOptions): Promise<BenchRow[]> {
  const k = kernels<K>();
  const rows: BenchRow[] = [];
  const rng = new Rng(1);
  const opts = { quick: o.quick };

  // Micro-kernel peak: 4 × 8 × 256 panels (12 KiB) stay in L1; REPS calls per timed call.
  const KC = 256, REPS = 1000;
  const pa = filled(4 * KC, rng), pb = filled(8 * KC, rng), tile = filled(32, rng);
  const peakMs = await timeIt('micro-kernel', () => {
    for (let r = 0; r < REPS; r++) k.gemm_kernel_4x8(KC, pa.ptr, pb.ptr, tile.ptr, 8, 1);
  }, opts);
  const peak = gflops(2 * 4 * 8 * KC * REPS, peakMs);
  rows.push({ name: `micro-kernel 4×8, kc=${KC}, ${REPS} calls`, impl: 'facemetric', ms: peakMs, gflops: peak, note: `L1-resident panels: the ceiling for gemm (${flavour()} build)` });
  if (flavour() === 'relaxed') {
    const other = simd128MicroKernel(KC);
    const ms = await timeIt('micro-kernel SIMD128', () => { for (let r = 0; r < REPS; r++) other(); }, opts);
    const gf = gflops(2 * 4 * 8 * KC * REPS, ms);
    rows.push({ name: `micro-kernel 4×8, kc=${KC}, ${REPS} calls, SIMD128 build`, impl: 'facemetric', ms, gflops: gf, note: `multiply then add; the loaded build's fused multiply-add is ${(peak / gf).toFixed(2)}× this` });
  }

  for (const size of [256, 1024]) {
    const m = size, n = size, kk = size;
    const a = filled(m * kk, rng), b = filled(kk * n, rng), c = new Storage(m * n);
    const flops = 2 * m * n * kk;
    const ms = await timeIt(`gemm ${size}`, () => gemmInto(a.ptr, kk, b.ptr, n, m, n, kk, false, false, false, c.ptr, n), opts);
    const gf = gflops(flops, ms);

    // Plain JS on copies in ordinary arrays; at 1024³ timed at 512³.
    const js = size > 512 ? 512 : size;
    const ja = a.f32view().slice(0, js * js), jb = b.f32view().slice(0, js * js), jc = new Float32Array(js * js);
    const jsMs = await timeIt(`js ${js}`, () => jsGemm(ja, jb, jc, js, js, js), { quick: o.quick, minTimeMs: o.quick ? 100 : 500 });
    const jsGf = gflops(2 * js ** 3, jsMs);
    const scale = (size / js) ** 3;

    rows.push({ name: `gemm ${cube(size)}`, impl: 'facemetric', ms, gflops: gf,
      note: `${(gf / jsGf).toFixed(1)}× plain JS; ${((100 * gf) / peak).toFixed(0)}% of the micro-kernel peak` });
    rows.push({ name: `gemm ${cube(size)}`, impl: 'plain JS (ikj, Float32Array)', ms: jsMs * scale, gflops: jsGf,
      note: js === size ? '' : `timed at ${cube(js)}, ms scaled ×${scale}` });
    if (size === 256) {
      const naiveMs = await timeIt('naive 256', () => k.gemm_naive_f32(a.ptr, b.ptr, m, n, kk, c.ptr), opts);
      rows.push({ name: `gemm ${cube(size)}`, impl: 'scalar wasm (gemm_naive_f32, ijk)', ms: naiveMs, gflops: gflops(flops, naiveMs), note: `facemetric ${(naiveMs / ms).toFixed(1)}× faster` });
    } else {
      for (const [ta, tb] of [[false, true], [true, false], [true, true]]) {
        const t = await timeIt(`gemm ${size} ${ta} ${tb}`, () => gemmInto(a.ptr, kk, b.ptr, n, m, n, kk, ta, tb, false, c.ptr, n), opts);
        rows.push({ name: `gemm ${cube(size)} transA=${+ta} transB=${+tb}`, impl: 'facemetric', ms: t, gflops: gflops(flops, t), note: `${((100 * gflops(flops, t)) / peak).toFixed(0)}% of peak` });
      }
    }
    a.dispose(); b.dispose(); c.dispose();
  }

  // A dense layer on a batch of 64, 8192 → 128 (e.g. 8×8×128 features to a 128-d embedding):
  // forward y = x·w, backward dx = dy·wᵀ and dw = xᵀ·dy.
  {
    const N = 64, I = 8192, O = 128;
    const x = filled(N * I, rng), w = filled(I * O, rng), dy = filled(N * O, rng);
    const y = new Storage(N * O), dx = new Storage(N * I), dw = new Storage(I * O);
    const flops = 2 * N * I * O;
    const passes: Array<[string, () => void]> = [
      ['forward x·w', () => gemmInto(x.ptr, I, w.ptr, O, N, O, I, false, false, false, y.ptr, O)],
      ['dx = dy·wᵀ', () => gemmInto(dy.ptr, O, w.ptr, O, N, I, O, false, true, false, dx.ptr, I)],
      ['dw = xᵀ·dy', () => gemmInto(x.ptr, I, dy.ptr, O, I, O, N, true, false, false, dw.ptr, O)],
    ];
    for (const [what, fn] of passes) {
      const t = await timeIt(what, fn, opts);
      rows.push({ name: `dense [${N},${I}]→${O} ${what}`, impl: 'facemetric', ms: t, gflops: gflops(flops, t) });
    }
    for (const s of [x, w, dy, y, dx, dw]) s.dispose();
  }
  for (const s of [pa, pb, tile]) s.dispose();
  return rows;
}
