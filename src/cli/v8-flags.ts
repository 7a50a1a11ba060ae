// Imported first by facemetric's own processes (the command line, the benches) for its side
// effect: V8 compiles WebAssembly straight with its optimizing compiler instead of its baseline
// compiler first. V8 moves a function to optimized code only between calls, so a long call made
// before the function got hot (one batch search over millions of rows, say) runs its whole
// length in baseline code: measured 2× slower (a batch of 200 queries over 4.7 M × 128 rows on
// one thread: 9.0 vs 17.4 queries/s). The engine's module is small (85 kB), so compiling it
// optimized costs about 3 ms at start. A library leaves the flags of the process that loads it
// alone; applications can start Node with --no-liftoff for the same effect.
import v8 from 'node:v8';

try {
  v8.setFlagsFromString('--no-liftoff');
} catch {
  // A runtime without V8's flags (another engine behind node:v8): the first long calls are slower, nothing else.
}
