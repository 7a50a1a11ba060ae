// The control block shared by the calling thread and the kernel workers (src/threads.ts,
// src/threads-worker.ts), a SharedArrayBuffer of i32 (and f64 over the same bytes):
//   header   the job: export index, part count, argument count; on its own cache line the
//            counter threads take parts from (Atomics.add), so that parts go to whichever
//            thread is free (a thread the OS has descheduled takes fewer)
//   slots    one per worker: its wake counter (the caller bumps it to post a job), its done
//            counter (set to the wake counter when it has taken no more parts) and an error flag,
//            each on its own cache line
//   table    the parts' arguments, ARGS_PER_PART f64 each (pointers, sizes and f32
//            hyper-parameters are all exact in an f64)

/** Header: index of the export to call (into WorkerInit.names); −1 shuts the workers down. */
export const H_FN = 0;
export const H_PARTS = 1;
export const H_ARGC = 2;
/** Header: the next part to take. */
export const H_NEXT = 16;
/** i32 elements of the header. */
const HEADER_I32 = 32;
/** i32 elements per worker slot (wake, done and error on separate 64-byte lines). */
export const SLOT_I32 = 48;
export const S_WAKE = 0;
export const S_DONE = 16;
export const S_ERR = 32;
/** Most parts one call can have, and arguments per part. */
export const MAX_PARTS = 256;
export const ARGS_PER_PART = 16;

/** i32 index of worker w's slot. */
export function slotAt(w: number): number { return HEADER_I32 + w * SLOT_I32; }
/** f64 index of part i's arguments, for a block with `workers` slots. */
export function partArgsAt(workers: number, i: number): number { return (HEADER_I32 + workers * SLOT_I32) / 2 + i * ARGS_PER_PART; }
/** Bytes of a control block for `workers` workers. */
export function controlBytes(workers: number): number { return (HEADER_I32 + workers * SLOT_I32) * 4 + MAX_PARTS * ARGS_PER_PART * 8; }

/** Polls of the wake counter before a worker sleeps in Atomics.wait (tens of microseconds). */
export const SPIN_WORKER = 1 << 15;
/** Polls of a done counter before the calling thread sleeps in Atomics.wait. */
export const SPIN_MAIN = 1 << 16;

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
