// A kernel worker (see src/threads.ts): instantiates the engine's module on the engine's shared
// memory and, each time the calling thread wakes it, takes parts of the posted call from the
// shared counter until none is left. It never allocates in linear memory and never calls
// `_start`; the module has no data segments, no mutable globals and no stack, so instantiating it
// a second time on the same memory writes nothing there.
import { ARGS_PER_PART, H_ARGC, H_FN, H_NEXT, H_PARTS, SPIN_WORKER, S_DONE, S_ERR, S_WAKE, partArgsAt, slotAt, type WorkerInit } from './threads-layout.js';

function start(init: WorkerInit): void {
  const { module, memory, control, slot, workers, names } = init;
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
  const base = slotAt(slot);
  const args: number[] = [];
  let seen = Atomics.load(i32, base + S_WAKE);
  // Ready: done = wake.
  Atomics.store(i32, base + S_DONE, seen);
  Atomics.notify(i32, base + S_DONE);
  for (;;) {
    let wake = Atomics.load(i32, base + S_WAKE);
    for (let spin = 0; wake === seen && spin < SPIN_WORKER; spin++) wake = Atomics.load(i32, base + S_WAKE);
    if (wake === seen) {
      Atomics.wait(i32, base + S_WAKE, seen);
      continue;
    }
    seen = wake;
    const fi = i32[H_FN];
    if (fi < 0) return; // shut down
    const fn = fns[fi], parts = i32[H_PARTS], argc = i32[H_ARGC];
    args.length = Math.min(argc, ARGS_PER_PART);
    let err = 0;
    for (let part = Atomics.add(i32, H_NEXT, 1); part < parts; part = Atomics.add(i32, H_NEXT, 1)) {
      const at = partArgsAt(workers, part);
      for (let i = 0; i < args.length; i++) args[i] = f64[at + i];
      try {
        fn(...args);
      } catch {
        err = 1;
      }
    }
    i32[base + S_ERR] = err;
    Atomics.store(i32, base + S_DONE, wake);
    Atomics.notify(i32, base + S_DONE);
  }
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
if (isNode) {
  const { workerData } = await import('node:worker_threads');
  start(workerData as WorkerInit);
} else {
  (globalThis as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e: MessageEvent) => start(e.data as WorkerInit);
}
