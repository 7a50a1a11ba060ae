// Exact k-nearest lists for a batch through the gemm (assembly/kernels/knn.ts, knn_gemm_f32): each
// query's c candidates by the expansion ‖q‖² + ‖g‖² − 2 q·g (one fused multiply-add per element in
// the register tile instead of 3 flops by differences), re-ranked by the exact distances
// (rerank_f32, knn_f32's sums) and certified: a row left out has a key ≥ the c-th κ and so a true
// squared distance ≥ κ − B, with B = (2d + 8)·2⁻²⁴·(‖q‖² + max ‖g‖²) the expansion's rounding
// bound (its dot product's and norms' sums of d terms, then an add and a subtract); when √(κ − B)
// is past the k-th exact distance, with margins for the exact distances' own rounding, no row left
// out can be among the k nearest. The queries it cannot certify are scanned by the caller's
// knn_f32, so the lists are knn_f32's bit for bit. Split over threads by queries.
import { Storage } from '../memory.js';
import { kernels, wasmMemory } from '../wasm.js';
import { partScratch, partsFor, runParts, splitRange } from '../threads.js';

interface K {
  knn_gemm_workspace_f32(d: number): number;
  row_norms2_f32(x: number, d: number, r0: number, r1: number, out: number): void;
}
const k = () => kernels<K>();

/** Queries and rows from which a batch is worth taking through the gemm (tests lower them). */
export const gemmLimits = { minQueries: 32, minRows: 1024 };

/** Candidates kept per query for k nearest. */
export function gemmCandidates(kk: number): number {
  return Math.max(2 * kk, kk + 32);
}

/** Whether a batch of nq queries for k nearest among `rows` rows whose largest squared norm is gMax goes through the gemm. */
export function useGemm(nq: number, rows: number, kk: number, gMax: number): boolean {
  return nq >= gemmLimits.minQueries && rows >= gemmLimits.minRows && gemmCandidates(kk) < rows && gMax < 1e30;
}

/** Squared norms of rows r0..r1−1 of g [· × d] into out (out[0] for row r0), split over threads; returns the largest. */
export function rowNorms2(g: number, d: number, r0: number, r1: number, out: number, minPart: number): number {
  const b = splitRange(r1 - r0, Math.max(1, Math.min(partsFor((r1 - r0) * d, minPart, 1), r1 - r0)));
  const jobs: number[][] = [];
  for (let i = 0; i + 1 < b.length; i++) jobs.push([g, d, r0 + b[i], r0 + b[i + 1], out + 4 * b[i]]);
  runParts('row_norms2_f32', jobs);
  const v = new Float32Array(wasmMemory().buffer, out, r1 - r0);
  let max = 0;
  for (let i = 0; i < v.length; i++) if (!(v[i] <= max)) max = v[i];
  return max;
}

/** The caller's knn_f32 over the same rows: m queries at qp, lists into oD, oI ([m × k]). */
export type Scan = (qp: number, m: number, oD: number, oI: number) => void;

/**
 * The k nearest of rows g0..g1−1 (absolute indices) for nq queries at q, through the gemm's
 * candidates: lists in outD, outI ([nq × k], sorted by (distance, row)). gn: the rows' squared
 * norms (gn[j] for row j), gMax their largest. The queries the bound cannot certify go through
 * `scan`; returns how many did.
 */
export function gemmSearch(q: number, nq: number, g: number, gn: number, gMax: number, g0: number, g1: number, d: number, kk: number,
  outD: number, outI: number, minPart: number, scan: Scan): number {
  const c = gemmCandidates(kk);
  const qn = new Storage(nq), cD = new Storage(nq * c), cI = new Storage(nq * c);
  try {
    k().row_norms2_f32(q, d, 0, nq, qn.ptr);
    const ws = k().knn_gemm_workspace_f32(d);
    const b = splitRange(nq, Math.min(partsFor(nq * (g1 - g0) * d, minPart, 1), Math.ceil(nq / 4)), 4);
    const jobs: number[][] = [], rerank: number[][] = [];
    for (let i = 0; i + 1 < b.length; i++) {
      const q0 = b[i], m = b[i + 1] - q0;
      jobs.push([q + 4 * q0 * d, m, qn.ptr + 4 * q0, g, gn, g0, g1, d, c, partScratch('knn-gemm', i, ws), cD.ptr + 4 * q0 * c, cI.ptr + 4 * q0 * c]);
      rerank.push([q + 4 * q0 * d, m, g, d, cI.ptr + 4 * q0 * c, c, kk, outD + 4 * q0 * kk, outI + 4 * q0 * kk]);
    }
    runParts('knn_gemm_f32', jobs);
    runParts('rerank_f32', rerank);
    const buf = wasmMemory().buffer;
    const qv = new Float32Array(buf, qn.ptr, nq), keys = new Float32Array(buf, cD.ptr, nq * c), od = new Float32Array(buf, outD, nq * kk);
    const fail: number[] = [];
    for (let i = 0; i < nq; i++) {
      const bound = (2 * d + 8) * 2 ** -24 * (qv[i] + gMax) * 1.01 + 1e-30;
      const lower = Math.sqrt(Math.max(0, keys[i * c + c - 1] - bound));
      if (!(lower * (1 - 1e-5) - 1e-6 > od[i * kk + kk - 1] * (1 + 1e-5))) fail.push(i);
    }
    if (fail.length > 0) rescanQueries(q, d, fail, kk, outD, outI, scan);
    return fail.length;
  } finally {
    qn.dispose(); cD.dispose(); cI.dispose();
  }
}

/**
 * Scans the queries `which` of the batch at q with `scan` (over a packed copy of them) and writes
 * their lists in place in outD, outI ([· × k]).
 */
export function rescanQueries(q: number, d: number, which: number[], kk: number, outD: number, outI: number, scan: Scan): void {
  const m = which.length;
  const fq = new Storage(m * d), fD = new Storage(m * kk), fI = new Storage(m * kk);
  try {
    const fv = fq.f32view();
    which.forEach((i, j) => fv.set(new Float32Array(wasmMemory().buffer, q + 4 * i * d, d), j * d));
    scan(fq.ptr, m, fD.ptr, fI.ptr);
    const buf = wasmMemory().buffer, od = new Float32Array(buf, outD), oi = new Int32Array(buf, outI);
    const fd = fD.f32view(), fi = fI.i32view();
    which.forEach((i, j) => { od.set(fd.subarray(j * kk, (j + 1) * kk), i * kk); oi.set(fi.subarray(j * kk, (j + 1) * kk), i * kk); });
  } finally {
    fq.dispose(); fD.dispose(); fI.dispose();
  }
}
