// kNN benchmark: exact search of a 100,000 × 128 gallery (51 MB of float32, far past every cache)
// for single queries (k = 1 and k = 10: the gallery streams through once per query, so memory
// bandwidth bounds it) and for a batch of 1,000 queries (k = 10: candidates from the expansion
// through the gemm's register tile, each panel of gallery rows read once per 256 queries, re-ranked
// exactly and certified, so arithmetic bounds it), next to a plain-JS loop over Float32Array
// measured in the same run. The JS batch is timed on 25 queries and scaled (the note says so): at
// 1,000 queries it takes tens of seconds per call. Flops count the work each path does: 3 per
// element for a single query (subtract, multiply, add), 2 for the batch (multiply-add).
import { Rng } from '../src/random.js';
import { Gallery } from '../src/metric/gallery.js';
import { gflops, timeIt, type BenchRow, type SuiteOptions } from './common.js';

const N = 100_000, D = 128;

/** Plain JS: squared distances row by row, top-k kept by insertion into a sorted list of k. */
function jsSearch(g: Float32Array, n: number, d: number, q: Float32Array, qo: number, k: number): number[] {
  const bestD = new Float64Array(k).fill(Infinity), bestI = new Int32Array(k).fill(-1);
  for (let j = 0; j < n; j++) {
    let s = 0;
    const o = j * d;
    for (let c = 0; c < d; c++) { const u = q[qo + c] - g[o + c]; s += u * u; }
    if (s < bestD[k - 1]) {
      let p = k - 1;
      while (p > 0 && bestD[p - 1] > s) { bestD[p] = bestD[p - 1]; bestI[p] = bestI[p - 1]; p--; }
      bestD[p] = s; bestI[p] = j;
    }
  }
  return Array.from(bestI);
}

export async function suite(o: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = new Rng(1);
  const g = new Float32Array(N * D);
  for (let i = 0; i < g.length; i++) g[i] = rng.normal();
  const labels = Array.from({ length: N }, (_, i) => `p${i % 10_000}`);
  const gallery = new Gallery({ dim: D });
  gallery.add(g, labels);
  const Q = 1000, JSQ = 25;
  const q = new Float32Array(Q * D);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  const one = q.subarray(0, D);
  const opts = { quick: o.quick };
  const flopsPerQuery = 3 * N * D;
  const bytes = N * D * 4;

  // Same answer as plain JS first (a benchmark of a wrong kernel is worthless).
  const ref = jsSearch(g, N, D, q, 0, 10);
  const got = gallery.search(one, 10)[0].indices;
  if (ref.join() !== got.join()) throw new Error(`bench knn: facemetric ${got} differs from plain JS ${ref}`);

  for (const k of [1, 10]) {
    const ms = await timeIt(`knn single k=${k}`, () => gallery.search(one, k), opts);
    const jsMs = await timeIt(`js single k=${k}`, () => jsSearch(g, N, D, q, 0, k), opts);
    rows.push({ name: `knn 1 query × ${N}×${D}, k=${k}`, impl: 'facemetric', ms, gflops: gflops(flopsPerQuery, ms), gbps: bytes / (ms * 1e6),
      note: `${(jsMs / ms).toFixed(1)}× plain JS` });
    rows.push({ name: `knn 1 query × ${N}×${D}, k=${k}`, impl: 'plain JS (Float32Array, sorted top-k)', ms: jsMs, gflops: gflops(flopsPerQuery, jsMs), gbps: bytes / (jsMs * 1e6) });
  }

  const batchMs = await timeIt(`knn batch ${Q}`, () => gallery.search(q, 10), { quick: o.quick, minTimeMs: o.quick ? 100 : 500 });
  const jsMs = await timeIt(`js batch ${JSQ}`, () => { for (let i = 0; i < JSQ; i++) jsSearch(g, N, D, q, i * D, 10); }, { quick: o.quick, minTimeMs: o.quick ? 100 : 500 });
  const jsScaled = (jsMs * Q) / JSQ;
  rows.push({ name: `knn ${Q} queries × ${N}×${D}, k=10`, impl: 'facemetric', ms: batchMs, gflops: gflops((Q * 2 * flopsPerQuery) / 3, batchMs),
    note: `${(jsScaled / batchMs).toFixed(1)}× plain JS; ${(batchMs / Q).toFixed(3)} ms per query; gemm candidates, ${gallery.gemmFallbacks} queries scanned` });
  rows.push({ name: `knn ${Q} queries × ${N}×${D}, k=10`, impl: 'plain JS (Float32Array, sorted top-k)', ms: jsScaled, gflops: gflops(Q * flopsPerQuery, jsScaled),
    note: `timed on ${JSQ} queries, ms scaled ×${Q / JSQ}` });
  gallery.dispose();
  return rows;
}
