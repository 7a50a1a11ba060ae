// A kernel worker (see src/threads.ts): instantiates the engine's module on the engine's shared
// memory and runs the range jobs the main thread posts into its slot of the control block. It
// never allocates in linear memory and never calls `_start`; the module has no data segments, no
// mutable globals and no stack, so instantiating it a second time on the same memory writes
// nothing there.
import { SLOT_I32, SLOT_ARGS_F64, F_SEQ, F_DONE, F_FN, F_ARGC, F_ERR, SPIN_WORKER, type WorkerInit } from './threads-layout.js';

function start(init: WorkerInit): void {
  const { module, memory, control, slot, names } = init;
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort() { throw new Error('facemetric worker: WebAssembly abort'); },
      seed: () => 42,
    },
  });
  const exports = instance.exports as Record<string, (...args: number[]) => unknown>;
  const fns = names.map((n) => exports[n]);
  const i32 = new Int32Array(control);
  const f64 = new Float64Array(control);
  const base = slot * SLOT_I32;
  const abase = base / 2 + SLOT_ARGS_F64;
  const args: number[] = [];
  let seen = Atomics.load(i32, base + F_SEQ);
  // Ready: done = seq.
  Atomics.store(i32, base + F_DONE, seen);
  Atomics.notify(i32, base + F_DONE);
  for (;;) {
    let seq = Atomics.load(i32, base + F_SEQ);
    for (let spin = 0; seq === seen && spin < SPIN_WORKER; spin++) seq = Atomics.load(i32, base + F_SEQ);
    if (seq === seen) {
      Atomics.wait(i32, base + F_SEQ, seen);
      continue;
    }
    seen = seq;
    const fn = i32[base + F_FN];
    if (fn < 0) return; // shut down
    const argc = i32[base + F_ARGC];
    args.length = argc;
    for (let i = 0; i < argc; i++) args[i] = f64[abase + i];
    let err = 0;
    try {
      fns[fn](...args);
    } catch {
      err = 1;
    }
    i32[base + F_ERR] = err;
    Atomics.store(i32, base + F_DONE, seq);
    Atomics.notify(i32, base + F_DONE);
  }
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
if (isNode) {
  const { workerData } = await import('node:worker_threads');
  start(workerData as WorkerInit);
} else {
  (globalThis as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e: MessageEvent) => start(e.data as WorkerInit);
}
