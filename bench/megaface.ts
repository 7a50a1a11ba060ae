// MegaFace scale on one machine (issue 6): generate the MegaFace-shaped gallery (672,057 people,
// 4.7 M photos by default), stream it to a gallery file, load it back, compute every diameter and
// D, search it in float32, float16 and int8 (compact scan + exact re-rank) and verify pairs by the
// D rule and by a calibrated threshold; every figure is printed next to the target it serves.
//
//   npm run build && node dist/bench/megaface.js [--scale 0.01] [--seed 1] [--queries 50]
//     [--batch 1000] [--batch1 200] [--threads 2] [--file PATH] [--keep] [--json PATH] [--f16]
//
// Searches and diameters at 1 thread and at --threads (default 2) with the ratio; the batch at 1
// thread is --batch1 queries (a float32 batch of 1,000 takes minutes on one thread). The int8
// copy is built in place over the float32 rows (CompactGallery.releaseRows) after the float32
// figures, with exact distances read from the gallery file, so the peak stays near the stored
// gallery; --f16 also measures a float16 copy next to the float32 rows first (its 1.2 GB raise
// the peak to about 1.5×). Full size needs about 2.5 GB of memory and 2.4 GB of free disk.
import '../src/cli/v8-flags.js'; // first: before the engine's module is compiled
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { MegaFace } from '../src/metric/megaface.js';
import { CompactGallery, recallAtK, bytesPerRow, i8BlockBytes, planShards, type Precision, type RowReader, type TopK } from '../src/metric/compact.js';
import { partScratch, runParts, setThreads, splitRange } from '../src/threads.js';
import { writeGalleryStream, readGalleryStreamAsync, galleryFileRows } from '../src/io/gallery-stream.js';
import { calibrateThreshold, verificationReport } from '../src/metric/roc.js';
import { wasmMemory } from '../src/wasm.js';

const args = process.argv.slice(2);
function opt(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const scale = Number(opt('scale', '1'));
const seed = Number(opt('seed', '1'));
const nSingle = Number(opt('queries', '50'));
const nBatch = Number(opt('batch', '1000'));
const nBatch1 = Math.min(nBatch, Number(opt('batch1', '200')));
const TH = Number(opt('threads', '2'));
const keepFile = args.includes('--keep');
const withF16 = args.includes('--f16');
const file = opt('file', join(tmpdir(), `facemetric-megaface-${scale}-${seed}.fmg`));
const jsonOut = opt('json', '');
if (!(scale > 0 && scale <= 1)) throw new RangeError(`megaface bench: expected --scale in (0, 1], got ${scale}`);

const GB = 1e9;
const fig: Record<string, number | string> = {};
function line(what: string, value: string, target = ''): void {
  console.log(`${what.padEnd(60)} ${value.padEnd(36)} ${target}`);
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

console.log(`# facemetric MegaFace-scale bench — scale ${scale}, seed ${seed}, 1 and ${TH} threads`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}; node ${process.version}`);
console.log('');
fig.loadStart = loadavg()[0];

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

// 3. Diameters and D, at 1 thread and at TH threads (the same bits).
const diamS: number[] = [];
let diamBits = '';
for (const th of [1, TH]) {
  setThreads(th);
  g.search(g.rows(0, 1).slice(), 1); // starts the workers outside the timing
  t = now();
  g.computeDiameters();
  diamS.push((now() - t) / 1000);
  const bits = Buffer.from(g.diameterValues().buffer).toString('base64');
  if (th === 1) diamBits = bits;
  else if (bits !== diamBits) throw new Error('megaface bench: diameters differ between 1 and more threads');
}
const D1 = g.D();
const D99 = g.D({ percentile: 99 });
line('all diameters + D: 1 thread', `${diamS[0].toFixed(2)} s (${(s.pairs / diamS[0] / 1e6).toFixed(0)} M pairs/s)`, '');
line(`all diameters + D: ${TH} threads`, `${diamS[1].toFixed(2)} s (${(s.pairs / diamS[1] / 1e6).toFixed(0)} M pairs/s) = ${(diamS[0] / diamS[1]).toFixed(2)}×`, 'target ≤ 10 s on 2 threads; same bits');
line('D (largest diameter)', `${D1.D.toFixed(4)} (${D1.person}, ${g.countOf(g.personOf(D1.pair[0]))} photos)`, '');
line('D at the 99th percentile', D99.D.toFixed(4), '');
Object.assign(fig, { diametersS1: diamS[0], diametersS: diamS[1], D: D1.D, D99: D99.D });
// Incremental upkeep: 100 new photos of the largest person (3 M pairs in all), folded in.
const added = new Float32Array(100 * mf.dim);
{
  for (let i = 0; i < 100; i++) mf.probe(s.largest, 5000 + i, added, i * mf.dim);
  const before = g.diameter(mf.name(s.largest)).diameter;
  t = now();
  g.add(added, new Array(100).fill(mf.name(s.largest)));
  const addS = (now() - t) / 1000;
  line('add 100 photos to the largest person', `${(addS * 1000).toFixed(0)} ms (diameter ${before.toFixed(4)} → ${g.diameter(mf.name(s.largest)).diameter.toFixed(4)})`, 'incremental: only pairs with a new photo');
  fig.add100S = addS;
}
const Dres = D1;

// 4. Queries: probes are fresh photos of gallery people (closed set) and of unknown people.
const d = mf.dim;
const single = new Float32Array(nSingle * d);
const batch = new Float32Array(nBatch * d);
const batchWho: number[] = [];
for (let i = 0; i < nSingle; i++) mf.probe((i * 7919) % people, 1, single, i * d);
for (let i = 0; i < nBatch; i++) { const p = (i * 104729 + 17) % people; batchWho.push(p); mf.probe(p, 2, batch, i * d); }

interface Timing { medianMs: number; p99Ms: number; batchQps: number; result: TopK }
/** Single-query latencies and one batch (the first nb probes), at the current thread count. */
function timeSearch(opts: { precision: Precision; candidates?: number; exact?: boolean }, nb: number): Timing {
  const lat: number[] = [];
  g.search(single.subarray(0, d), 10, opts); // warm-up (starts the workers)
  for (let i = 0; i < nSingle; i++) {
    const t0 = now();
    g.search(single.subarray(i * d, (i + 1) * d), 10, opts);
    lat.push(now() - t0);
  }
  const t0 = now();
  const result = g.search(batch.subarray(0, nb * d), 10, opts);
  return { medianMs: pct(lat, 50), p99Ms: pct(lat, 99), batchQps: nb / ((now() - t0) / 1000), result };
}
function rank1(r: TopK): number {
  let right = 0;
  for (let i = 0; i < r.queries; i++) if (g.personOf(r.indices[i * 10]) === batchWho[i]) right++;
  return right / r.queries;
}
function sameLists(a: TopK, b: TopK): boolean {
  const n = Math.min(a.indices.length, b.indices.length);
  for (let i = 0; i < n; i++) if (a.indices[i] !== b.indices[i] || a.distances[i] !== b.distances[i]) return false;
  return true;
}
function showPair(name: string, one: Timing, many: Timing, target: string): void {
  line(`  ${name}: single median / p99`, `${one.medianMs.toFixed(1)} / ${one.p99Ms.toFixed(1)} → ${many.medianMs.toFixed(1)} / ${many.p99Ms.toFixed(1)} ms`, `${(one.medianMs / many.medianMs).toFixed(2)}× · ${target}`);
  line(`  ${name}: batch q/s (1 thread: ${nBatch1}, ${TH}: ${nBatch})`, `${one.batchQps.toFixed(1)} → ${many.batchQps.toFixed(1)} q/s`, `${(many.batchQps / one.batchQps).toFixed(2)}×`);
}
const key = (p: string) => p.replace(/[^a-z0-9]/gi, '');
function record(name: string, one: Timing, many: Timing): void {
  Object.assign(fig, {
    [`${key(name)}MedianMs1`]: one.medianMs, [`${key(name)}P99Ms1`]: one.p99Ms, [`${key(name)}BatchQps1`]: one.batchQps,
    [`${key(name)}MedianMs`]: many.medianMs, [`${key(name)}P99Ms`]: many.p99Ms, [`${key(name)}BatchQps`]: many.batchQps,
  });
}

console.log('');
line(`search (k = 10; ${nSingle} single queries, batches)`, `1 thread → ${TH} threads`, `${TH} vs 1 · target`);
// The streaming peer measured in the same run: one pass over the float32 rows (stream_sum_f32),
// whole on 1 thread, in one part per thread on TH threads.
/** Median ms of one read of `floats` floats from row 0 of the gallery's block, in one part per thread. */
function streamMs(floats: number, th: number): number {
  setThreads(th);
  const b = splitRange(floats, th, 16);
  const jobs: number[][] = [];
  for (let i = 0; i + 1 < b.length; i++) jobs.push([g.rowsPtr(), b[i], b[i + 1], partScratch('bench-stream', i, 1)]);
  runParts('stream_sum_f32', jobs); // warm-up (starts the workers)
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    runParts('stream_sum_f32', jobs);
    ms.push(now() - t0);
  }
  return pct(ms, 50);
}
const streamGBs = [1, TH].map((th) => storedF32 / (streamMs(s.total * d, th) / 1000) / GB);
line('  streaming peer: one read of the f32 rows', `${streamGBs[0].toFixed(1)} → ${streamGBs[1].toFixed(1)} GB/s`, `${(streamGBs[1] / streamGBs[0]).toFixed(2)}× · memory streams 26–31 GB/s per thread (issue)`);
Object.assign(fig, { streamPeerGBs1: streamGBs[0], streamPeerGBs: streamGBs[1] });

setThreads(1);
const f1 = timeSearch({ precision: 'f32' }, nBatch1);
setThreads(TH);
const fN = timeSearch({ precision: 'f32' }, nBatch);
const exact = fN.result;
if (!sameLists(f1.result, exact)) throw new Error('megaface bench: f32 lists differ between 1 and more threads');
showPair('f32 exact', f1, fN, 'targets: median ≤ 60 ms, batch ≥ 50 q/s (2 threads)');
const f32GBs = [storedF32 / (f1.medianMs / 1000) / GB, storedF32 / (fN.medianMs / 1000) / GB];
line('     gallery streamed by one f32 query', `${f32GBs[0].toFixed(1)} → ${f32GBs[1].toFixed(1)} GB/s`, `${(f32GBs[0] / streamGBs[0]).toFixed(2)}× → ${(f32GBs[1] / streamGBs[1]).toFixed(2)}× the streaming peer`);
line(`     rank-1 (${nBatch} probes)`, rank1(exact).toFixed(4), '');
record('f32', f1, fN);
fig.f32Rank1 = rank1(exact);

if (withF16) {
  t = now();
  g.buildCompact('f16');
  const bs = (now() - t) / 1000;
  setThreads(1);
  const h1 = timeSearch({ precision: 'f16' }, nBatch1);
  setThreads(TH);
  const hN = timeSearch({ precision: 'f16' }, nBatch);
  showPair('f16 scan 100 + exact re-rank', h1, hN, `build ${bs.toFixed(2)} s`);
  line('     recall@10 vs f32', recallAtK(hN.result, exact).toFixed(4), '');
  record('f16', h1, hN);
  fig.f16Recall10 = recallAtK(hN.result, exact);
  g.dropCompact();
}

// The int8 copy in place over the float32 rows; exact distances from the file (and the 100 added
// rows, which the file does not hold, from memory).
const fileRows = galleryFileRows(file);
const reader: RowReader = {
  rows: s.total + 100,
  read(r0: number, r1: number, into: Uint8Array): void {
    const cut = Math.min(Math.max(r0, s.total), r1);
    if (cut > r0) fileRows.read(r0, cut, into.subarray(0, (cut - r0) * d * 4));
    if (r1 > cut) into.set(new Uint8Array(added.buffer, (cut - s.total) * d * 4, (r1 - cut) * d * 4), (cut - r0) * d * 4);
  },
};
const f32PeakRss = peakRss();
t = now();
g.releaseRows(reader);
const buildI8S = (now() - t) / 1000;
line(`  int8 built in place over the f32 rows (${TH} threads)`, `${buildI8S.toFixed(2)} s`, 'exact distances then read from the gallery file');
fig.i8BuildS = buildI8S;

// The same peer over the int8 blocks alone: no int8 query can take less than one read of them.
const i8Bytes = i8BlockBytes(s.total, d), i8FloorMs = streamMs(i8Bytes / 4, TH);
line(`  streaming peer: one read of the int8 blocks (${TH} threads)`, `${(i8Bytes / GB).toFixed(3)} GB in ${i8FloorMs.toFixed(1)} ms = ${(i8Bytes / (i8FloorMs / 1000) / GB).toFixed(1)} GB/s`, 'the int8 query\'s floor');
Object.assign(fig, { i8PeerMs: i8FloorMs, i8PeerGBs: i8Bytes / (i8FloorMs / 1000) / GB });

setThreads(1);
const i1 = timeSearch({ precision: 'i8', candidates: 100 }, nBatch1);
setThreads(TH);
const iN = timeSearch({ precision: 'i8', candidates: 100 }, nBatch);
const i8batch = iN.result;
showPair('i8 scan 100 + exact re-rank', i1, iN, 'target: median ≤ 25 ms (2 threads)');
{
  // Interleaved, so that both see the same memory: a read of the blocks, then one query, 30 times.
  const peer: number[] = [], query: number[] = [];
  for (let i = 0; i < 30; i++) {
    peer.push(streamMs(i8Bytes / 4, TH));
    const t0 = now();
    g.search(single.subarray((i % nSingle) * d, (i % nSingle + 1) * d), 10, { precision: 'i8', candidates: 100 });
    query.push(now() - t0);
  }
  const p50 = pct(peer, 50), q50 = pct(query, 50);
  line('     one int8 query against a read of its blocks, interleaved', `${q50.toFixed(1)} vs ${p50.toFixed(1)} ms = ${(p50 / q50).toFixed(2)}× the peer's speed`, '30 pairs, medians');
  Object.assign(fig, { i8InterleavedQueryMs: q50, i8InterleavedPeerMs: p50 });
}
const i8recall = recallAtK(i8batch, exact);
line('     recall@10 vs f32 · rank-1', `${i8recall.toFixed(4)} · ${rank1(i8batch).toFixed(4)}`, 'target ≥ 0.99');
record('i8', i1, iN);
Object.assign(fig, { i8Recall10: i8recall, i8Rank1: rank1(i8batch) });
line('     int8 vs f32, one query', `${(f1.medianMs / i1.medianMs).toFixed(2)}× (1 thread), ${(fN.medianMs / iN.medianMs).toFixed(2)}× (${TH})`, `int8 reads ${(bytesPerRow('f32', d) / bytesPerRow('i8', d)).toFixed(1)}× fewer bytes`);

setThreads(1);
const x1 = timeSearch({ precision: 'i8', candidates: 100, exact: true }, nBatch1);
setThreads(TH);
const xN = timeSearch({ precision: 'i8', candidates: 100, exact: true }, nBatch);
const sameAsF32 = sameLists(xN.result, exact) && sameLists(x1.result, exact);
showPair('f32-exact via int8 (certified)', x1, xN, 'float32 results, ≥ 50 q/s target');
line('     lists equal to the f32 scan · f32 fallbacks', `${sameAsF32 ? 'yes, bit for bit' : 'NO'} · ${xN.result.fallbacks} of ${nBatch}`, '');
record('exactI8', x1, xN);
Object.assign(fig, { exactI8Same: sameAsF32 ? 1 : 0, exactI8Fallbacks: xN.result.fallbacks ?? -1 });

// Open set: the nearest-photo distance of known probes (the batch) against unknown people's
// (never enrolled); a per-pair threshold is not an open-set threshold at 4.7 M photos, so this one
// is calibrated on nearest distances (first half of each) and tested on the second half.
const nUnknown = Math.min(500, nBatch);
const unknown = new Float32Array(nUnknown * d);
for (let i = 0; i < nUnknown; i++) mf.probe(people + i, 0, unknown, i * d);
const unkNearest = g.search(unknown, 1, { precision: 'i8' }).distances;
const knownNearest = Float32Array.from({ length: nBatch }, (_, i) => i8batch.distances[i * 10]);
const memI8 = g.memory();

// 5. Verification: genuine pairs (probe, a photo of the same person), impostor pairs (probe, a
// photo of someone else); calibrate on one half, test on the other (distances read from the file).
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
  // FAR 10⁻³ needs at least 1,000 impostor pairs on the calibration half; small --scale runs have fewer.
  const impostors = same.slice(0, half).filter((s) => !s).length;
  const cal = calibrateThreshold(dist.subarray(0, half), same.slice(0, half), { far: Math.max(1e-3, 1 / Math.max(impostors, 1)) });
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
const wasmNow = wasmMemory().buffer.byteLength;
const bothBytes = storedF32 + s.total * bytesPerRow('i8', d) + memI8.index;
console.log('');
line('stored gallery (float32 rows)', `${(storedF32 / GB).toFixed(3)} GB (file ${(w.bytes / GB).toFixed(3)} GB)`, '');
line('wasm memory (int8 blocks in place + index)', `${(wasmNow / GB).toFixed(3)} GB (block ${(memI8.compact / GB).toFixed(3)} + index ${(memI8.index / GB).toFixed(3)})`, '≤ 4 GiB one wasm32 memory');
line(`peak RSS of the whole run${withF16 ? ' (incl. the f16 experiment)' : ''}`, `${(peak / GB).toFixed(3)} GB = ${(peak / storedF32).toFixed(3)}× stored`, 'target ≤ 1.3× stored');
line('peak RSS before the int8 copy (f32 served)', `${(f32PeakRss / GB).toFixed(3)} GB = ${(f32PeakRss / storedF32).toFixed(3)}×`, '');
line('f32 + a separate int8 copy would hold', `${(bothBytes / GB).toFixed(3)} GB = ${(bothBytes / storedF32).toFixed(3)}× before Node's own`, 'why the copy goes in place');
line('rss now', `${(process.memoryUsage().rss / GB).toFixed(3)} GB`, '');
const cpu = process.cpuUsage(), wallS = performance.now() / 1000, cpuS = (cpu.user + cpu.system) / 1e6;
line('process CPU time / wall time', `${cpuS.toFixed(0)} s / ${wallS.toFixed(0)} s = ${(cpuS / wallS).toFixed(2)} cores on average`, 'what the machine gave this run');
fig.coresUsed = cpuS / wallS;
const shards10 = planShards(s.total * 10, bytesPerRow('f32', d) + bytesPerRow('i8', d));
line('10× this gallery would need', `${shards10.length} wasm memories (f32 + i8)`, 'planShards');
Object.assign(fig, { storedBytes: storedF32, f32PeakRss, wasmBytes: wasmNow, peakRss: peak, peakRatio: peak / storedF32, threads: TH, loadEnd: loadavg()[0] });
console.log(`\nload average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

g.dispose();
fileRows.close();
if (!keepFile && existsSync(file)) rmSync(file);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ scale, seed, ...fig }, null, 2));
