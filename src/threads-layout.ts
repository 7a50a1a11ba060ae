// The control block shared by the main thread and the kernel workers (src/threads.ts,
// src/threads-worker.ts): a SharedArrayBuffer with one slot of SLOT_I32 i32 per worker. In a
// slot, the job counter (main → worker) and the done counter (worker → main) sit on separate
// cache lines; then the export's index, the argument count, an error flag, and the arguments
// as f64 (pointers, sizes and f32 hyper-parameters are all exact in an f64).

/** i32 elements per worker slot (512 bytes). */
export const SLOT_I32 = 128;
/** Job counter: the main thread bumps it to post a job. */
export const F_SEQ = 0;
/** Done counter: the worker sets it to the job counter when the job has run. */
export const F_DONE = 16;
/** Index of the export to call (into WorkerInit.names); -1 shuts the worker down. */
export const F_FN = 32;
export const F_ARGC = 33;
/** 1 when the job threw (a WebAssembly trap or abort). */
export const F_ERR = 34;
/** First argument, as an index into a Float64Array over the slot. */
export const SLOT_ARGS_F64 = 24;
/** Most arguments a job can take. */
export const MAX_ARGS = SLOT_I32 / 2 - SLOT_ARGS_F64;
/** Polls of the job counter before a worker sleeps in Atomics.wait (tens of microseconds). */
export const SPIN_WORKER = 1 << 15;
/** Polls of a done counter before the main thread sleeps in Atomics.wait. */
export const SPIN_MAIN = 1 << 16;

/** What a worker is started with. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slot: number;
  /** The exports jobs may call, by index. */
  names: string[];
}
