// `facemetric verify`: are two photos of the same person? Same when the distance between their
// embeddings is less than a threshold: a given one, or the gallery's D (--rule diameter).
import { verify, type Verification } from '../metric/verify.js';
import type { GalleryFile } from '../io/gallery-file.js';
import { UsageError, numberOption, type Command, type Io } from './args.js';
import { embedPhotos, loadEmbeddingModel, num, optional, required, type Values } from './photos.js';
import { galleryThreshold, openGallery } from './identify.js';

const NAME = 'verify';

async function run(values: Values, photos: string[], io: Io): Promise<number> {
  const modelPath = required(NAME, values, 'model', 'MODEL (a model file from facemetric train)');
  if (photos.length !== 2) throw new UsageError(`${NAME}: expected two photos PHOTO_A PHOTO_B, got ${photos.length}`);
  const given = numberOption(NAME, 'threshold', values.threshold, { min: 0 });
  const percentile = numberOption(NAME, 'percentile', values.percentile, { min: 0, max: 100 });
  const rule = optional(values, 'rule');
  const galleryPath = optional(values, 'gallery');
  if (rule !== undefined && rule !== 'diameter' && rule !== 'threshold') {
    throw new UsageError(`${NAME}: expected --rule to be diameter or threshold, got ${JSON.stringify(rule)}`);
  }
  if (rule === 'diameter' && galleryPath === undefined) throw new UsageError(`${NAME}: expected --gallery G with --rule diameter (D comes from the gallery)`);
  if (rule === 'diameter' && given !== undefined) throw new UsageError(`${NAME}: expected one of --threshold T or --rule diameter, got both`);
  if (rule === 'threshold' && given === undefined && galleryPath === undefined) throw new UsageError(`${NAME}: expected --threshold T with --rule threshold`);
  if (percentile !== undefined && rule !== 'diameter') throw new UsageError(`${NAME}: --percentile applies to --rule diameter only`);

  const loaded = loadEmbeddingModel(NAME, modelPath);
  const file: GalleryFile | null = galleryPath === undefined ? null : openGallery(NAME, galleryPath, loaded.hash);
  // Decide the rule and threshold before reading the photos, so that bad usage is reported first.
  let threshold: number | undefined, source: string;
  const byDiameter = rule === 'diameter' || (rule === undefined && given === undefined && file !== null && file.threshold === null);
  if (byDiameter) {
    source = percentile === undefined ? `the gallery's D (largest diameter of a person's photos)` : `the ${percentile}th percentile of the gallery's diameters`;
  } else if (given !== undefined) {
    threshold = given; source = '--threshold';
  } else if (file !== null) {
    const c = galleryThreshold(undefined, file);
    threshold = c.threshold as number; source = c.source;
  } else {
    const calibrated = (loaded.meta.threshold as { value?: unknown } | null | undefined)?.value;
    if (typeof calibrated !== 'number') {
      loaded.model.dispose();
      throw new UsageError(`${NAME}: expected --threshold T or --rule diameter --gallery G (the model has no threshold calibrated on held-out people)`);
    }
    threshold = calibrated; source = 'the model (calibrated on held-out people)';
  }
  const e = embedPhotos(NAME, loaded, photos);
  const d = loaded.net.embeddingDim;
  const a = e.subarray(0, d), b = e.subarray(d, 2 * d);
  let v: Verification;
  if (byDiameter) {
    const g = (file as GalleryFile).gallery;
    v = verify(a, b, percentile === undefined ? { rule: 'diameter', gallery: g } : { rule: 'diameter', gallery: g, percentile });
  } else {
    v = verify(a, b, { threshold: threshold as number });
  }
  if (values.json) {
    io.out(JSON.stringify({ a: photos[0], b: photos[1], same: v.same, distance: v.distance, threshold: v.threshold, rule: v.rule, thresholdSource: source }));
  } else {
    io.out(`${v.same ? 'same person' : 'different people'}: distance ${num(v.distance)} ${v.same ? '<' : '≥'} threshold ${num(v.threshold)} (from ${source})`);
  }
  file?.gallery.dispose();
  loaded.model.dispose();
  return 0;
}

export const verifyCommand: Command = {
  name: NAME,
  summary: 'say whether two photos show the same person',
  usage: `facemetric verify --model MODEL PHOTO_A PHOTO_B [--threshold T | --rule diameter --gallery G]

Same person when the distance between the two photos' embeddings is less than the threshold.
Prints same/different, the distance and the threshold used.

  --model MODEL       model file from facemetric train (required)
  --threshold T       the threshold (rule 'threshold')
  --rule R            diameter (threshold = the gallery's D) or threshold (default: threshold when
                      --threshold is given, else the gallery's saved threshold, else its D)
  --gallery G         gallery file from facemetric enrol with the same model
  --percentile P      with --rule diameter: the P-th percentile of the diameters instead of the largest
  (with none of these: the threshold the model calibrated on held-out people, when it has one)
  --json              print one JSON object`,
  options: { model: { type: 'string' }, threshold: { type: 'string' }, rule: { type: 'string' }, gallery: { type: 'string' }, percentile: { type: 'string' } },
  run,
};
