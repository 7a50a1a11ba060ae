// `facemetric ensemble`: several trained models (other seeds, other recipes; trained side by side,
// one per core) saved as one model file whose embedding is the members' unit embeddings side by
// side, divided by √M (src/nn/ensemble.ts). Every other command takes the result like any model.
import { saveModel } from '../io/model-file.js';
import { EmbeddingEnsemble, type EmbeddingModel, type Module } from '../nn/index.js';
import { UsageError, type Command, type Io } from './args.js';
import { describePreprocess, loadEmbeddingModel, required, type LoadedModel, type Values } from './photos.js';

const NAME = 'ensemble';

async function run(values: Values, paths: string[], io: Io): Promise<number> {
  const out = required(NAME, values, 'out', 'MODEL (the ensemble model file to write)');
  if (paths.length < 2) throw new UsageError(`${NAME}: expected two or more model files MODEL_A MODEL_B …, got ${paths.length}`);
  const loaded: LoadedModel[] = [];
  try {
    for (const p of paths) loaded.push(loadEmbeddingModel(NAME, p));
    const first = loaded[0];
    for (const m of loaded.slice(1)) {
      if (JSON.stringify(m.preprocess) !== JSON.stringify(first.preprocess)) {
        throw new Error(`${NAME}: expected models with the same preprocessing; ${first.path} takes ${describePreprocess(first.preprocess)}, ${m.path} takes ${describePreprocess(m.preprocess)}`);
      }
    }
    const ens = new EmbeddingEnsemble({ members: loaded.map((m) => m.model as Module & EmbeddingModel), flipTest: values['flip-test'] === true });
    const members = loaded.map((m) => ({ path: m.path, hash: m.hash }));
    const hash = saveModel(out, ens, first.preprocess, { ensemble: members });
    if (values.json) io.out(JSON.stringify({ out, hash, embeddingDim: ens.embeddingDim, members }));
    else {
      io.out(`ensemble of ${loaded.length} models${ens.flipTest ? ' with test-time flip' : ''} (${describePreprocess(first.preprocess)}; embedding ${loaded.map((m) => m.net.embeddingDim).join(' + ')} = ${ens.embeddingDim}) → ${out}`);
      io.out(`  model hash ${hash.slice(0, 16)}…; members: ${members.map((m) => `${m.path} (${m.hash.slice(0, 8)})`).join(', ')}`);
      io.out('  no threshold is carried over from the members: give verify --threshold, or calibrate one with eval');
    }
    return 0;
  } finally {
    for (const m of loaded) m.model.dispose();
  }
}

export const ensembleCommand: Command = {
  name: NAME,
  summary: 'combine trained models into one (embeddings side by side)',
  usage: `facemetric ensemble --out MODEL MODEL_A MODEL_B [MODEL_C …]

Saves one model file whose embedding of a photo is the members' L2-normalised embeddings side by
side, divided by √M (a unit vector; its squared distances are the mean of the members'). Members
trained with other seeds or recipes make fewer of the same mistakes, so the ensemble usually
verifies better than any one of them. The members must share the preprocessing.

  --out MODEL   the model file to write (required)
  --flip-test   embed each photo and its mirror image, and average (test-time flip for the ensemble)
  --json        print one JSON object`,
  options: { out: { type: 'string' }, 'flip-test': { type: 'boolean' } },
  run,
};
