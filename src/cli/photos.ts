// Shared by the photo commands: required options, loading a model file as an embedding model,
// loading a photo folder with the model's preprocessing, and embedding photos with progress.
import { existsSync, statSync } from 'node:fs';
import { loadModel, type ModelFile } from '../io/model-file.js';
import { ImageFolder, loadImage, preprocess, imagesToTensor, type Preprocess } from '../data/index.js';
import { embedDataset, type EmbeddingSet } from '../metric/model.js';
import type { EmbeddingModel } from '../nn/index.js';
import { tidy } from '../memory.js';
import { UsageError } from './args.js';
import { Progress } from './progress.js';

export type Values = Record<string, string | boolean | undefined>;

/** A string option that must be present: `train: expected --data DIR`. */
export function required(cmd: string, values: Values, name: string, what: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`${cmd}: expected --${name} ${what}`);
  return v;
}

/** A string option that may be absent. */
export function optional(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A Progress on stderr, quiet when FACEMETRIC_PROGRESS=0. */
export function progress(label: string, total: number, unit: string, more: { valueName?: string; start?: number; autoFinish?: boolean } = {}): Progress {
  return new Progress({ label, total: Math.max(total, 1), unit, ...more, enabled: process.env.FACEMETRIC_PROGRESS !== '0' });
}

export interface LoadedModel extends ModelFile { net: EmbeddingModel; path: string }

/** Loads a model file; refuses one that does not map images to embeddings. */
export function loadEmbeddingModel(cmd: string, path: string): LoadedModel {
  if (!existsSync(path)) throw new Error(`${cmd}: cannot read model file ${path}: no such file`);
  const file = loadModel(path);
  const net = file.model as unknown as Partial<EmbeddingModel>;
  if (typeof net.embed !== 'function' || typeof net.embeddingDim !== 'number' || !Array.isArray(net.inputShape)) {
    file.model.dispose();
    throw new Error(`${cmd}: expected ${path} to hold an embedding model (images → embeddings), got a ${file.model.constructor.name}`);
  }
  return { ...file, net: net as EmbeddingModel, path };
}

/** `64×64 grey, crop 0.8, standardised` */
export function describePreprocess(p: Preprocess): string {
  return `${p.size[0]}×${p.size[1]} ${p.grey ? 'grey' : 'colour'}${p.crop !== undefined && p.crop < 1 ? `, centre crop ${p.crop}` : ''}${p.standardize ? ', standardised' : ''}`;
}

/**
 * An image folder root/<person>/<photo> with every photo decoded and preprocessed now (with
 * progress), so that a broken file is reported before any long work starts.
 */
export function loadFolder(cmd: string, dir: string, pre: Preprocess): ImageFolder {
  if (!existsSync(dir)) throw new Error(`${cmd}: cannot read photo folder ${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new Error(`${cmd}: expected ${dir} to be a folder of person folders (DIR/<person>/<photo>), got a file`);
  const folder = new ImageFolder(dir, { preprocess: pre });
  const bar = progress(`${cmd}: reading photos`, folder.size, 'photos');
  try {
    for (let i = 0; i < folder.size; i++) {
      folder.get(i);
      bar.update(i + 1);
    }
  } catch (err) {
    bar.abort();
    throw err;
  }
  return folder;
}

/** Embeddings of every photo of a loaded folder, with progress. */
export function embedFolder(cmd: string, model: EmbeddingModel, folder: ImageFolder): EmbeddingSet {
  const bar = progress(`${cmd}: embedding`, folder.size, 'photos');
  try {
    return embedDataset(model, folder, 64, (done) => bar.update(done));
  } catch (err) {
    bar.abort();
    throw err;
  }
}

/** Embeddings [n, D] (row-major) of photo files, each loaded and preprocessed as the model expects. */
export function embedPhotos(cmd: string, loaded: LoadedModel, files: readonly string[]): Float32Array {
  const d = loaded.net.embeddingDim;
  const out = new Float32Array(files.length * d);
  const bar = files.length > 16 ? progress(`${cmd}: embedding`, files.length, 'photos') : null;
  const chunk = 64;
  try {
    for (let s = 0; s < files.length; s += chunk) {
      const images = files.slice(s, s + chunk).map((f) => preprocess(loadImage(f), loaded.preprocess));
      tidy(() => { out.set(loaded.net.embed(imagesToTensor(images), chunk).data, s * d); });
      bar?.update(Math.min(files.length, s + chunk));
    }
  } catch (err) {
    bar?.abort();
    throw err;
  }
  return out;
}

/** A number for people: 0.8123 → '0.8123'. */
export function num(v: number, digits = 4): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** A fraction as a percentage: 0.912 → '91.2%'. */
export function pct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a';
}
