// Exact kNN search side by side with its peers, in one run: facemetric's Gallery.search, usearch's
// exactSearch (given its own copies: its binding ignores a typed array's byteOffset), hnswlib-node's
// BruteforceSearch and a plain JS loop, over N = 100,000 and 1,000,000 random vectors of 128 floats
// (seeded), k = 10: single queries (queries/s over a run of different queries, and the median
// latency) and a batch of 1,000 queries (queries/s; a peer with no batch form runs a loop, and slow
// peers are timed on fewer queries, said in the note). recall@10 of each against a float64 exact
// scan on the same queries. facemetric runs twice: Gallery.search (a float32 scan) and
// CompactGallery's exact int8 search (an int8 scan for candidates, re-ranked in float32 and
// certified by the int8 error bound, so its lists are the float32 scan's; 1.27× the memory).
// --quick: N = 100,000 only. facemetric at each engine thread count;
// usearch at 1 and 2 threads; hnswlib and plain JS have one.
import { Gallery } from '../../src/metric/gallery.js';
import { CompactGallery } from '../../src/metric/compact.js';
import { engineThreadCounts, loadPeer, median, missingRow, ratio, threadLabel, withEngineThreads, type BenchRow, type SuiteOptions } from '../common.js';

const D = 128, K = 10, Q = 1000;

interface Usearch {
  exactSearch(dataset: Float32Array, queries: Float32Array, dimensions: number, count: number, metric: string, threads?: number):
    { keys: BigUint64Array; distances: Float32Array };
}
interface BruteforceSearch {
  initIndex(maxElements: number): void;
  addPoint(point: number[], label: number): void;
  searchKnn(query: number[], k: number): { distances: number[]; neighbors: number[] };
}
interface Hnswlib { BruteforceSearch: new (space: string, dim: number) => BruteforceSearch }

/** Seeded uniform values in [-1, 1) (xorshift32): fast enough for 128 M of them. */
function randomVectors(n: number, seed: number): Float32Array {
  const v = new Float32Array(n * D);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < v.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    v[i] = s / 2 ** 31 - 1;
  }
  return v;
}

/** Plain JS: squared distances row by row (f32 data, JS-number sums), top-k by insertion. */
export function jsSearch(g: Float32Array, n: number, d: number, q: Float32Array, qo: number, k: number): number[] {
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

/** recall@k: the share of the reference's k neighbours found, averaged over the queries. */
export function recallAtK(found: number[][], reference: number[][]): number {
  if (found.length !== reference.length || found.length === 0) throw new RangeError(`recallAtK: expected as many result lists as reference lists (≥ 1), got ${found.length} and ${reference.length}`);
  let hit = 0, total = 0;
  for (let i = 0; i < found.length; i++) {
    const ref = new Set(reference[i]);
    for (const j of found[i]) if (ref.has(j)) hit++;
    total += reference[i].length;
  }
  return hit / total;
}

interface Impl {
  impl: string;
  threads: number;
  key: string;
  /** k nearest indices of query i (a single-query call). */
  single(q: Float32Array, i: number): number[];
  /** Searches queries [from, to) as one batch when the implementation has one. */
  batch(q: Float32Array, from: number, to: number): void;
  /** How many queries the batch row is timed on (fewer for slow peers). */
  batchQueries: number;
  /** Single-query runs timed. */
  singleQueries: number;
  batchNote?: string;
  /** Bytes of gallery one query streams (default N·D·4: the float32 rows). */
  bytes?: number;
  dispose?(): void;
}

function timeSingles(impl: Impl, q: Float32Array): { qps: number; latency: number } {
  impl.single(q, 0); // warm-up
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < impl.singleQueries; i++) {
    const t = performance.now();
    impl.single(q, i % Q);
    lat.push(performance.now() - t);
  }
  return { qps: (1000 * impl.singleQueries) / (performance.now() - t0), latency: median(lat) };
}

function timeBatch(impl: Impl, q: Float32Array): number {
  const t = performance.now();
  impl.batch(q, 0, impl.batchQueries);
  return (1000 * impl.batchQueries) / (performance.now() - t);
}

async function atSize(N: number, quick: boolean, rows: BenchRow[]): Promise<void> {
  const t0 = performance.now();
  const g = randomVectors(N, 12345), q = randomVectors(Q, 777);
  const big = N >= 1_000_000;
  const single = `knn single query, ${N.toLocaleString('en')}×${D}, k=${K}`;
  const batchName = `knn batch of ${Q}, ${N.toLocaleString('en')}×${D}, k=${K}`;
  const tag = big ? '1M' : `${N / 1000}k`;

  // Reference: float64 exact scan on the first RQ queries.
  const RQ = quick ? 5 : 20;
  const reference: number[][] = [];
  for (let i = 0; i < RQ; i++) {
    const bestD = new Float64Array(K).fill(Infinity), bestI: number[] = new Array<number>(K).fill(-1);
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let c = 0; c < D; c++) { const u = q[i * D + c] - g[j * D + c]; s += u * u; }
      if (s < bestD[K - 1]) {
        let p = K - 1;
        while (p > 0 && bestD[p - 1] > s) { bestD[p] = bestD[p - 1]; bestI[p] = bestI[p - 1]; p--; }
        bestD[p] = s; bestI[p] = j;
      }
    }
    reference.push(bestI);
  }

  const impls: Impl[] = [];
  const singles = quick ? 10 : (big ? 40 : 100);
  const gallery = new Gallery({ dim: D });
  gallery.add(g, Array.from({ length: N }, (_, i) => `p${i % 10_000}`));
  for (const n of await engineThreadCounts()) {
    impls.push({
      impl: 'facemetric Gallery.search', threads: n, key: `knn.${tag}.facemetric.${n}`,
      single: (qq, i) => gallery.search(qq.subarray(i * D, (i + 1) * D), K)[0].indices,
      batch: (qq, a, b) => { gallery.search(qq.subarray(a * D, b * D), K); },
      batchQueries: Q, singleQueries: singles,
      batchNote: 'the float32 lists: candidates from the gemm (‖q‖² + ‖g‖² − 2q·g), float32 re-rank, certified by its rounding bound',
    });
  }
  const compact = new CompactGallery({ dim: D, people: Array.from({ length: 10_000 }, (_, i) => `p${i}`), labels: Uint32Array.from({ length: N }, (_, i) => i % 10_000) });
  compact.rows(0, N).set(g);
  compact.buildCompact('i8');
  const exact = (qq: Float32Array) => compact.search(qq, K, { precision: 'i8', exact: true });
  for (const n of await engineThreadCounts()) {
    impls.push({
      impl: 'facemetric CompactGallery int8 exact', threads: n, key: `knn.${tag}.facemetric-i8exact.${n}`,
      single: (qq, i) => Array.from(exact(qq.subarray(i * D, (i + 1) * D)).indices),
      batch: (qq, a, b) => { exact(qq.subarray(a * D, b * D)); },
      batchQueries: Q, singleQueries: singles, bytes: N * (D + 8),
      batchNote: 'the float32 lists: int8 scan, float32 re-rank of 100 candidates, certified by the int8 bound',
    });
  }
  // usearch through its CommonJS build: its ESM build looks for its native addon from the
  // importing project's root, and a project with a build/ folder (this one) sends it astray.
  const us = await loadPeer<Usearch>('usearch', 'require');
  if (us.ok) {
    for (const n of [1, 2]) {
      impls.push({
        impl: `usearch ${us.version} exactSearch`, threads: n, key: `knn.${tag}.usearch.${n}`,
        single: (qq, i) => Array.from(us.mod.exactSearch(g, qq.slice(i * D, (i + 1) * D), D, K, 'l2sq', n).keys, Number),
        batch: (qq, a, b) => { us.mod.exactSearch(g, qq.slice(a * D, b * D), D, K, 'l2sq', n); },
        batchQueries: big ? (quick ? 10 : 30) : 200, singleQueries: singles,
      });
    }
  } else {
    rows.push(missingRow(single, 'usearch exactSearch', us.error), missingRow(batchName, 'usearch exactSearch', us.error));
  }
  const hn = await loadPeer<Hnswlib>('hnswlib-node', 'require');
  let bf: BruteforceSearch | undefined;
  if (hn.ok) {
    bf = new hn.mod.BruteforceSearch('l2', D);
    bf.initIndex(N);
    for (let j = 0; j < N; j++) bf.addPoint(Array.from(g.subarray(j * D, (j + 1) * D)), j);
    const b = bf;
    impls.push({
      impl: `hnswlib-node ${hn.version} BruteforceSearch`, threads: 1, key: `knn.${tag}.hnswlib.1`,
      single: (qq, i) => b.searchKnn(Array.from(qq.subarray(i * D, (i + 1) * D)), K).neighbors,
      batch: (qq, a, e) => { for (let i = a; i < e; i++) b.searchKnn(Array.from(qq.subarray(i * D, (i + 1) * D)), K); },
      batchQueries: big ? (quick ? 10 : 100) : 300, singleQueries: singles, batchNote: 'no batch form: a loop of single queries',
    });
  } else {
    rows.push(missingRow(single, 'hnswlib-node BruteforceSearch', hn.error), missingRow(batchName, 'hnswlib-node BruteforceSearch', hn.error));
  }
  impls.push({
    impl: 'plain JS (Float32Array, sorted top-k)', threads: 1, key: `knn.${tag}.js.1`,
    single: (qq, i) => jsSearch(g, N, D, qq, i * D, K),
    batch: (qq, a, b) => { for (let i = a; i < b; i++) jsSearch(g, N, D, qq, i * D, K); },
    batchQueries: big ? (quick ? 3 : 10) : 30, singleQueries: big ? (quick ? 3 : 10) : (quick ? 10 : 30), batchNote: 'a loop of single queries',
  });
  const setup = (performance.now() - t0) / 1000;

  const measured: Array<{ impl: Impl; qps: number; latency: number; bqps: number; recall: number }> = [];
  for (const impl of impls) {
    const run = async () => {
      const recall = recallAtK(reference.map((_, i) => impl.single(q, i)), reference);
      const s = timeSingles(impl, q);
      const bqps = timeBatch(impl, q);
      return { impl, ...s, bqps, recall };
    };
    measured.push(impl.impl.startsWith('facemetric') ? await withEngineThreads(impl.threads, run) : await run());
  }
  const base = (th: number) => measured.find((m) => m.impl.impl.startsWith('facemetric') && m.impl.threads === th) ?? measured.find((m) => m.impl.impl.startsWith('facemetric'));
  const hnsw = measured.find((m) => m.impl.impl.startsWith('hnswlib'));
  for (const m of measured) {
    const ours = m.impl.impl.startsWith('facemetric');
    const fm = base(m.impl.threads);
    // Peers: facemetric's float32 scan at the same threads over the peer. Ours: over hnswlib's brute force.
    const vs = (a: number | undefined, b: number, h: number | undefined) => (ours
      ? (h !== undefined ? `${ratio(b, h)} hnswlib brute force; ` : '')
      : `facemetric ${threadLabel(fm?.impl.threads ?? 1)}: ${ratio(a, b)}; `);
    rows.push({ name: single, impl: m.impl.impl, ms: m.latency, rate: m.qps, unit: 'queries/s', threads: m.impl.threads, key: `${m.impl.key}.single`,
      gbps: (m.impl.bytes ?? N * D * 4) / (m.latency * 1e6),
      note: `${vs(fm?.qps, m.qps, hnsw?.qps)}recall@10 ${m.recall.toFixed(3)} on ${RQ} queries; ms = median latency over ${m.impl.singleQueries} queries` });
    rows.push({ name: batchName, impl: m.impl.impl, ms: (1000 * Q) / m.bqps, rate: m.bqps, unit: 'queries/s', threads: m.impl.threads, key: `${m.impl.key}.batch`,
      note: `${vs(fm?.bqps, m.bqps, hnsw?.bqps)}${m.impl.batchQueries !== Q ? `timed on ${m.impl.batchQueries} queries, ms scaled to ${Q}` : 'one call'}${m.impl.batchNote ? `; ${m.impl.batchNote}` : ''}` });
  }
  rows.push({ name: `knn setup, N = ${N.toLocaleString('en')}`, impl: '(all)', ms: setup * 1000, note: 'data, reference scan, gallery and index building (not timed in the rows)' });
  // How many of the 1,000 queries the int8 bound could not certify (each scanned in float32 instead).
  const fallbacks = exact(q).fallbacks ?? 0;
  for (const r of rows) if (r.key?.includes('facemetric-i8exact') && r.key.endsWith('.batch')) r.note += `; ${fallbacks} of ${Q} queries fell back to a float32 scan`;
  // The same for the float32 gallery's gemm candidates (its bound on the expansion's rounding).
  const before = gallery.gemmFallbacks;
  gallery.search(q, K);
  const gemmFallbacks = gallery.gemmFallbacks - before;
  for (const r of rows) if (r.key?.includes('.facemetric.') && r.key.endsWith('.batch')) r.note += `; ${gemmFallbacks} of ${Q} queries fell back to a float32 scan`;
  gallery.dispose();
  compact.dispose();
}

export async function suite(o: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const N of o.quick ? [100_000] : [100_000, 1_000_000]) await atSize(N, o.quick, rows);
  if (o.quick) rows.push(missingRow('knn, N = 1,000,000', '(all)', 'skipped with --quick'));
  return rows;
}
