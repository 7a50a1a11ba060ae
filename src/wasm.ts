// Loading the WebAssembly engine. The memory is created here (the module imports env.memory) so
// that the TypeScript allocator owns it, and so that a later version can hand one shared memory to
// several worker threads. In Node the module is loaded when this file is first imported; in a
// browser call `await init(url)` before creating tensors.
import { instantiateSync, instantiate } from '@assemblyscript/loader';

/** Bytes in one WebAssembly page. */
export const PAGE_BYTES = 65536;
/** Pages a wasm32 memory can hold at most: 65,536 pages = 4 GiB. */
export const MAX_PAGES = 65536;
/** Pages the module starts with (1 MiB). */
const INITIAL_PAGES = 16;

interface Engine {
  memory: WebAssembly.Memory;
  exports: Record<string, unknown>;
  /** Which build was loaded. */
  flavour: 'release' | 'debug';
}

let engine: Engine | null = null;
const loadListeners: Array<() => void> = [];

function makeImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return {
    env: {
      memory,
      abort(msg: number, file: number, line: number, col: number) {
        throw new Error(`facemetric engine: WebAssembly abort at ${line}:${col} (a kernel was called with arguments the TypeScript side should have refused; please report it)`);
      },
      seed: () => 42,
    },
  };
}

/**
 * A shared memory (the module is built with `--sharedMemory`), so that worker threads
 * (src/threads.ts) can instantiate the same module on it. Its buffer is a SharedArrayBuffer:
 * growing it does not detach the old buffer, but the old one keeps its old length, so views are
 * rebuilt after a grow exactly as with a plain memory (compare `view.buffer !== memory.buffer`).
 */
function newMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
}

function adopt(memory: WebAssembly.Memory, exports: Record<string, unknown>, flavour: Engine['flavour']): void {
  engine = { memory, exports, flavour };
  for (const fn of loadListeners) fn();
}

/** Loads the engine synchronously from the bytes (or compiled module) of facemetric.wasm. */
export function initSync(source: BufferSource | WebAssembly.Module, flavour: Engine['flavour'] = 'release'): void {
  const memory = newMemory();
  const { exports } = instantiateSync(source as ArrayBuffer, makeImports(memory) as never);
  adopt(memory, exports as unknown as Record<string, unknown>, flavour);
}

/**
 * Loads the engine from a URL, a fetch Response, or bytes. In Node this has already happened at
 * import; calling it again replaces the engine (every existing tensor becomes invalid).
 */
export async function init(source?: string | URL | Response | BufferSource): Promise<void> {
  if (source === undefined) {
    if (engine) return;
    source = new URL('../../build/facemetric.wasm', import.meta.url);
  }
  const memory = newMemory();
  let input: BufferSource | Response;
  if (typeof source === 'string' || source instanceof URL) {
    const url = source instanceof URL ? source : new URL(source, import.meta.url);
    if (url.protocol === 'file:') {
      const { readFile } = await import('node:fs/promises');
      input = await readFile(url);
    } else {
      input = await fetch(url);
    }
  } else {
    input = source;
  }
  const { exports } = await instantiate(input as never, makeImports(memory) as never);
  adopt(memory, exports as unknown as Record<string, unknown>, 'release');
}

/** True once the engine is loaded. */
export function isReady(): boolean {
  return engine !== null;
}

function current(): Engine {
  if (engine === null) {
    throw new Error('facemetric: the WebAssembly engine is not loaded; in a browser call `await init(url)` first');
  }
  return engine;
}

/** The engine's memory. */
export function wasmMemory(): WebAssembly.Memory {
  return current().memory;
}

/**
 * The raw kernel exports, typed by the caller: each ops file declares the signatures of the
 * kernels it calls (`kernels<{ relu_fwd_f32(x: number, n: number, y: number): void }>()`).
 */
export function kernels<T>(): T {
  return current().exports as unknown as T;
}

/** Which build is loaded ('release' or, with FACEMETRIC_WASM=debug, 'debug'). */
export function flavour(): Engine['flavour'] {
  return current().flavour;
}

/** Registers a function to run whenever an engine is (re)loaded. */
export function onLoad(fn: () => void): void {
  loadListeners.push(fn);
}

// Node: load the engine at import, from the build next to this package.
const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
if (isNode) {
  const { readFileSync } = await import('node:fs');
  const debug = process.env.FACEMETRIC_WASM === 'debug';
  const url = new URL(debug ? '../../build/facemetric.debug.wasm' : '../../build/facemetric.wasm', import.meta.url);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(url);
  } catch (err) {
    throw new Error(`facemetric: cannot read the engine ${url.pathname} (${(err as Error).message}); run \`npm run build\``);
  }
  initSync(bytes, debug ? 'debug' : 'release');
}
