// The suite's report: the text table on stdout, the issue-5 targets computed from the rows of one
// run, the machine and versions, and bench/RESULTS.md.
import { cpus, totalmem, loadavg, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { PEERS, packageVersion, projectRoot, type BenchRow } from './common.js';
import { flavour } from '../src/wasm.js';

const fmt = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(d));

/** The cells of one row: benchmark, implementation, threads, ms, GFLOP/s, GB/s, rate, note. */
export function rowCells(r: BenchRow): string[] {
  return [r.name, r.impl, r.threads === undefined ? '' : String(r.threads), Number.isFinite(r.ms) ? fmt(r.ms, 3) : '—',
    fmt(r.gflops), fmt(r.gbps), r.rate !== undefined && Number.isFinite(r.rate) ? `${fmt(r.rate, 1)} ${r.unit ?? '/s'}` : '', r.note ?? ''];
}
const HEAD = ['benchmark', 'implementation', 'threads', 'ms', 'GFLOP/s', 'GB/s', 'rate', 'note'];

/** A fixed-width text table. */
export function textTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** A Markdown table (pipes in cells escaped). */
export function markdownTable(head: string[], body: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${head.map(esc).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((b) => `| ${b.map(esc).join(' | ')} |`)].join('\n');
}

export const rowsText = (rows: BenchRow[]) => textTable(HEAD, rows.map(rowCells));
export const rowsMarkdown = (rows: BenchRow[]) => markdownTable(HEAD, rows.map(rowCells));

// ---------------------------------------------------------------------------------------------
// Targets (issue 5), each a ratio from this run's rows.

export interface Target { target: string; measured: string; ratio: number; needed: number; status: 'met' | 'missed' | 'not measured'; note: string }

/** Value of a keyed row: its rate, else its GFLOP/s. */
function valueOf(rows: BenchRow[], key: string): number | undefined {
  const r = rows.find((x) => x.key === key);
  const v = r?.rate ?? r?.gflops;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

function target(name: string, needed: number, num: number | undefined, den: number | undefined, what: string, missing: string): Target {
  if (num === undefined || den === undefined) return { target: name, measured: '', ratio: NaN, needed, status: 'not measured', note: missing };
  const ratio = num / den;
  return { target: name, measured: what.replace('{a}', num.toFixed(1)).replace('{b}', den.toFixed(1)), ratio, needed, status: ratio >= needed ? 'met' : 'missed', note: '' };
}

/** Quoted, not measured here: faiss (OpenBLAS, AVX-512) batch of 1,000 at 1M, from issue 5. */
export const FAISS_BATCH_QPS = 215;

export function targets(rows: BenchRow[]): Target[] {
  const v = (k: string) => valueOf(rows, k);
  const noThreads = 'no 2-thread facemetric row in this run (an engine without setThreads(), or the suite was not run)';
  const gemm1024 = rows.find((r) => r.name === 'gemm 1024³' && r.impl === 'facemetric')?.gflops;
  const gemmPeak = rows.find((r) => r.name.startsWith('micro-kernel 4×8'))?.gflops ?? v('peak');
  const t: Target[] = [
    target('training images/s ≥ 2.5× PyTorch, 1 thread', 2.5, v('train.facemetric.1'), v('train.torch.1'), '{a} vs {b} images/s', 'PyTorch or the network suite not run'),
    target('training images/s ≥ 2.5× PyTorch, 2 threads', 2.5, v('train.facemetric.2'), v('train.torch.2'), '{a} vs {b} images/s', v('train.torch.2') === undefined ? 'PyTorch not measured' : noThreads),
    target('inference ≥ 4× TensorFlow.js wasm, 1 thread', 4, v('infer.facemetric.1.tfjs') ?? v('infer.facemetric.1'), v('infer.tfjs-wasm'), '{a} vs {b} images/s', 'TF.js wasm or the network suite not run'),
    target('inference ≥ 3× PyTorch, 1 thread', 3, v('infer.facemetric.1'), v('infer.torch.1'), '{a} vs {b} images/s', 'PyTorch or the network suite not run'),
    target('inference ≥ 3× PyTorch, 2 threads', 3, v('infer.facemetric.2'), v('infer.torch.2'), '{a} vs {b} images/s', v('infer.torch.2') === undefined ? 'PyTorch not measured' : noThreads),
    target('gemm 1024³: 2 threads ≥ 1.8× 1 thread', 1.8, v('mm.facemetric.2'), v('mm.facemetric.1'), '{a} vs {b} GFLOP/s', noThreads),
    target('conv2d layer 2 forward: 2 threads ≥ 1.8× 1 thread', 1.8, v('conv.layer 2.facemetric.2'), v('conv.layer 2.facemetric.1'), '{a} vs {b} GFLOP/s', noThreads),
    target('training step: 2 threads ≥ 1.8× 1 thread', 1.8, v('train.facemetric.2'), v('train.facemetric.1'), '{a} vs {b} images/s', noThreads),
    target('kNN single query at 1M ≥ hnswlib brute force, 1 thread', 1, v('knn.1M.facemetric.1.single'), v('knn.1M.hnswlib.1.single'), '{a} vs {b} queries/s', 'the 1M kNN rows were not run (full run only)'),
    target('kNN single query at 1M ≥ 1.8× hnswlib brute force, 2 threads', 1.8, v('knn.1M.facemetric.2.single'), v('knn.1M.hnswlib.1.single'), '{a} vs {b} queries/s (hnswlib: 1 thread)', v('knn.1M.hnswlib.1.single') === undefined ? 'the 1M kNN rows were not run (full run only)' : noThreads),
    target('kNN batch of 1,000 at 1M ≥ 150 queries/s, 1 thread', 1, v('knn.1M.facemetric.1.batch'), 150, '{a} vs {b} queries/s', 'the 1M kNN rows were not run (full run only)'),
    target(`kNN batch of 1,000 at 1M ≥ faiss's ${FAISS_BATCH_QPS} queries/s, 2 threads`, 1, v('knn.1M.facemetric.2.batch'), FAISS_BATCH_QPS, '{a} vs {b} queries/s (faiss quoted from issue 5, not measured here)', v('knn.1M.facemetric.1.batch') === undefined ? 'the 1M kNN rows were not run (full run only)' : noThreads),
    // The same four with CompactGallery's exact int8 search (the float32 lists, certified; 1.27× the memory).
    target('… exact via int8: single query at 1M ≥ hnswlib brute force, 1 thread', 1, v('knn.1M.facemetric-i8exact.1.single'), v('knn.1M.hnswlib.1.single'), '{a} vs {b} queries/s', 'the 1M kNN rows were not run (full run only)'),
    target('… exact via int8: single query at 1M ≥ 1.8× hnswlib brute force, 2 threads', 1.8, v('knn.1M.facemetric-i8exact.2.single'), v('knn.1M.hnswlib.1.single'), '{a} vs {b} queries/s (hnswlib: 1 thread)', v('knn.1M.hnswlib.1.single') === undefined ? 'the 1M kNN rows were not run (full run only)' : noThreads),
    target('… exact via int8: batch of 1,000 at 1M ≥ 150 queries/s, 1 thread', 1, v('knn.1M.facemetric-i8exact.1.batch'), 150, '{a} vs {b} queries/s', 'the 1M kNN rows were not run (full run only)'),
    target(`… exact via int8: batch of 1,000 at 1M ≥ faiss's ${FAISS_BATCH_QPS} queries/s, 2 threads`, 1, v('knn.1M.facemetric-i8exact.2.batch'), FAISS_BATCH_QPS, '{a} vs {b} queries/s (faiss quoted from issue 5, not measured here)', v('knn.1M.facemetric-i8exact.1.batch') === undefined ? 'the 1M kNN rows were not run (full run only)' : noThreads),
    target('gemm 1024³ ≥ 85 % of the micro-kernel peak, 1 thread', 0.85, gemm1024, gemmPeak, '{a} vs {b} GFLOP/s', 'the gemm suite was not run'),
  ];
  return t;
}

const TARGET_HEAD = ['target', 'measured (same run)', 'ratio', 'needed', 'status', 'note'];
/** The ratio with 2 decimals, or 3 when 2 would round a miss up to the needed value (1.7986 → "1.799×"). */
export function ratioCell(ratio: number, needed: number): string {
  if (!Number.isFinite(ratio)) return '';
  const two = ratio.toFixed(2);
  return `${ratio < needed && Number(two) >= needed ? ratio.toFixed(3) : two}×`;
}
const targetCells = (t: Target) => [t.target, t.measured, ratioCell(t.ratio, t.needed), `${t.needed}×`, t.status, t.note];
export const targetsText = (t: Target[]) => textTable(TARGET_HEAD, t.map(targetCells));

// ---------------------------------------------------------------------------------------------
// Machine and versions.

export interface MachineInfo { cpu: string; cores: number; memoryGiB: number; node: string; os: string; load: string; date: string; engine: string; versions: Array<[string, string]> }

const ENGINE_BUILDS: Record<string, string> = {
  relaxed: 'relaxed (build/facemetric.relaxed.wasm: SIMD128 + relaxed SIMD, fused multiply-adds in the register tiles)',
  release: 'release (build/facemetric.wasm: SIMD128; this runtime does not validate relaxed SIMD)',
  debug: 'debug (build/facemetric.debug.wasm: assertions on; not for timing)',
};

export function machineInfo(extra: Array<[string, string]> = []): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) cpu = m[1].trim();
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:\s*(.+)$/m)?.[1].split(' ') ?? [];
    const simd = ['avx512f', 'avx2', 'fma', 'sse4_2'].filter((f) => flags.includes(f));
    if (simd.length) cpu += ` (${simd.join(', ')})`;
  } catch { /* not Linux */ }
  let own = '';
  try { own = (JSON.parse(readFileSync(`${projectRoot}package.json`, 'utf8')) as { version: string }).version; } catch { /* none */ }
  const versions: Array<[string, string]> = [['facemetric', own], ...PEERS.map((p): [string, string] => [p, packageVersion(p) ?? 'not installed']), ...extra];
  return {
    cpu, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, os: `${process.platform} ${release()}`,
    load: loadavg().map((l) => l.toFixed(2)).join(', '), date: new Date().toISOString(), engine: ENGINE_BUILDS[flavour()], versions,
  };
}

export function resultsMarkdown(o: { quick: boolean; args: string[]; machine: MachineInfo; seconds: number; sections: Array<[string, BenchRow[]]>; targets: Target[] }): string {
  const m = o.machine;
  const lines = [
    `# Benchmark results${o.quick ? ' (--quick run: small N, few iterations; the 1M kNN rows are skipped)' : ''}`,
    '',
    `Written by \`npm run bench${o.args.length ? ` -- ${o.args.join(' ')}` : ''}\` on ${m.date} (${(o.seconds / 60).toFixed(1)} min). Every figure and every ratio below comes from this one run;`,
    'ms is the median time of one call (one batch for the network rows, median latency for single kNN queries).',
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpu}, ${m.cores} cores; ${m.memoryGiB} GiB memory; ${m.os}`,
    `- Node ${m.node}; load average at the start: ${m.load} (the machine is shared: timings are noisy, compare ratios)`,
    `- Versions: ${m.versions.map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- Engine build: ${m.engine}`,
    '',
    '## Issue 5 targets',
    '',
    markdownTable(TARGET_HEAD, o.targets.map(targetCells)),
    '',
  ];
  for (const [name, rows] of o.sections) lines.push(`## ${name}`, '', rowsMarkdown(rows), '');
  return lines.join('\n');
}
