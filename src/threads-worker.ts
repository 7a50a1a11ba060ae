// A kernel worker (see src/threads.ts): instantiates the engine's module on the engine's shared
// memory and, each time a call is posted, takes parts of it from the claim word until none is
// left (src/threads-layout.ts). It never allocates in linear memory and never calls `_start`;
// the module has no data segments, no mutable globals and no stack, so instantiating it a second
// time on the same memory writes nothing there.
import { ARGS_PER_PART, H_ARGC, H_ERR, H_STOP, H_WAKE, SPIN_WORKER, claimParts, partArgsAt, slotAt, type WorkerInit } from './threads-layout.js';

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
  const args: number[] = [];
  const run = (fn: number, part: number): void => {
    const at = partArgsAt(workers, part);
    args.length = Math.min(i32[H_ARGC], ARGS_PER_PART);
    for (let i = 0; i < args.length; i++) args[i] = f64[at + i];
    try {
      fns[fn](...args);
    } catch {
      Atomics.store(i32, H_ERR, 1);
    }
  };
  let seen = Atomics.load(i32, H_WAKE);
  Atomics.store(i32, slotAt(slot), 1); // ready
  Atomics.notify(i32, slotAt(slot));
  for (;;) {
    let wake = Atomics.load(i32, H_WAKE);
    for (let spin = 0; wake === seen && spin < SPIN_WORKER; spin++) wake = Atomics.load(i32, H_WAKE);
    if (wake === seen) {
      Atomics.wait(i32, H_WAKE, seen);
      continue;
    }
    seen = wake;
    if (Atomics.load(i32, H_STOP)) return;
    claimParts(i32, run);
  }
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
if (isNode) {
  const { workerData } = await import('node:worker_threads');
  start(workerData as WorkerInit);
} else {
  (globalThis as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e: MessageEvent) => start(e.data as WorkerInit);
}
