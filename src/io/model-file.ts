// Model files: architecture, weights, the preprocessing the model expects, and free metadata, in the
// checksummed container. The model's hash (SHA-256 over architecture, preprocessing and weights)
// ties galleries to the model that made them.
import { createHash } from 'node:crypto';
import { FileFormatError, f32chunk, readContainer, writeContainer } from './container.js';
import { moduleFromConfig, type Module, type ModuleConfig } from '../nn/index.js';
import type { Preprocess } from '../data/index.js';
import type { StateDict } from '../metric/model.js';
import { flavour } from '../wasm.js';

export interface ModelFile {
  model: Module;
  preprocess: Preprocess;
  /** Hex SHA-256 of architecture, preprocessing and weights. */
  hash: string;
  meta: Record<string, unknown>;
  /**
   * The engine that saved the file: its build ('release' = SIMD128, 'relaxed' = relaxed SIMD with
   * fused multiply-add, 'debug') and the runtime. The builds round differently, so a model trained
   * on one does not repeat its bits on the other (its embeddings agree to float32 rounding).
   * Absent in files saved before it was recorded. Not part of the hash.
   */
  engine?: { build: string; runtime: string };
}

/** The hash of a model as stored (architecture + preprocessing + weights in name order). */
export function modelHash(config: unknown, preprocess: Preprocess, sd: StateDict): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ config, preprocess }));
  for (const name of Object.keys(sd).sort()) {
    const t = sd[name];
    h.update(`${name}:${t.shape.join('x')};`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

/** Saves a model atomically; returns its hash. Refuses non-finite weights. */
export function saveModel(path: string, model: Module, preprocess: Preprocess, meta: Record<string, unknown> = {}): string {
  const sd = model.stateDict();
  for (const [name, t] of Object.entries(sd)) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw new RangeError(`saveModel: expected finite weights, got ${t.data[i]} in "${name}" at index ${i}; nothing was written to ${path}`);
    }
  }
  const config = model.config();
  const hash = modelHash(config, preprocess, sd);
  const names = Object.keys(sd).sort();
  writeContainer(path, {
    kind: 'model', architecture: config, preprocess, hash, meta, engine: { build: flavour(), runtime: runtime() },
    tensors: Object.fromEntries(names.map((n) => [n, sd[n].shape])),
  }, names.map((n) => ({ name: n, data: sd[n].data })));
  return hash;
}

/** Loads a model file; every check passes before a model is built. */
export function loadModel(path: string): ModelFile {
  const { header, chunks } = readContainer(path, 'model');
  const h = header as unknown as { architecture: ModuleConfig; preprocess: Preprocess; hash: string; meta: Record<string, unknown>; engine?: unknown; tensors: Record<string, number[]> };
  const sd: StateDict = {};
  for (const [name, shape] of Object.entries(h.tensors ?? {})) {
    const c = chunks.get(name);
    if (!c) throw new FileFormatError(path, `corrupt: tensor "${name}" is listed but has no data`);
    const data = f32chunk(c);
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new FileFormatError(path, `corrupt: tensor "${name}" has ${data.length} values for shape [${shape}]`);
    sd[name] = { shape, data };
  }
  const hash = modelHash(h.architecture, h.preprocess, sd);
  if (hash !== h.hash) throw new FileFormatError(path, 'corrupt: the weights do not match the model hash recorded in the file');
  let model: Module;
  try {
    model = moduleFromConfig(h.architecture);
  } catch (err) {
    throw new FileFormatError(path, `unknown architecture: ${(err as Error).message}`);
  }
  try {
    model.loadStateDict(sd);
  } catch (err) {
    model.dispose();
    throw new FileFormatError(path, `weights do not fit the architecture: ${(err as Error).message}`);
  }
  model.eval();
  const e = h.engine as { build?: unknown; runtime?: unknown } | undefined;
  const engine = e && typeof e.build === 'string' && typeof e.runtime === 'string' ? { build: e.build, runtime: e.runtime } : undefined;
  return { model, preprocess: h.preprocess, hash, meta: h.meta ?? {}, ...(engine ? { engine } : {}) };
}

/** The JavaScript runtime, as a model file records it: 'node v20.20.2', or the browser's user agent. */
function runtime(): string {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (p?.versions?.node) return `node v${p.versions.node}`;
  const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
  return nav?.userAgent ?? 'unknown';
}
