// conv2d benchmark: the three kernels (forward, backward-input, backward-filter) at the reference
// network's shapes (batch 64, 'same' padding, stride 1), against a plain-JS direct loop measured
// in the same run. The plain-JS loop is timed on a smaller batch and scaled to batch 64 (the
// work is linear in the batch); the note says so. Rows: the implicit GEMM ('facemetric'), and
// for the 3×3 layers with C % 4 = 0 the Winograd kernels F(2×2, 3×3) and F(4×4, 3×3) that conv2d's
// 'auto' takes there; every GFLOP/s counts the direct convolution's flops (2·N·OH·OW·9·C·O), so
// Winograd's figure is an effective rate above the machine's peak.
import { Storage } from '../src/memory.js';
import { kernels } from '../src/wasm.js';
import { Rng } from '../src/random.js';
import { conv2dGeometry, conv2dGeometryValues, type Conv2dGeometry, type WinogradKernels } from '../src/ops/conv2d.js';
import { gflops, timeIt, type BenchRow, type SuiteOptions } from './common.js';

interface K extends WinogradKernels {
  conv2d_workspace_f32(g: number, pass: number): number;
  conv2d_fwd_f32(x: number, w: number, g: number, ws: number, y: number): void;
  conv2d_bwd_input_f32(dy: number, w: number, g: number, ws: number, dx: number): void;
  conv2d_bwd_filter_f32(x: number, dy: number, g: number, ws: number, dw: number): void;
  conv2d_fwd_naive_f32(x: number, w: number, g: number, y: number): void;
  gemm_kernel_4x8(kc: number, pa: number, pb: number, c: number, ldc: number, accumulate: number): void;
}

const LAYERS: Array<{ name: string; x: number[]; w: number[] }> = [
  { name: 'layer 1', x: [64, 64, 64, 1], w: [3, 3, 1, 32] },
  { name: 'layer 2', x: [64, 32, 32, 32], w: [3, 3, 32, 64] },
  { name: 'layer 3', x: [64, 16, 16, 64], w: [3, 3, 64, 128] },
];

type Pass = 'forward' | 'backward-input' | 'backward-filter';
const PASSES: Pass[] = ['forward', 'backward-input', 'backward-filter'];

function filled(n: number, rng: Rng): Storage {
  const s = new Storage(n);
  const v = s.f32view();
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return s;
}

function geomBlock(g: Conv2dGeometry): Storage {
  const v = conv2dGeometryValues(g);
  const s = new Storage(v.length);
  s.i32view().set(v);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Plain JS: direct loops, the innermost over the contiguous channel axis.

function jsForward(x: Float32Array, w: Float32Array, g: Conv2dGeometry, y: Float32Array): void {
  y.fill(0);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    const yo = ((n * g.OH + oh) * g.OW + ow) * g.O;
    for (let kh = 0; kh < g.KH; kh++) {
      const ih = oh * g.strideH - g.padTop + kh;
      if (ih < 0 || ih >= g.H) continue;
      for (let kw = 0; kw < g.KW; kw++) {
        const iw = ow * g.strideW - g.padLeft + kw;
        if (iw < 0 || iw >= g.W) continue;
        const xo = ((n * g.H + ih) * g.W + iw) * g.C;
        for (let c = 0; c < g.C; c++) {
          const xv = x[xo + c];
          const wo = ((kh * g.KW + kw) * g.C + c) * g.O;
          for (let o = 0; o < g.O; o++) y[yo + o] += xv * w[wo + o];
        }
      }
    }
  }
}

function jsBackwardInput(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  dx.fill(0);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    const yo = ((n * g.OH + oh) * g.OW + ow) * g.O;
    for (let kh = 0; kh < g.KH; kh++) {
      const ih = oh * g.strideH - g.padTop + kh;
      if (ih < 0 || ih >= g.H) continue;
      for (let kw = 0; kw < g.KW; kw++) {
        const iw = ow * g.strideW - g.padLeft + kw;
        if (iw < 0 || iw >= g.W) continue;
        const xo = ((n * g.H + ih) * g.W + iw) * g.C;
        for (let c = 0; c < g.C; c++) {
          const wo = ((kh * g.KW + kw) * g.C + c) * g.O;
          let s = 0;
          for (let o = 0; o < g.O; o++) s += dy[yo + o] * w[wo + o];
          dx[xo + c] += s;
        }
      }
    }
  }
}

function jsBackwardFilter(x: Float32Array, dy: Float32Array, g: Conv2dGeometry, dw: Float32Array): void {
  dw.fill(0);
  for (let n = 0; n < g.N; n++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    const yo = ((n * g.OH + oh) * g.OW + ow) * g.O;
    for (let kh = 0; kh < g.KH; kh++) {
      const ih = oh * g.strideH - g.padTop + kh;
      if (ih < 0 || ih >= g.H) continue;
      for (let kw = 0; kw < g.KW; kw++) {
        const iw = ow * g.strideW - g.padLeft + kw;
        if (iw < 0 || iw >= g.W) continue;
        const xo = ((n * g.H + ih) * g.W + iw) * g.C;
        for (let c = 0; c < g.C; c++) {
          const xv = x[xo + c];
          const wo = ((kh * g.KW + kw) * g.C + c) * g.O;
          for (let o = 0; o < g.O; o++) dw[wo + o] += xv * dy[yo + o];
        }
      }
    }
  }
}

/**
 * One Winograd pass on one thread as conv2d runs it (src/ops/conv2d.ts): the forward kernel for
 * forward and (flipped) backward-input, backward-filter plus the filter-gradient transform.
 * Allocates its scratch once, outside the timed call.
 */
function winograd(k: K, g: Conv2dGeometry, m: number, pass: Pass, p: { x: number; w: number; y: number; dy: number; dx: number; dw: number }): () => void {
  const up8 = (n: number) => Math.ceil(n / 8) * 8, len = (m + 2) ** 2 * Math.max(g.C * up8(g.O), g.O * up8(g.C));
  const ws = new Storage(Math.max(k.wino_workspace_f32(g.C, g.O, m), k.wino_workspace_f32(g.O, g.C, m)));
  const u = new Storage(len + 80);
  if (pass === 'forward') {
    return () => {
      k.wino_filter_f32(p.w, g.C, g.O, 0, m, 0, g.C, u.ptr + 4 * len, u.ptr);
      k.wino_fwd_f32(p.x, g.N, g.H, g.W, g.C, u.ptr, g.O, g.padTop, g.padLeft, g.OH, g.OW, m, 0, ws.ptr, p.y, 0, 0, 0);
    };
  }
  if (pass === 'backward-input') {
    return () => {
      k.wino_filter_f32(p.w, g.O, g.C, 1, m, 0, g.O, u.ptr + 4 * len, u.ptr);
      k.wino_fwd_f32(p.dy, g.N, g.OH, g.OW, g.O, u.ptr, g.C, 2 - g.padTop, 2 - g.padLeft, g.H, g.W, m, 0, ws.ptr, p.dx, 0, 0, 0);
    };
  }
  return () => {
    k.wino_bwd_filter_f32(p.x, g.N, g.H, g.W, g.C, p.dy, g.O, g.padTop, g.padLeft, g.OH, g.OW, 0, g.C, 0, Math.ceil(g.O / 8) * 8,
      0, g.N * Math.ceil(g.OH / m) * Math.ceil(g.OW / m), m, ws.ptr, u.ptr);
    k.wino_filter_grad_f32(u.ptr, g.C, g.O, m, 0, g.C, u.ptr + 4 * len, p.dw);
  };
}

function randomArray(n: number, rng: Rng): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}

// ---------------------------------------------------------------------------------------------

export async function suite(o: SuiteOptions): Promise<BenchRow[]> {
  const k = kernels<K>();
  const rows: BenchRow[] = [];
  const rng = new Rng(1);
  // Context: the micro-kernel alone on panels that stay in L1 (kc = 256, 64 calls per sample).
  {
    const kc = 256, calls = 64;
    const pa = filled(kc * 4, rng), pb = filled(kc * 8, rng), c = new Storage(32);
    const ms = await timeIt('gemm_kernel_4x8 L1', () => { for (let i = 0; i < calls; i++) k.gemm_kernel_4x8(kc, pa.ptr, pb.ptr, c.ptr, 8, 1); }, { quick: o.quick });
    rows.push({ name: 'gemm_kernel_4x8 kc=256, panels in L1 (ceiling for context)', impl: 'facemetric', ms, gflops: gflops(calls * kc * 64, ms), note: `${calls} calls from JS per sample` });
    for (const s of [pa, pb, c]) s.dispose();
  }
  // Plain JS runs on this batch and is scaled to the full one.
  const jsBatch = o.quick ? 1 : 4;
  for (const layer of LAYERS) {
    const g = conv2dGeometry(layer.x, layer.w, { padding: 'same' });
    const flops = 2 * g.N * g.OH * g.OW * g.KH * g.KW * g.C * g.O;
    const label = `conv2d ${layer.name} x=[${layer.x}] w=[${layer.w}]`;
    const gs = geomBlock(g);
    const x = filled(g.N * g.H * g.W * g.C, rng), w = filled(g.KH * g.KW * g.C * g.O, rng);
    const y = new Storage(g.N * g.OH * g.OW * g.O), dy = filled(g.N * g.OH * g.OW * g.O, rng);
    const dx = new Storage(x.length), dw = new Storage(w.length);
    const wsLen = Math.max(...[0, 1, 2].map((p) => k.conv2d_workspace_f32(gs.ptr, p)));
    const ws = new Storage(wsLen);
    const runs: Record<Pass, () => void> = {
      'forward': () => k.conv2d_fwd_f32(x.ptr, w.ptr, gs.ptr, ws.ptr, y.ptr),
      'backward-input': () => k.conv2d_bwd_input_f32(dy.ptr, w.ptr, gs.ptr, ws.ptr, dx.ptr),
      'backward-filter': () => k.conv2d_bwd_filter_f32(x.ptr, dy.ptr, gs.ptr, ws.ptr, dw.ptr),
    };
    // Plain JS on a smaller batch.
    const gj = conv2dGeometry([jsBatch, g.H, g.W, g.C], layer.w, { padding: 'same' });
    const xj = randomArray(jsBatch * g.H * g.W * g.C, rng), wj = randomArray(w.length, rng);
    const yj = new Float32Array(jsBatch * g.OH * g.OW * g.O), dyj = randomArray(yj.length, rng);
    const dxj = new Float32Array(xj.length), dwj = new Float32Array(wj.length);
    const jsRuns: Record<Pass, () => void> = {
      'forward': () => jsForward(xj, wj, gj, yj),
      'backward-input': () => jsBackwardInput(dyj, wj, gj, dxj),
      'backward-filter': () => jsBackwardFilter(xj, dyj, gj, dwj),
    };
    for (const pass of PASSES) {
      const ms = await timeIt(`${label} ${pass}`, runs[pass], { quick: o.quick, minTimeMs: o.quick ? 300 : 1500 });
      const jsMs = (await timeIt(`${label} ${pass} js`, jsRuns[pass], { quick: o.quick, minTimeMs: o.quick ? 150 : 600 })) * (g.N / jsBatch);
      const skip = layer.name === 'layer 1' && pass === 'backward-input' ? ' (not needed in the network: first layer)' : '';
      rows.push({ name: `${label} ${pass}`, impl: 'facemetric', ms, gflops: gflops(flops, ms), note: `${(jsMs / ms).toFixed(1)}× plain JS${skip}` });
      if (g.KH === 3 && g.KW === 3 && g.C % 4 === 0) {
        for (const m of [2, 4]) {
          const wms = await timeIt(`${label} ${pass} winograd ${m}`, winograd(k, g, m, pass, { x: x.ptr, w: w.ptr, y: y.ptr, dy: dy.ptr, dx: dx.ptr, dw: dw.ptr }), { quick: o.quick, minTimeMs: o.quick ? 300 : 1500 });
          rows.push({ name: `${label} ${pass}`, impl: `facemetric Winograd F(${m}×${m},3×3)`, ms: wms, gflops: gflops(flops, wms),
            note: `${(ms / wms).toFixed(2)}× the implicit GEMM; effective GFLOP/s (${m === 2 ? '4/9' : '1/4'} of the multiplications)${m === 4 ? '; what conv2d takes here' : ''}` });
        }
      }
      rows.push({ name: `${label} ${pass}`, impl: 'plain JS', ms: jsMs, gflops: gflops(flops, jsMs), note: `direct loop timed at batch ${jsBatch}, scaled ×${g.N / jsBatch}` });
      if (pass === 'forward') {
        // The scalar wasm reference kernel, on the same smaller batch as plain JS.
        const gsj = geomBlock(gj);
        const xs = new Storage(xj.length), ys = new Storage(yj.length);
        xs.f32view().set(xj); const wsj = new Storage(wj.length); wsj.f32view().set(wj);
        const nMs = (await timeIt(`${label} naive`, () => k.conv2d_fwd_naive_f32(xs.ptr, wsj.ptr, gsj.ptr, ys.ptr), { quick: o.quick, minTimeMs: o.quick ? 150 : 600 })) * (g.N / jsBatch);
        rows.push({ name: `${label} ${pass}`, impl: 'wasm scalar loop', ms: nMs, gflops: gflops(flops, nMs), note: `conv2d_fwd_naive_f32 at batch ${jsBatch}, scaled ×${g.N / jsBatch}` });
        for (const s of [gsj, xs, ys, wsj]) s.dispose();
      }
    }
    for (const s of [gs, x, w, y, dy, dx, dw, ws]) s.dispose();
  }
  return rows;
}
