// Loading the WebAssembly engine. The memory is created here (the module imports env.memory) so
// that the TypeScript allocator owns it, and so that a later version can hand one shared memory to
// several worker threads. In Node the module is loaded when this file is first imported; in a
// browser call `await init(url)` before creating tensors.
import { instantiateSync, instantiate } from '@assemblyscript/loader';
import { relaxedSimdSupported } from './features.js';

export { relaxedSimdSupported };

/** Bytes in one WebAssembly page. */
export const PAGE_BYTES = 65536;
/** Pages a wasm32 memory can hold at most: 65,536 pages = 4 GiB. */
export const MAX_PAGES = 65536;
/** Pages the module starts with (1 MiB). */
const INITIAL_PAGES = 16;

interface Engine {
  memory: WebAssembly.Memory;
  /** The compiled module, which worker threads instantiate on the same (shared) memory. */
  module: WebAssembly.Module;
  exports: Record<string, unknown>;
  /** Which build was loaded. */
  flavour: Flavour;
}

/**
 * The engine's builds: 'release' (SIMD128, every runtime with WebAssembly SIMD), 'relaxed' (the
 * same with relaxed SIMD: fused multiply-adds in the register tiles of gemm and the convolutions,
 * about 1.25× their speed on CPUs with FMA; Node ≥ 21 and Chromium ≥ 114 validate it, Node 20 with
 * --experimental-wasm-relaxed-simd) and 'debug' (SIMD128 with assertions). The two release builds
 * round fused products differently, so their results differ in the last bits; each is
 * deterministic on its own.
 */
export type Flavour = 'release' | 'relaxed' | 'debug';

/** The build's file name next to this package, under build/. */
const FILES: Record<Flavour, string> = { release: 'facemetric.wasm', relaxed: 'facemetric.relaxed.wasm', debug: 'facemetric.debug.wasm' };

/** The release build this runtime should load: 'relaxed' where relaxed SIMD validates. */
function preferredFlavour(): Flavour {
  return relaxedSimdSupported() ? 'relaxed' : 'release';
}

let engine: Engine | null = null;
const isNodeRuntime = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
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
function newMemory(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared });
}

/**
 * Whether this context can share memory with worker threads: always in Node; in a browser only
 * when the page (or the worker's page) is cross-origin isolated (COOP: same-origin and COEP:
 * require-corp), which is what makes SharedArrayBuffer and shared WebAssembly memories available.
 */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  return isNodeRuntime || g.crossOriginIsolated === true;
}

function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let v = 0, shift = 0, b: number;
  do { b = bytes[at++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [v, at];
}

/**
 * A copy of the module's bytes whose imported memory is declared unshared (limits flag 0x03 →
 * 0x01), for a context without shared memories (a browser page that is not cross-origin
 * isolated). The kernels use no atomics, so nothing else depends on the memory being shared.
 */
export function unshareMemoryImport(source: Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(source);
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = readLeb(bytes, at + 1);
    if (id === 2) {
      let p = body;
      let count: number; [count, p] = readLeb(bytes, p);
      for (let i = 0; i < count; i++) {
        for (let s = 0; s < 2; s++) { let len: number; [len, p] = readLeb(bytes, p); p += len; }
        const kind = bytes[p++];
        if (kind === 0x02) { if (bytes[p] === 0x03) bytes[p] = 0x01; return bytes; }
        if (kind === 0x00) { [, p] = readLeb(bytes, p); }
        else if (kind === 0x01) { p++; const f = bytes[p++]; [, p] = readLeb(bytes, p); if (f & 1) [, p] = readLeb(bytes, p); }
        else if (kind === 0x03) { p += 2; }
        else return bytes;
      }
      return bytes;
    }
    at = body + size;
  }
  return bytes;
}

function adopt(memory: WebAssembly.Memory, module: WebAssembly.Module, exports: Record<string, unknown>, flavour: Flavour): void {
  engine = { memory, module, exports, flavour };
  for (const fn of loadListeners) fn();
}

function bytesOf(source: BufferSource): Uint8Array {
  return source instanceof Uint8Array ? source : ArrayBuffer.isView(source)
    ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source);
}

/** The build a module is: its exported build_relaxed_simd() says whether it is the relaxed one. */
function flavourOf(exports: Record<string, unknown>, debug: boolean): Flavour {
  if (debug) return 'debug';
  const relaxed = exports.build_relaxed_simd as (() => number) | undefined;
  return relaxed !== undefined && relaxed() === 1 ? 'relaxed' : 'release';
}

/**
 * Loads the engine synchronously from the bytes (or compiled module) of one of the builds
 * (facemetric.wasm, facemetric.relaxed.wasm, facemetric.debug.wasm). Where memory cannot be shared
 * (see canShareMemory) bytes are patched to an unshared memory; a compiled module must then have
 * been compiled from patched bytes (unshareMemoryImport). `debug` marks the debug build.
 */
export function initSync(source: BufferSource | WebAssembly.Module, debug = false): void {
  const shared = canShareMemory();
  const input = source instanceof WebAssembly.Module || shared ? source : unshareMemoryImport(bytesOf(source));
  const memory = newMemory(shared);
  const { module, exports } = instantiateSync(input as ArrayBuffer, makeImports(memory) as never);
  const raw = exports as unknown as Record<string, unknown>;
  adopt(memory, module, raw, flavourOf(raw, debug));
}

/**
 * Loads the engine from a URL, a fetch Response, or bytes. Without a source it loads the build
 * next to this package that the runtime supports best (facemetric.relaxed.wasm where relaxed SIMD
 * validates, facemetric.wasm otherwise). In Node this has already happened at import; calling it
 * again with a source replaces the engine (every existing tensor becomes invalid).
 */
export async function init(source?: string | URL | Response | BufferSource): Promise<void> {
  if (source === undefined) {
    if (engine) return;
    source = new URL(`../../build/${FILES[preferredFlavour()]}`, import.meta.url);
  }
  const shared = canShareMemory();
  const memory = newMemory(shared);
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
  if (!shared) input = unshareMemoryImport(bytesOf(input instanceof Response ? await input.arrayBuffer() : input));
  const { module, exports } = await instantiate(input as never, makeImports(memory) as never);
  const raw = exports as unknown as Record<string, unknown>;
  adopt(memory, module, raw, flavourOf(raw, false));
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

/** The engine's compiled module (worker threads instantiate it on the same memory). */
export function wasmModule(): WebAssembly.Module {
  return current().module;
}

/**
 * The raw kernel exports, typed by the caller: each ops file declares the signatures of the
 * kernels it calls (`kernels<{ relu_fwd_f32(x: number, n: number, y: number): void }>()`).
 */
export function kernels<T>(): T {
  return current().exports as unknown as T;
}

/** Which build is loaded: 'relaxed', 'release' or 'debug' (see Flavour and FACEMETRIC_WASM). */
export function flavour(): Flavour {
  return current().flavour;
}

/** Registers a function to run whenever an engine is (re)loaded. */
export function onLoad(fn: () => void): void {
  loadListeners.push(fn);
}

// Node: load the engine at import, from the builds next to this package: the relaxed-SIMD build
// where the runtime validates it, the SIMD128 one otherwise. FACEMETRIC_WASM=release, relaxed or
// debug chooses one; asking for relaxed on a runtime without it is an error, not a quiet fallback.
if (isNodeRuntime) {
  const { readFileSync } = await import('node:fs');
  const asked = process.env.FACEMETRIC_WASM ?? '';
  if (asked !== '' && !Object.hasOwn(FILES, asked)) {
    throw new Error(`facemetric: FACEMETRIC_WASM=${asked} is not a build; use release, relaxed or debug (or leave it unset)`);
  }
  if (asked === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error('facemetric: FACEMETRIC_WASM=relaxed, but this runtime does not validate WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; Node ≥ 21 has it)');
  }
  const chosen: Flavour = asked === '' ? preferredFlavour() : asked as Flavour;
  const url = new URL(`../../build/${FILES[chosen]}`, import.meta.url);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(url);
  } catch (err) {
    throw new Error(`facemetric: cannot read the engine ${url.pathname} (${(err as Error).message}); run \`npm run build\``);
  }
  initSync(bytes, chosen === 'debug');
}
