// The control block shared by the calling thread and the kernel workers (src/threads.ts,
// src/threads-worker.ts): a SharedArrayBuffer of i32 (and f64 over the same bytes).
//   header  the call: export index, part count, argument count; on their own cache lines the
//           wake counter (bumped for every call), the claim word (job tag · 512 + next part,
//           advanced by compareExchange, so a thread that wakes late can never claim a part of
//           a later call with the arguments of an earlier one), the count of completed parts,
//           an error flag and a stop flag
//   slots   one per worker: its ready flag (set once it has instantiated the module)
//   table   the parts' arguments, ARGS_PER_PART f64 each (pointers, sizes and f32
//           hyper-parameters are all exact in an f64)
// Threads take parts until none is left, so a thread the OS has descheduled takes fewer (or
// none), and the caller waits only for parts that were taken, never for an idle worker.

/** Header: index of the export to call (into WorkerInit.names). */
export const H_FN = 0;
export const H_PARTS = 1;
export const H_ARGC = 2;
/** Header: bumped for every call (workers wait on it). */
export const H_WAKE = 16;
/** Header: tag · PART_SPAN + next part. */
export const H_CLAIM = 32;
/** Header: parts completed in the current call. */
export const H_COMPLETED = 48;
/** Header: 1 when a part threw on a worker. */
export const H_ERR = 64;
/** Header: 1 tells the workers to exit. */
export const H_STOP = 80;
const HEADER_I32 = 96;
/** i32 elements per worker slot. */
export const SLOT_I32 = 16;
/** Most parts one call can have (the claim word keeps the part index below PART_SPAN). */
export const MAX_PARTS = 256;
export const PART_SPAN = 512;
/** Job tags wrap below this (tag · PART_SPAN + part stays a positive i32). */
export const TAG_SPAN = 1 << 22;
export const ARGS_PER_PART = 20;

/** i32 index of worker w's ready flag. */
export function slotAt(w: number): number { return HEADER_I32 + w * SLOT_I32; }
/** f64 index of part i's arguments, for a block with `workers` slots. */
export function partArgsAt(workers: number, i: number): number { return (HEADER_I32 + workers * SLOT_I32) / 2 + i * ARGS_PER_PART; }
/** Bytes of a control block for `workers` workers. */
export function controlBytes(workers: number): number { return (HEADER_I32 + workers * SLOT_I32) * 4 + MAX_PARTS * ARGS_PER_PART * 8; }

/** Polls of the wake counter before a worker sleeps in Atomics.wait (~0.1–0.2 ms). */
export const SPIN_WORKER = 1 << 13;
/** Polls of the completed count before the calling thread sleeps in Atomics.wait. */
export const SPIN_MAIN = 1 << 14;

/** What a worker is started with. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** This worker's slot, and how many slots the block has. */
  slot: number;
  workers: number;
  /** The exports jobs may call, by index. */
  names: string[];
}

/**
 * Takes parts of the current call until none is left, running each with `run(fn, part)` and
 * counting it completed. Returns when no part is left to take (others may still be running).
 * The caller closes the claim word (new tag, part PART_SPAN − 1) before rewriting the header and
 * the table, and opens it (new tag, part 0) after.
 */
export function claimParts(i32: Int32Array, run: (fn: number, part: number) => void): void {
  for (;;) {
    const v = Atomics.load(i32, H_CLAIM);
    const part = v % PART_SPAN;
    // Read after the claim word: if a later call has replaced them, the compareExchange fails.
    const fn = i32[H_FN], parts = i32[H_PARTS];
    if (part >= parts) return;
    if (Atomics.compareExchange(i32, H_CLAIM, v, v + 1) !== v) continue;
    run(fn, part);
    Atomics.add(i32, H_COMPLETED, 1);
    Atomics.notify(i32, H_COMPLETED);
  }
}
