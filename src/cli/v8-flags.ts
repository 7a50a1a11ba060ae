// Imported first by facemetric's own processes (the command line, the benches) for its side
// effects on V8's flags, before the engine's module is compiled:
// - --no-liftoff: V8 compiles WebAssembly straight with its optimizing compiler instead of its
//   baseline compiler first. V8 moves a function to optimized code only between calls, so a long
//   call made before the function got hot (one batch search over millions of rows, say) runs its
//   whole length in baseline code: measured 2× slower (a batch of 200 queries over 4.7 M × 128 rows
//   on one thread: 9.0 vs 17.4 queries/s). The engine's module is small (95 kB), so compiling it
//   optimized costs about 3 ms at start.
// - --experimental-wasm-relaxed-simd where the runtime has relaxed SIMD behind that flag (Node 20:
//   V8 11.3; Node ≥ 21 validates it without a flag), so the engine loads its relaxed build with
//   fused multiply-adds (src/wasm.ts, assembly/simd.ts).
// A library leaves the flags of the process that loads it alone; applications can start Node with
// the same flags for the same effect.
import v8 from 'node:v8';
import { relaxedSimdSupported } from '../features.js';

try {
  v8.setFlagsFromString('--no-liftoff');
  if (!relaxedSimdSupported()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
} catch {
  // A runtime without V8's flags (another engine behind node:v8): the first long calls are slower
  // and the SIMD128 build is loaded, nothing else.
}
