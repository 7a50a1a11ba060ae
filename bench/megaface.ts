// MegaFace scale on one machine (issue 6): generate the MegaFace-shaped gallery (672,057 people,
// 4.7 M photos by default), stream it to a gallery file, load it back, compute every diameter and
// D, search it in float32, float16 and int8 (compact scan + exact re-rank) and verify pairs by the
// D rule and by a calibrated threshold; every figure is printed next to the target it serves.
//
//   npm run build && node dist/bench/megaface.js [--scale 0.01] [--seed 1] [--queries 50]
//     [--batch 1000] [--file PATH] [--keep] [--json PATH] [--no-f16]
//
// Single thread (the threads branch splits the same (start, end) ranges later). Full size needs
// about 3.1 GB of wasm memory (float32 2.4 GB + int8 0.64 GB) and 2.4 GB of free disk.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { MegaFace } from '../src/metric/megaface.js';
import { CompactGallery, recallAtK, bytesPerRow, planShards, type Precision, type TopK } from '../src/metric/compact.js';
import { writeGalleryStream, readGalleryStreamAsync } from '../src/io/gallery-stream.js';
import { calibrateThreshold, verificationReport } from '../src/metric/roc.js';
import { kernels, wasmMemory } from '../src/wasm.js';

const args = process.argv.slice(2);
function opt(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const scale = Number(opt('scale', '1'));
const seed = Number(opt('seed', '1'));
const nSingle = Number(opt('queries', '50'));
const nBatch = Number(opt('batch', '1000'));
const keepFile = args.includes('--keep');
const withF16 = !args.includes('--no-f16');
const file = opt('file', join(tmpdir(), `facemetric-megaface-${scale}-${seed}.fmg`));
const jsonOut = opt('json', '');
if (!(scale > 0 && scale <= 1)) throw new RangeError(`megaface bench: expected --scale in (0, 1], got ${scale}`);

const GB = 1e9;
const fig: Record<string, number | string> = {};
function line(what: string, value: string, target = ''): void {
  console.log(`${what.padEnd(46)} ${value.padEnd(30)} ${target}`);
}
function now(): number { return performance.now(); }
function peakRss(): number {
  // VmHWM: the peak resident set of this process (Linux); rss now elsewhere.
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return process.memoryUsage().rss;
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = ((s.length - 1) * p) / 100;
  const lo = Math.floor(h), hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

console.log(`# facemetric MegaFace-scale bench — scale ${scale}, seed ${seed}, single thread`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}; node ${process.version}`);
console.log('');

// 1. Generate and stream to a file.
const people = Math.max(2, Math.round(672057 * scale));
let t = now();
const mf = new MegaFace({ people, seed });
const s = mf.stats;
line('people', `${s.people}`, '672,057 (MegaFace) × scale');
line('photos (total)', `${s.total}`, '≈ 4.7 M × scale');
line('photos per person: mean / median', `${s.mean.toFixed(3)} / ${s.median}`, 'mean ≈ 7');
line('photos per person: min / max', `${s.min} / ${s.max}`, '3 / 2,469');
line('power-law exponent α', s.alpha.toFixed(4), '');
line('pairs for the diameters Σ n(n−1)/2', `${(s.pairs / 1e6).toFixed(1)} M`, `(largest person: ${((s.max * (s.max - 1)) / 2 / 1e6).toFixed(2)} M)`);
Object.assign(fig, { people: s.people, photos: s.total, mean: s.mean, median: s.median, min: s.min, max: s.max, pairs: s.pairs });
// (names and labels are not kept: only the gallery's own copies count in the peak memory below)
const w = writeGalleryStream(file, { dim: mf.dim, people: mf.names(), labels: mf.labels(), modelHash: 'synthetic', meta: { generator: 'megaface', seed, people, scale } },
  (out, _r0, m) => mf.fillRows(out, m));
const genS = (now() - t) / 1000;
line('generate + write (streamed, fsync)', `${genS.toFixed(1)} s (${(s.total / genS / 1e6).toFixed(2)} M rows/s)`, 'no second copy: one 32 MiB chunk');
line('gallery file', `${(w.bytes / GB).toFixed(3)} GB, ${w.chunks} chunks`, '');
Object.assign(fig, { generateWriteS: genS, fileBytes: w.bytes });

// 2. Load.
t = now();
// Room for the incremental-add check below (growing past the capacity would copy 2.4 GB).
const { gallery: g } = await readGalleryStreamAsync(file, { modelHash: 'synthetic', capacity: s.total + 1000 });
const loadS = (now() - t) / 1000;
line('load (reads ∥ CRC-32 per chunk, finite check)', `${loadS.toFixed(2)} s = ${(s.total / loadS / 1e6).toFixed(2)} M vectors/s`, 'target ≥ 1 M vectors/s');
line('   (file in the page cache: just written)', `${(w.bytes / loadS / GB).toFixed(2)} GB/s`, '');
Object.assign(fig, { loadS, loadVectorsPerS: s.total / loadS });
const storedF32 = s.total * mf.dim * 4;

// 3. Diameters and D.
t = now();
g.computeDiameters();
const diamS = (now() - t) / 1000;
const Dres = g.D();
const D99 = g.D({ percentile: 99 });
line('all diameters + D', `${diamS.toFixed(2)} s (${(s.pairs / diamS / 1e6).toFixed(0)} M pairs/s)`, 'target ≤ 10 s on 2 threads (this: 1 thread)');
line('D (largest diameter)', `${Dres.D.toFixed(4)} (${Dres.person}, ${g.countOf(g.personOf(Dres.pair[0]))} photos)`, '');
line('D at the 99th percentile', D99.D.toFixed(4), '');
Object.assign(fig, { diametersS: diamS, D: Dres.D, D99: D99.D });
// Incremental upkeep: 100 new photos of the largest person (3 M pairs in all), folded in.
{
  const add = new Float32Array(100 * mf.dim);
  for (let i = 0; i < 100; i++) mf.probe(s.largest, 5000 + i, add, i * mf.dim);
  const before = g.diameter(mf.name(s.largest)).diameter;
  const head = g.size;
  t = now();
  g.add(add, new Array(100).fill(mf.name(s.largest)));
  const addS = (now() - t) / 1000;
  line('add 100 photos to the largest person', `${(addS * 1000).toFixed(0)} ms (diameter ${before.toFixed(4)} → ${g.diameter(mf.name(s.largest)).diameter.toFixed(4)})`, 'incremental: only pairs with a new photo');
  fig.add100S = addS;
  void head;
}

// 4. Queries: probes are fresh photos of gallery people (closed set) and of unknown people.
const d = mf.dim;
const single = new Float32Array(nSingle * d);
const batch = new Float32Array(nBatch * d);
const batchWho: number[] = [];
for (let i = 0; i < nSingle; i++) mf.probe((i * 7919) % people, 1, single, i * d);
for (let i = 0; i < nBatch; i++) { const p = (i * 104729 + 17) % people; batchWho.push(p); mf.probe(p, 2, batch, i * d); }

interface Run { precision: Precision; medianMs: number; p99Ms: number; batchQps: number; recall: number; rank1: number; buildS: number }
const runs: Run[] = [];
let exact: TopK | null = null;
function measure(precision: Precision, buildS: number): TopK {
  const lat: number[] = [];
  g.search(single.subarray(0, d), 10, { precision }); // warm-up
  for (let i = 0; i < nSingle; i++) {
    const t0 = now();
    g.search(single.subarray(i * d, (i + 1) * d), 10, { precision });
    lat.push(now() - t0);
  }
  const t0 = now();
  const r = g.search(batch, 10, { precision });
  const bs = (now() - t0) / 1000;
  if (precision === 'f32') exact = r;
  const recall = recallAtK(r, exact as TopK);
  let right = 0;
  for (let i = 0; i < nBatch; i++) if (g.personOf(r.indices[i * 10]) === batchWho[i]) right++;
  const run: Run = { precision, medianMs: pct(lat, 50), p99Ms: pct(lat, 99), batchQps: nBatch / bs, recall, rank1: right / nBatch, buildS };
  runs.push(run);
  show(run);
  return r;
}
function show(r: Run): void {
  const target = r.precision === 'f32' ? 'targets: median ≤ 60 ms, batch ≥ 50 q/s (2 threads)'
    : r.precision === 'i8' ? 'targets: median ≤ 25 ms (2 threads), recall@10 ≥ 0.99' : '';
  line(`  ${r.precision}${r.precision === 'f32' ? ' exact' : ' scan 100 + exact re-rank'}`,
    `${r.medianMs.toFixed(1)} / ${r.p99Ms.toFixed(1)} ms · ${r.batchQps.toFixed(1)} q/s`, target);
  line(`     recall@10 vs f32 · rank-1 (${nBatch} probes)`, `${r.recall.toFixed(4)} · ${r.rank1.toFixed(4)}`, r.precision === 'f32' ? '' : `build ${r.buildS.toFixed(2)} s`);
  Object.assign(fig, {
    [`${r.precision}MedianMs`]: r.medianMs, [`${r.precision}P99Ms`]: r.p99Ms, [`${r.precision}BatchQps`]: r.batchQps,
    [`${r.precision}Recall10`]: r.recall, [`${r.precision}Rank1`]: r.rank1, [`${r.precision}BuildS`]: r.buildS,
  });
}
console.log('');
line(`search (k = 10; ${nSingle} single queries, a batch of ${nBatch})`, 'single: median / p99 · batch', '');
measure('f32', 0);
t = now();
g.buildCompact('i8');
const i8batch = measure('i8', (now() - t) / 1000);
// Open set: the nearest-photo distance of known probes (the batch) against unknown people's
// (never enrolled); a per-pair threshold is not an open-set threshold at 4.7 M photos, so this one
// is calibrated on nearest distances (first half of each) and tested on the second half.
const nUnknown = Math.min(1000, nBatch);
const unknown = new Float32Array(nUnknown * d);
for (let i = 0; i < nUnknown; i++) mf.probe(people + i, 0, unknown, i * d);
const unkNearest = g.search(unknown, 1, { precision: 'i8' }).distances;
const knownNearest = Float32Array.from({ length: nBatch }, (_, i) => i8batch.distances[i * 10]);
const servedPeak = peakRss();
const servedWasm = wasmMemory().buffer.byteLength;
const memI8 = g.memory();
if (withF16) {
  g.dropCompact();
  t = now();
  g.buildCompact('f16');
  measure('f16', (now() - t) / 1000);
}
const f32ms = runs[0].medianMs;
// The peer measured in the same run: one pass of sum_f32 over the float32 rows (pure streaming).
const sumMs: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = now();
  kernels<{ sum_f32(x: number, n: number): number }>().sum_f32(g.rowsPtr(), s.total * d);
  sumMs.push(now() - t0);
}
const streamGBs = storedF32 / (pct(sumMs, 50) / 1000) / GB;
line('  streaming peer: sum_f32 over the f32 rows', `${pct(sumMs, 50).toFixed(0)} ms = ${streamGBs.toFixed(1)} GB/s`, 'memory streams 26–31 GB/s per thread (issue)');
line('  gallery streamed by the f32 scan', `${(storedF32 / (f32ms / 1000) / GB).toFixed(1)} GB/s = ${((storedF32 / (f32ms / 1000) / GB) / streamGBs).toFixed(2)}× the peer`, '');
const i8run = runs.find((r) => r.precision === 'i8');
if (i8run) line('  int8 scan vs f32 scan, one query', `${(f32ms / i8run.medianMs).toFixed(2)}× faster`, `int8 reads ${(bytesPerRow('f32', d) / bytesPerRow('i8', d)).toFixed(1)}× fewer bytes`);
Object.assign(fig, { streamPeerGBs: streamGBs });

// 5. Verification: genuine pairs (probe, a photo of the same person), impostor pairs (probe, a
// photo of someone else); calibrate on one half, test on the other.
g.dropCompact();
{
  const nPairs = Math.min(20000, 4 * people);
  const q = new Float32Array(nPairs * d);
  const rows = new Int32Array(nPairs);
  const same: boolean[] = [];
  let x = 12345;
  const rnd = (m: number) => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x % m; };
  for (let i = 0; i < nPairs; i++) {
    const p = rnd(people);
    mf.probe(p, 3 + (i % 5), q, i * d);
    const genuine = i % 2 === 0;
    const other = genuine ? p : (p + 1 + rnd(people - 1)) % people;
    rows[i] = mf.starts[other] + rnd(mf.counts[other]);
    same.push(genuine);
  }
  const dist = g.pairDistances(q, rows);
  const half = nPairs / 2;
  const cal = calibrateThreshold(dist.subarray(0, half), same.slice(0, half), { far: 1e-3 });
  const test = { dist: dist.subarray(half), same: same.slice(half) };
  const rate = (thr: number) => {
    let tp = 0, fp = 0, P = 0, N = 0;
    test.same.forEach((sm, i) => { const acc = test.dist[i] < thr; if (sm) { P++; if (acc) tp++; } else { N++; if (acc) fp++; } });
    return { tar: tp / P, far: fp / N, acc: (tp + N - fp) / (P + N) };
  };
  const byD = rate(Dres.D), byD99 = rate(D99.D), byCal = rate(cal.threshold);
  const rep = verificationReport(test.dist, test.same);
  console.log('');
  line(`verification (${half} test pairs, half genuine)`, 'TAR / FAR / accuracy', '');
  line(`  D rule, D = ${Dres.D.toFixed(3)}`, `${byD.tar.toFixed(4)} / ${byD.far.toFixed(4)} / ${byD.acc.toFixed(4)}`, 'the largest of 672 k diameters');
  line(`  D at p99 = ${D99.D.toFixed(3)}`, `${byD99.tar.toFixed(4)} / ${byD99.far.toFixed(4)} / ${byD99.acc.toFixed(4)}`, '');
  line(`  calibrated (FAR 1e-3 on the other half), t = ${cal.threshold.toFixed(3)}`, `${byCal.tar.toFixed(4)} / ${byCal.far.toFixed(4)} / ${byCal.acc.toFixed(4)}`, '');
  line('  AUC / EER', `${rep.auc.toFixed(5)} / ${rep.eer.eer.toFixed(4)}`, '');
  Object.assign(fig, { verifyDTar: byD.tar, verifyDFar: byD.far, verifyD99Tar: byD99.tar, verifyD99Far: byD99.far, verifyCalT: cal.threshold, verifyCalTar: byCal.tar, verifyCalFar: byCal.far, auc: rep.auc, eer: rep.eer.eer });
  // Open set (identification with unknowns): the pair threshold vs a threshold calibrated on the
  // nearest distances of known and unknown probes.
  const kh = nBatch >> 1, uh = nUnknown >> 1;
  const openSet = (thr: number, k0: number, k1: number, u0: number, u1: number) => {
    let rej = 0, ok = 0;
    for (let i = u0; i < u1; i++) if (!(unkNearest[i] < thr)) rej++;
    for (let i = k0; i < k1; i++) if (knownNearest[i] < thr && g.personOf(i8batch.indices[i * 10]) === batchWho[i]) ok++;
    return { rejected: rej / (u1 - u0), identified: ok / (k1 - k0) };
  };
  const pairT = openSet(cal.threshold, kh, nBatch, uh, nUnknown);
  const calOpen = calibrateThreshold([...knownNearest.subarray(0, kh), ...unkNearest.subarray(0, uh)], [...new Array(kh).fill(true), ...new Array(uh).fill(false)]);
  const openT = openSet(calOpen.threshold, kh, nBatch, uh, nUnknown);
  line('  open set, pair threshold: unknowns rejected', `${pairT.rejected.toFixed(3)} (known identified ${pairT.identified.toFixed(3)})`, `${nUnknown - uh} unknown, ${nBatch - kh} known test probes`);
  line(`  open set, calibrated on nearest distances t = ${calOpen.threshold.toFixed(3)}`, `${openT.rejected.toFixed(3)} (known identified ${openT.identified.toFixed(3)})`, '');
  Object.assign(fig, { openPairRejected: pairT.rejected, openPairIdentified: pairT.identified, openCalT: calOpen.threshold, openCalRejected: openT.rejected, openCalIdentified: openT.identified });
}

// 6. Memory.
const peak = peakRss();
console.log('');
line('stored gallery (float32 rows)', `${(storedF32 / GB).toFixed(3)} GB`, '');
line('wasm memory (f32 + i8 served)', `${(servedWasm / GB).toFixed(3)} GB (f32 ${(memI8.f32 / GB).toFixed(3)} + i8 ${(memI8.compact / GB).toFixed(3)} + index ${(memI8.index / GB).toFixed(3)})`, '≤ 4 GiB one wasm32 memory');
line('peak RSS while serving f32 + i8', `${(servedPeak / GB).toFixed(3)} GB = ${(servedPeak / storedF32).toFixed(2)}× stored`, 'target ≤ 1.3× stored');
if (withF16) line('peak RSS incl. the f16 experiment', `${(peak / GB).toFixed(3)} GB = ${(peak / storedF32).toFixed(2)}× (f16 built after freeing i8)`, '');
line('rss now / wasm memory now', `${(process.memoryUsage().rss / GB).toFixed(3)} / ${(wasmMemory().buffer.byteLength / GB).toFixed(3)} GB`, '');
const shards10 = planShards(s.total * 10, bytesPerRow('f32', d) + bytesPerRow('i8', d));
line('10× this gallery would need', `${shards10.length} wasm memories (f32 + i8)`, 'planShards');
Object.assign(fig, { storedBytes: storedF32, servedPeakRss: servedPeak, servedWasm, peakRss: peak, loadEnd: loadavg()[0] });
console.log(`\nload average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

g.dispose();
if (!keepFile && existsSync(file)) rmSync(file);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ scale, seed, ...fig }, null, 2));
