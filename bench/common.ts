// Shared pieces of the benchmark suite: a row of results, timing with tinybench (fast calls) or a
// plain median of a few runs (calls of a second or more), the machine's ceilings measured in the
// same run (the micro-kernel's peak and a memory stream), engine thread counts, and loading
// optional peers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { Storage } from '../src/memory.js';
import { kernels } from '../src/wasm.js';
import { Rng } from '../src/random.js';

export interface BenchRow {
  /** What was measured, e.g. "gemm 1024³". */
  name: string;
  /** Which implementation: "facemetric", "plain JS", a peer's name. */
  impl: string;
  /** Median time of one call, milliseconds (NaN when the row could not be measured). */
  ms: number;
  /** Throughput in GFLOP/s when the work is compute-bound. */
  gflops?: number;
  /** Throughput in GB/s when the work is memory-bound. */
  gbps?: number;
  /** A rate in `unit` (images/s, queries/s). */
  rate?: number;
  unit?: string;
  /** Threads the implementation ran on. */
  threads?: number;
  /** Free text, e.g. the ratio against a peer from the same run. */
  note?: string;
  /** A stable identifier for rows that the targets table reads (e.g. "train.facemetric.1"). */
  key?: string;
}

export interface SuiteOptions {
  quick: boolean;
  /** The command line's other flags (e.g. --tfjs-cpu-train). */
  flags?: string[];
}

/** Times fn with tinybench and returns the median milliseconds of one call. */
export async function timeIt(name: string, fn: () => void, { quick, minTimeMs }: { quick: boolean; minTimeMs?: number }): Promise<number> {
  const bench = new Bench({ time: minTimeMs ?? (quick ? 200 : 1000), iterations: quick ? 3 : 10, warmup: true, warmupIterations: 2, warmupTime: quick ? 50 : 200 });
  bench.add(name, fn);
  await bench.run();
  const task = bench.tasks[0];
  const r = task.result as { latency?: { p50?: number; mean?: number }; error?: unknown; state?: string } | undefined;
  if (r?.error) throw r.error;
  const ms = r?.latency?.p50 ?? r?.latency?.mean;
  if (ms === undefined) throw new Error(`bench ${name}: no result`);
  return ms;
}

/** Median milliseconds of `runs` calls after `warmup` untimed ones: for calls that take seconds. */
export async function medianMs(fn: () => unknown, runs: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return median(t);
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** GFLOP/s for `flops` operations done in `ms` milliseconds. */
export function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

/** GB/s for `bytes` moved in `ms` milliseconds. */
export function gbps(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}

/** "3.2×" (or "n/a" when either side is missing). */
export function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

// ---------------------------------------------------------------------------------------------
// The machine's ceilings, measured once per run and shared by every suite.

interface CeilingKernels {
  gemm_kernel_4x8(kc: number, pa: number, pb: number, c: number, ldc: number, accumulate: number): void;
  sum_f32(x: number, n: number): number;
  copy_f32(x: number, n: number, y: number): void;
}

function filled(n: number, rng: Rng): Storage {
  const s = new Storage(n);
  const v = s.f32view();
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return s;
}

let peakCache: Promise<number> | undefined;
/** GFLOP/s of gemm_kernel_4x8 on L1-resident panels (kc = 256, 1,000 calls per sample): the compute ceiling of one thread. */
export function microKernelPeak(quick: boolean): Promise<number> {
  peakCache ??= (async () => {
    const k = kernels<CeilingKernels>(), rng = new Rng(7), KC = 256, REPS = 1000;
    const pa = filled(4 * KC, rng), pb = filled(8 * KC, rng), tile = filled(32, rng);
    const ms = await timeIt('micro-kernel peak', () => { for (let r = 0; r < REPS; r++) k.gemm_kernel_4x8(KC, pa.ptr, pb.ptr, tile.ptr, 8, 1); }, { quick });
    for (const s of [pa, pb, tile]) s.dispose();
    return gflops(2 * 4 * 8 * KC * REPS, ms);
  })();
  return peakCache;
}

export interface StreamBandwidth {
  /** GB/s of sum_f32 over a buffer far larger than the caches (reads only). */
  read: number;
  /** GB/s of copy_f32 between two such buffers (bytes read + bytes written). */
  copy: number;
  /** Buffer size in MB. */
  mb: number;
}

let streamCache: Promise<StreamBandwidth> | undefined;
/** The memory stream of one thread: sum and copy over 256 MB buffers (64 MB with --quick). */
export function streamBandwidth(quick: boolean): Promise<StreamBandwidth> {
  streamCache ??= (async () => {
    const k = kernels<CeilingKernels>(), n = (quick ? 16 : 64) * 1024 * 1024;
    const a = new Storage(n), b = new Storage(n);
    a.f32view().fill(1);
    b.f32view().fill(0);
    const sumMs = await timeIt('stream sum', () => { k.sum_f32(a.ptr, n); }, { quick, minTimeMs: quick ? 200 : 800 });
    const copyMs = await timeIt('stream copy', () => k.copy_f32(a.ptr, n, b.ptr), { quick, minTimeMs: quick ? 200 : 800 });
    a.dispose(); b.dispose();
    return { read: gbps(4 * n, sumMs), copy: gbps(8 * n, copyMs), mb: (4 * n) / 1e6 };
  })();
  return streamCache;
}

/** The rows for the ceilings themselves. */
export async function ceilingRows(quick: boolean): Promise<BenchRow[]> {
  const peak = await microKernelPeak(quick), s = await streamBandwidth(quick);
  return [
    { name: 'ceiling: micro-kernel 4×8, kc=256, L1-resident', impl: 'facemetric', ms: NaN, gflops: peak, threads: 1, key: 'peak', note: 'compute peak of one thread' },
    { name: `ceiling: memory stream, sum over ${s.mb.toFixed(0)} MB`, impl: 'facemetric (sum_f32)', ms: (s.mb / s.read), gbps: s.read, threads: 1, key: 'stream.read', note: 'read bandwidth of one thread' },
    { name: `ceiling: memory stream, copy ${s.mb.toFixed(0)} MB`, impl: 'facemetric (copy_f32)', ms: (2 * s.mb / s.copy), gbps: s.copy, threads: 1, key: 'stream.copy', note: 'bytes read + written' },
  ];
}

// ---------------------------------------------------------------------------------------------
// Engine threads. The engine's `setThreads(n)` (src/threads.ts) defaults to the number of cores;
// the suite pins it to 1 (engineSingleThread) and suites that measure more ask
// engineThreadCounts() and run each measure inside withEngineThreads(n, …), labelling rows
// "n thread(s)". Without setThreads (an older engine) every facemetric row is a 1-thread row.

type SetThreads = (n: number) => unknown;
let setThreadsFn: SetThreads | null | undefined;

async function findSetThreads(): Promise<SetThreads | null> {
  if (setThreadsFn === undefined) {
    const m = (await import('../src/index.js')) as Record<string, unknown>;
    setThreadsFn = typeof m.setThreads === 'function' ? (m.setThreads as SetThreads) : null;
  }
  return setThreadsFn;
}

/**
 * Puts the engine on 1 thread (its default is the number of cores) so that every row that does
 * not ask for more is a 1-thread row; run.ts calls it first. False when there is no setThreads.
 */
export async function engineSingleThread(): Promise<boolean> {
  const set = await findSetThreads();
  if (set) set(1);
  return set !== null;
}

/** The thread counts to measure facemetric at: [1] until the engine can use more, then [1, 2]. */
export async function engineThreadCounts(): Promise<number[]> {
  return (await findSetThreads()) ? [1, 2] : [1];
}

/** Runs fn with the engine on n threads (restores 1 thread after). */
export async function withEngineThreads<T>(n: number, fn: () => Promise<T>): Promise<T> {
  const set = await findSetThreads();
  if (!set) {
    if (n !== 1) throw new Error(`bench: the engine has no setThreads() yet, cannot run on ${n} threads`);
    return fn();
  }
  set(n);
  try { return await fn(); } finally { set(1); }
}

export const threadLabel = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------------------------------------
// Peers: optional packages, loaded at run time so that a missing one gives "not installed" rows.

/** The project root (dist/bench/common.js → ../../). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const requireHere = createRequire(import.meta.url);

export type Loaded<T> = { ok: true; mod: T; version: string } | { ok: false; error: string };

/**
 * Peers to treat as absent, from the environment: BENCH_WITHOUT=usearch,torch,… (a comma list of
 * package names, "torch" for PyTorch): to check the "not installed" rows without uninstalling.
 */
export function without(name: string): boolean {
  return (process.env.BENCH_WITHOUT ?? '').split(',').map((s) => s.trim()).includes(name);
}

/** The installed version of a package, or undefined. */
export function packageVersion(name: string): string | undefined {
  if (without(name)) return undefined;
  try {
    return (JSON.parse(readFileSync(`${projectRoot}node_modules/${name}/package.json`, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Loads a peer: `require` (CommonJS build) or `import`. The specifier is a variable so that
 * type-checking does not depend on the peer being installed; callers give the shape they use.
 */
export async function loadPeer<T>(name: string, how: 'require' | 'import' = 'import'): Promise<Loaded<T>> {
  const version = packageVersion(name);
  if (version === undefined) return { ok: false, error: 'not installed' };
  try {
    const spec: string = name;
    const mod = (how === 'require' ? requireHere(spec) : await import(spec)) as T;
    return { ok: true, mod, version };
  } catch (e) {
    return { ok: false, error: `failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** Versions of every peer the suite knows, for RESULTS.md. */
export const PEERS = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'usearch', 'hnswlib-node'] as const;

/** A row for something that could not be measured (peer missing, backend unable). */
export function missingRow(name: string, impl: string, note: string, extra: Partial<BenchRow> = {}): BenchRow {
  return { name, impl, ms: NaN, note, ...extra };
}
