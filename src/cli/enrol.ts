// `facemetric enrol`: embeds every photo of DIR/<person>/<photo> with a model and saves a gallery
// file (adding to an existing gallery of the same model when given).
import { existsSync } from 'node:fs';
import { Gallery } from '../metric/gallery.js';
import { loadGallery, saveGallery } from '../io/gallery-file.js';
import { UsageError, numberOption, type Command, type Io } from './args.js';
import { describePreprocess, embedFolder, loadEmbeddingModel, loadFolder, num, optional, required, type Values } from './photos.js';

const NAME = 'enrol';

async function run(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length) throw new UsageError(`${NAME}: expected no positional arguments, got ${JSON.stringify(positionals[0])}`);
  const modelPath = required(NAME, values, 'model', 'MODEL (a model file from facemetric train)');
  const data = required(NAME, values, 'data', 'DIR (a folder of person folders DIR/<person>/<photo>)');
  const out = required(NAME, values, 'out', 'GALLERY (the gallery file to write)');
  const existingPath = optional(values, 'gallery');
  const given = numberOption(NAME, 'threshold', values.threshold, { min: 0 });
  const loaded = loadEmbeddingModel(NAME, modelPath);
  let existing: ReturnType<typeof loadGallery> | null = null;
  if (existingPath !== undefined) {
    if (!existsSync(existingPath)) throw new Error(`${NAME}: cannot read gallery file ${existingPath}: no such file`);
    existing = loadGallery(existingPath, { modelHash: loaded.hash });
  }
  const folder = loadFolder(NAME, data, loaded.preprocess);
  const e = embedFolder(NAME, loaded.net, folder);
  const gallery = existing?.gallery ?? new Gallery({ dim: loaded.net.embeddingDim });
  const before = { people: gallery.people.length, photos: gallery.size };
  const oldFiles = Array.isArray(existing?.meta.files) ? (existing.meta.files as string[]) : [];
  const files = [...Array.from({ length: before.photos }, (_, i) => oldFiles[i] ?? `(row ${i})`), ...folder.items.map((it) => it.file)];
  gallery.add(e.data, folder.items.map((it) => folder.people[it.label]));

  const calibrated = (loaded.meta.threshold as { value?: unknown } | null | undefined)?.value;
  let threshold: number | null = null, thresholdSource = 'none';
  if (given !== undefined) { threshold = given; thresholdSource = '--threshold'; }
  else if (existing?.threshold != null) { threshold = existing.threshold; thresholdSource = `the existing gallery ${existingPath}`; }
  else if (typeof calibrated === 'number' && Number.isFinite(calibrated)) { threshold = calibrated; thresholdSource = 'the model (calibrated on held-out people)'; }

  saveGallery(out, gallery, {
    modelHash: loaded.hash, threshold,
    meta: { ...(existing?.meta ?? {}), model: modelPath, files, enrolledAt: new Date().toISOString() },
  });
  const hasPair = gallery.diameters().some((d) => d.pair[0] !== d.pair[1]);
  const D = hasPair ? gallery.D() : null;
  const dOut = D ? { D: D.D, person: D.person, pair: [files[D.pair[0]], files[D.pair[1]]], pairIndices: D.pair } : null;
  const result = {
    gallery: out, modelHash: loaded.hash, people: gallery.people.length, photos: gallery.size,
    added: { people: gallery.people.length - before.people, photos: gallery.size - before.photos, folder: data },
    D: dOut, threshold, thresholdSource,
  };
  if (values.json) {
    io.out(JSON.stringify(result));
  } else {
    io.out(`enrolled ${folder.size} photos of ${folder.people.length} people from ${data} (${describePreprocess(loaded.preprocess)})` +
      (existing ? ` into ${existingPath}` : ''));
    io.out(`saved ${out}: ${result.people} people, ${result.photos} photos, embeddings of ${loaded.net.embeddingDim} values`);
    io.out(dOut
      ? `D (largest diameter of a person's photos) = ${num(dOut.D)}: ${dOut.person}, between ${dOut.pair[0]} and ${dOut.pair[1]}`
      : `D: none (no person has two photos)`);
    io.out(threshold === null ? 'threshold: none saved (identify will use D)' : `threshold: ${num(threshold)} (from ${thresholdSource})`);
  }
  gallery.dispose();
  loaded.model.dispose();
  return 0;
}

export const enrolCommand: Command = {
  name: NAME,
  summary: 'embed every photo of DIR/<person>/<photo> with a model and save a gallery file',
  usage: `facemetric enrol --model MODEL --data DIR --out GALLERY [--gallery EXISTING] [--threshold T]

Embeds every photo of DIR/<person>/<photo> with the model (and its preprocessing) and saves a
gallery file: the embeddings, their people, the model's hash, D and a verification threshold.
Prints the people, the photos and D (the largest diameter of a person's photos, with the pair).

  --model MODEL       model file from facemetric train (required)
  --data DIR          photo folder, one sub-folder per person (required)
  --out GALLERY       gallery file to write (required; may be EXISTING)
  --gallery EXISTING  add to this gallery (it must come from the same model; default none)
  --threshold T       threshold to save for identify/verify (default: EXISTING's, else the model's
                      calibrated one, else none: identify then uses D)
  --json              print one JSON object`,
  options: { model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, gallery: { type: 'string' }, threshold: { type: 'string' } },
  run,
};
