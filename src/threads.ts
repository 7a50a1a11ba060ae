// Kernels on worker threads that share the engine's WebAssembly memory.
//
// The memory is shared (src/wasm.ts); each worker instantiates the same compiled module on it
// (src/threads-worker.ts), so a pointer means the same bytes on every thread. The allocator runs
// on the main thread only: workers get pointers, sizes and per-part scratch, never allocate, and
// only write the output range of their part. A call that is worth splitting (ops decide, by a
// size threshold: partsFor) is cut into parts, each a call of the same kernel export on a
// sub-range of the output. Dispatch goes through a SharedArrayBuffer control block
// (src/threads-layout.ts), not postMessage: the calling thread writes the parts' arguments and
// bumps the wake counter; then it and the workers claim parts (compareExchange on a tagged claim
// word) until none is left, so a thread the OS gives less time takes fewer parts, and the calling
// thread waits only for the parts that were taken (spinning briefly, then Atomics.wait). Workers
// spin briefly after a call before sleeping, so the next call of a training step finds them awake.
//
// Where it runs: Node (worker_threads; Atomics.wait is allowed on Node's main thread). In a
// browser only when the page is cross-origin isolated (COOP: same-origin and COEP: require-corp;
// otherwise there is no shared memory and the engine loads with an unshared one) AND the engine
// runs in a Web Worker, because a browser's main thread may not block in Atomics.wait. Everywhere
// else the engine runs on one thread (getThreads() is 1).
//
// Results: every split keeps each output element's order of additions (parts are output ranges),
// so results are bit-identical whatever the thread count.
import { canShareMemory, kernels, onLoad, wasmMemory, wasmModule } from './wasm.js';
import { Storage, keep } from './memory.js';
import { checkInt } from './errors.js';
import { ARGS_PER_PART, H_ARGC, H_CLAIM, H_COMPLETED, H_ERR, H_FN, H_PARTS, H_STOP, H_WAKE, MAX_PARTS, PART_SPAN, SPIN_MAIN, TAG_SPAN, claimParts, controlBytes, partArgsAt, slotAt, type WorkerInit } from './threads-layout.js';

/** Kernel exports that may run as parts on a worker. */
const JOB_EXPORTS = [
  'gemm_f32', 'conv2d_fwd_f32', 'conv2d_fwd_pool_f32', 'conv2d_bwd_input_f32', 'conv2d_bwd_filter_part_f32', 'wino_fwd_f32', 'wino_bwd_filter_f32', 'wino_filter_f32', 'wino_filter_grad_f32', 'knn_f32', 'knn_gemm_f32', 'row_norms2_f32', 'diameter_f32', 'diameters_f32',
  'relu_fwd_f32', 'relu_bwd_f32', 'bias_add_f32', 'colsum_part_f32', 'adam_step_f32', 'fill_f32', 'copy_f32', 'axpy_f32', 'count_nonfinite_part_f32',
  'maxpool2d_fwd_f32', 'maxpool2d_fwd_inference_f32', 'maxpool2d_bwd_f32', 'maxpool2d_bwd_tiled_f32', 'maxpool2d_colsum_tiled_f32',
  'scan_i8', 'scan_f16', 'rerank_f32', 'quantize_i8_rows', 'encode_f16', 'i8_bounds', 'stream_sum_f32',
  'batchnorm_stats_part_f32', 'batchnorm_fwd_f32', 'batchnorm_bwd_sums_part_f32', 'batchnorm_bwd_dx_f32',
  'batchnorm_pool_fwd_f32', 'batchnorm_pool_bwd_sums_part_f32', 'batchnorm_pool_bwd_dx_f32',
] as const;
export type JobExport = typeof JOB_EXPORTS[number];
const JOB_INDEX = new Map<string, number>(JOB_EXPORTS.map((n, i) => [n, i]));

/** Most threads setThreads accepts. */
const MAX_THREADS = 64;
const SET_THREADS = 'setThreads';

interface WorkerHandle { terminate(): unknown }

interface Pool {
  workers: WorkerHandle[];
  control: SharedArrayBuffer;
  i32: Int32Array;
  f64: Float64Array;
  /** Tag of the last call posted. */
  tag: number;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const nodeWorkers = isNode ? await import('node:worker_threads') : null;
const nodeOs = isNode ? await import('node:os') : null;

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function canBlock(): boolean {
  if (isNode) return true;
  const g = globalThis as { document?: unknown; WorkerGlobalScope?: unknown };
  return g.document === undefined && g.WorkerGlobalScope !== undefined;
}

/** Threads this context can use at most: 1 without shared memory or where waiting is not allowed. */
function threadLimit(): number {
  const workers = nodeWorkers !== null || typeof Worker !== 'undefined';
  return canShareMemory() && canBlock() && workers && typeof Atomics !== 'undefined' ? MAX_THREADS : 1;
}

function defaultThreads(): number {
  const env = isNode ? process.env.FACEMETRIC_THREADS : undefined;
  if (env !== undefined && /^\d+$/.test(env) && Number(env) >= 1) return Math.min(Number(env), threadLimit());
  let cores = 1;
  if (nodeOs) cores = typeof nodeOs.availableParallelism === 'function' ? nodeOs.availableParallelism() : nodeOs.cpus().length;
  else if (typeof navigator !== 'undefined') cores = navigator.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(cores, threadLimit()));
}

let threads = defaultThreads();
let pool: Pool | null = null;

/**
 * Sets the number of threads kernels run on (the calling thread included): 1 runs everything on
 * the calling thread. Default: the number of cores (os.availableParallelism() in Node,
 * navigator.hardwareConcurrency in a cross-origin isolated browser worker), or the
 * FACEMETRIC_THREADS environment variable in Node. Where threads cannot be used (no shared
 * memory, or a browser's main thread) the engine stays on 1 thread whatever n is. Workers start
 * on the first call big enough to split.
 */
export function setThreads(n: number): void {
  checkInt(SET_THREADS, 'n', n, 1);
  if (n > MAX_THREADS) throw new RangeError(`${SET_THREADS}: expected n <= ${MAX_THREADS}, got ${n}`);
  const next = Math.min(n, threadLimit());
  if (next === threads) return;
  threads = next;
  stopPool();
}

/** The number of threads kernels run on (the calling thread included). */
export function getThreads(): number {
  return threads;
}

function stopPool(): void {
  if (pool === null) return;
  const p = pool;
  pool = null;
  Atomics.store(p.i32, H_STOP, 1);
  Atomics.add(p.i32, H_WAKE, 1);
  Atomics.notify(p.i32, H_WAKE);
  for (const w of p.workers) void w.terminate();
}

onLoad(() => { stopPool(); scratch.clear(); }); // a new engine: a new memory and module

const workerUrl = new URL('./threads-worker.js', import.meta.url);

function startPool(): Pool {
  const n = threads - 1;
  const control = new SharedArrayBuffer(controlBytes(n));
  const i32 = new Int32Array(control);
  const f64 = new Float64Array(control);
  const names = [...JOB_EXPORTS];
  const workers: WorkerHandle[] = [];
  const memory = wasmMemory(), module = wasmModule();
  for (let w = 0; w < n; w++) {
    const init: WorkerInit = { module, memory, control, slot: w, workers: n, names };
    if (nodeWorkers) {
      const worker = new nodeWorkers.Worker(workerUrl, { workerData: init });
      worker.unref();
      workers.push(worker);
    } else {
      // Browsers start workers asynchronously: calls run on the threads that have started.
      const worker = new Worker(workerUrl, { type: 'module' });
      worker.postMessage(init);
      workers.push(worker);
    }
  }
  const p: Pool = { workers, control, i32, f64, tag: 0 };
  if (nodeWorkers) {
    // Node starts workers on their own threads: wait for each to instantiate the module, so
    // that the first calls already run on every thread.
    for (let w = 0; w < n; w++) {
      const at = slotAt(w);
      const deadline = Date.now() + 20000;
      while (Atomics.load(i32, at) !== 1) {
        if (Date.now() > deadline) {
          pool = p;
          stopPool();
          throw new Error(`facemetric threads: worker ${w + 1} did not start within 20 s; call setThreads(1) to run on one thread`);
        }
        Atomics.wait(i32, at, 0, 100);
      }
    }
  }
  return p;
}

/**
 * How many parts to cut a call into: `work` units, at least `minPerPart` per part, at most
 * `perThread` parts per thread (more parts than threads let a thread that is free take more of
 * them, which helps when the OS gives some thread less time; it costs whatever each part
 * repeats, e.g. packing). 1 means run it whole on the calling thread.
 */
export function partsFor(work: number, minPerPart: number, perThread = 1): number {
  const min = minPerPart * splitScale, most = Math.min(MAX_PARTS, threads * perThread);
  if (threads <= 1 || work < 2 * min) return 1;
  return min <= 0 ? most : Math.max(1, Math.min(most, Math.floor(work / min)));
}

let splitScale = 1;
let inlineParts = false;

/**
 * Diagnostics (bench/threads.ts): with `on`, calls are still cut into parts as for the current
 * thread count but every part runs on the calling thread, one after the other, which measures
 * what splitting costs (work the parts repeat) apart from the machine's cores. Returns the
 * previous setting.
 */
export function setInlineParts(on: boolean): boolean {
  const prev = inlineParts;
  inlineParts = on;
  return prev;
}

/**
 * Scales every op's minimum part size (tests: 0 splits every call that has at least one unit
 * per thread, so that small, awkward sizes run split). Returns the previous scale.
 */
export function setSplitScale(scale: number): number {
  const prev = splitScale;
  splitScale = scale;
  return prev;
}

/**
 * Splits [0, total) into `parts` contiguous ranges whose starts are multiples of `align`
 * (except the end), as equal as possible; returns the boundaries (parts + 1 numbers; fewer
 * parts when total is too small).
 */
export function splitRange(total: number, parts: number, align = 1): number[] {
  const units = Math.ceil(total / align);
  const p = Math.max(1, Math.min(parts, units));
  const bounds = [0];
  for (let i = 1; i < p; i++) bounds.push(Math.min(total, Math.round((units * i) / p) * align));
  bounds.push(total);
  return bounds;
}

/**
 * Runs the kernel export `fn` once per element of `parts` (its arguments; at most MAX_PARTS
 * parts of ARGS_PER_PART arguments): the calling thread and the workers take parts until none is
 * left; returns when every part has run. The parts must write disjoint memory and each must have
 * its own scratch.
 */
export function runParts(fn: JobExport, parts: number[][]): void {
  const call = kernels<Record<string, (...a: number[]) => unknown>>()[fn];
  if (parts.length <= 1 || threads <= 1 || inlineParts) {
    for (const args of parts) call(...args);
    return;
  }
  if (parts.length > MAX_PARTS) throw new Error(`facemetric threads: ${parts.length} parts, at most ${MAX_PARTS}`);
  const argc = parts[0].length;
  if (argc > ARGS_PER_PART) throw new Error(`facemetric threads: ${fn} has ${argc} arguments, a part takes at most ${ARGS_PER_PART}`);
  if (pool === null) pool = startPool();
  const p = pool, i32 = p.i32;
  // Close the claim word first (a new tag, no part left), so that a worker still looking at the
  // previous call fails its compareExchange instead of claiming a part while the table changes.
  p.tag = (p.tag + 1) % TAG_SPAN;
  Atomics.store(i32, H_CLAIM, p.tag * PART_SPAN + PART_SPAN - 1);
  i32[H_FN] = JOB_INDEX.get(fn)!;
  i32[H_PARTS] = parts.length;
  i32[H_ARGC] = argc;
  for (let i = 0; i < parts.length; i++) {
    const at = partArgsAt(p.workers.length, i), args = parts[i];
    for (let j = 0; j < argc; j++) p.f64[at + j] = args[j];
  }
  Atomics.store(i32, H_COMPLETED, 0);
  Atomics.store(i32, H_ERR, 0);
  Atomics.store(i32, H_CLAIM, p.tag * PART_SPAN);
  Atomics.add(i32, H_WAKE, 1);
  Atomics.notify(i32, H_WAKE);
  let failure: unknown = null;
  claimParts(i32, (_, part) => {
    try {
      call(...parts[part]);
    } catch (err) {
      failure ??= err;
    }
  });
  // Wait for the parts the workers took (never for a worker that took none).
  let done = Atomics.load(i32, H_COMPLETED);
  for (let spin = 0; done < parts.length && spin < SPIN_MAIN; spin++) done = Atomics.load(i32, H_COMPLETED);
  while (done < parts.length) {
    Atomics.wait(i32, H_COMPLETED, done, 20);
    done = Atomics.load(i32, H_COMPLETED);
  }
  if (failure !== null) throw failure;
  if (Atomics.load(i32, H_ERR) !== 0) {
    throw new Error(`facemetric threads: ${fn} failed on a worker thread (a kernel was called with arguments the TypeScript side should have refused; please report it)`);
  }
}

/**
 * Runs `fn` over [0, total) units: whole on the calling thread when the work (total · unitWork) is
 * under two parts of minPerPart, else cut into ranges (starts multiples of `align`) spread over
 * the threads (up to perThread parts per thread). argsFor(start, count) gives a part's arguments.
 */
export function runRange(fn: JobExport, total: number, unitWork: number, minPerPart: number, align: number,
  argsFor: (start: number, count: number) => number[], perThread = 2): void {
  const parts = Math.min(partsFor(total * unitWork, minPerPart, perThread), Math.ceil(total / align));
  if (parts <= 1) {
    kernels<Record<string, (...a: number[]) => unknown>>()[fn](...argsFor(0, total));
    return;
  }
  const b = splitRange(total, parts, align);
  const jobs: number[][] = [];
  for (let i = 0; i + 1 < b.length; i++) jobs.push(argsFor(b[i], b[i + 1] - b[i]));
  runParts(fn, jobs);
}

/** Elements a memory-bound part (element-wise, pooling, bias) must have for a call to be split. */
export const STREAM_MIN_PART = 1 << 16;

// Per-part scratch blocks, outside every scope, reused while large enough.
const scratch = new Map<string, Array<Storage | undefined>>();

/** A scratch block of at least `floats` f32 elements for part `part` of calls by `owner`. */
export function partScratch(owner: string, part: number, floats: number): number {
  let list = scratch.get(owner);
  if (list === undefined) { list = []; scratch.set(owner, list); }
  let s = list[part];
  if (s === undefined || s.length < floats) {
    s?.dispose();
    list[part] = undefined;
    s = keep(new Storage(Math.max(16, floats)));
    list[part] = s;
  }
  return s.ptr;
}
