// `facemetric identify`: who is on each photo — the majority vote of the k nearest gallery photos,
// or 'unknown' when the winner's nearest photo is not closer than the threshold.
import { existsSync } from 'node:fs';
import { loadGallery, type GalleryFile } from '../io/gallery-file.js';
import { UsageError, numberOption, type Command, type Io } from './args.js';
import { embedPhotos, loadEmbeddingModel, num, required, type Values } from './photos.js';

const NAME = 'identify';

export interface ThresholdChoice { threshold: number | null; source: string }

/** --threshold, else the gallery file's saved threshold, else the gallery's D, else none. */
export function galleryThreshold(given: number | undefined, file: GalleryFile): ThresholdChoice {
  if (given !== undefined) return { threshold: given, source: '--threshold' };
  if (file.threshold !== null) return { threshold: file.threshold, source: 'the gallery file\'s saved threshold' };
  const hasPair = file.gallery.diameters().some((d) => d.pair[0] !== d.pair[1]);
  if (hasPair) {
    const D = file.gallery.D();
    return { threshold: D.D, source: `the gallery's D (largest diameter, ${D.person})` };
  }
  return { threshold: null, source: 'none (the gallery has no person with two photos): every face gets the nearest person' };
}

/** Loads a gallery file made by the model with this hash. */
export function openGallery(cmd: string, path: string, modelHash: string): GalleryFile {
  if (!existsSync(path)) throw new Error(`${cmd}: cannot read gallery file ${path}: no such file`);
  return loadGallery(path, { modelHash });
}

async function run(values: Values, photos: string[], io: Io): Promise<number> {
  const modelPath = required(NAME, values, 'model', 'MODEL (a model file from facemetric train)');
  const galleryPath = required(NAME, values, 'gallery', 'GALLERY (a gallery file from facemetric enrol)');
  if (photos.length === 0) throw new UsageError(`${NAME}: expected one or more PHOTO files after the options`);
  const k = numberOption(NAME, 'k', values.k, { min: 1, integer: true }) ?? 1;
  const given = numberOption(NAME, 'threshold', values.threshold, { min: 0 });
  const loaded = loadEmbeddingModel(NAME, modelPath);
  const file = openGallery(NAME, galleryPath, loaded.hash);
  if (k > file.gallery.size) throw new UsageError(`${NAME}: expected --k to be at most the gallery's ${file.gallery.size} photos, got ${k}`);
  const choice = galleryThreshold(given, file);
  const e = embedPhotos(NAME, loaded, photos);
  const ids = file.gallery.identifyBatch(e, choice.threshold === null ? { k } : { k, threshold: choice.threshold });
  const results = ids.map((r, i) => ({
    photo: photos[i], label: r.label, known: r.known, candidate: r.candidate, votes: r.votes, distance: r.distance,
    neighbours: r.neighbours.map((n) => ({ label: n.label, distance: n.distance, index: n.index })),
  }));
  if (values.json) {
    io.out(JSON.stringify({ gallery: galleryPath, k, threshold: choice.threshold, thresholdSource: choice.source, results }));
  } else {
    io.out(`threshold: ${choice.threshold === null ? 'none' : num(choice.threshold)} (${choice.threshold === null ? choice.source : `from ${choice.source}`}); k = ${k}`);
    const w = Math.max(...photos.map((p) => p.length));
    for (const r of results) {
      const votes = `votes ${Object.entries(r.votes).map(([p, v]) => `${p} ${v}`).join(', ')} of ${k}`;
      const gate = choice.threshold === null ? '' : r.known ? ` < ${num(choice.threshold)}` : ` ≥ ${num(choice.threshold)}`;
      io.out(`${r.photo.padEnd(w)}  ${r.known ? r.label : `unknown (nearest: ${r.candidate})`}  ${votes}, distance ${num(r.distance)}${gate}`);
    }
  }
  file.gallery.dispose();
  loaded.model.dispose();
  return 0;
}

export const identifyCommand: Command = {
  name: NAME,
  summary: 'say who is on each photo (a gallery person or unknown)',
  usage: `facemetric identify --model MODEL --gallery GALLERY PHOTO... [--k 1] [--threshold T]

For each photo: the person with the most photos among the k nearest gallery photos, or 'unknown'
when the distance to that person's nearest photo is not less than the threshold; the votes and
the distance.

  --model MODEL       model file from facemetric train (required)
  --gallery GALLERY   gallery file from facemetric enrol with the same model (required)
  --k N               nearest gallery photos that vote (default 1)
  --threshold T       distance gate (default: the gallery file's saved threshold, else the
                      gallery's D, the largest diameter of a person's photos)
  --json              print one JSON object`,
  options: { model: { type: 'string' }, gallery: { type: 'string' }, k: { type: 'string' }, threshold: { type: 'string' } },
  run,
};
