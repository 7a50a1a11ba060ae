// Shared pieces of the benchmark suite: a row of results and timing with tinybench.
import { Bench } from 'tinybench';

export interface BenchRow {
  /** What was measured, e.g. "gemm 1024³". */
  name: string;
  /** Which implementation: "facemetric", "plain JS", a peer's name. */
  impl: string;
  /** Median time of one call, milliseconds. */
  ms: number;
  /** Throughput in GFLOP/s when the work is compute-bound. */
  gflops?: number;
  /** Throughput in GB/s when the work is memory-bound. */
  gbps?: number;
  /** Free text, e.g. the ratio against a peer from the same run. */
  note?: string;
}

export interface SuiteOptions { quick: boolean }

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

/** GFLOP/s for `flops` operations done in `ms` milliseconds. */
export function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}
