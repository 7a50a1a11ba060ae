// `facemetric train`: trains an embedding network on a photo folder DIR/<person>/<photo> with the
// triplet loss and writes a model file (architecture, weights, preprocessing, metadata). Progress
// on stderr, a line per epoch on stdout; Ctrl-C stops after the current batch and keeps the
// checkpoint so that `--resume` continues exactly where it stopped.
import { existsSync } from 'node:fs';
import { EmbeddingNet } from '../nn/index.js';
import { Adam } from '../optim/adam.js';
import { train, type EpochReport, type TrainResult } from '../metric/train.js';
import { embedDataset } from '../metric/model.js';
import { makePairs, pairDistances } from '../metric/validate.js';
import { calibrateThreshold } from '../metric/evaluate.js';
import { MINERS, type Miner } from '../ops/triplet.js';
import { splitByPeople, type FaceDataset, type Preprocess, type AugmentOptions } from '../data/index.js';
import { saveModel } from '../io/model-file.js';
import { historyFromReports, trainingCurvesPlot, writePlot } from '../plot/index.js';
import { basename, extname } from 'node:path';
import { UsageError, numberOption, type Command, type Io } from './args.js';
import { loadFolder, num, optional, pct, progress, required, type Values } from './photos.js';
import type { Progress } from './progress.js';

const NAME = 'train';

/** Augmentation used by default (--augment): mirror, shift 3 pixels, small zoom, brightness and contrast. */
export const DEFAULT_AUGMENT: AugmentOptions = { flip: true, shift: 3, scale: 0.1, brightness: 0.1, contrast: 0.1 };

const OPTION_ORDER = ['data', 'out', 'size', 'grey', 'colour', 'crop', 'dim', 'blocks', 'batch-norm', 'flip-test', 'margin', 'miner', 'p', 'k',
  'epochs', 'lr', 'val-people', 'patience', 'seed', 'augment', 'no-augment', 'checkpoint', 'plot'] as const;

function blocksOption(raw: string | boolean | undefined): number[] {
  if (raw === undefined) return [32, 64, 128];
  const parts = String(raw).split(',').map((s) => s.trim());
  const v = parts.map(Number);
  if (parts.length === 0 || v.some((x, i) => parts[i] === '' || !Number.isInteger(x) || x < 1)) {
    throw new UsageError(`${NAME}: expected --blocks to be filter counts separated by commas (e.g. 32,64,128), got ${JSON.stringify(raw)}`);
  }
  return v;
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line that continues this run: the same options and --resume. */
export function resumeCommand(values: Values): string {
  const args = ['facemetric', NAME];
  for (const name of OPTION_ORDER) {
    const v = values[name];
    if (v === true) args.push(`--${name}`);
    else if (typeof v === 'string') args.push(`--${name}`, quote(v));
  }
  if (values.json) args.push('--json');
  args.push('--resume');
  return args.join(' ');
}

interface Settings {
  data: string; out: string; checkpoint: string; plot: string; resume: boolean;
  preprocess: Preprocess; blocks: number[]; dim: number; batchNorm: boolean; flipTest: boolean;
  margin: number; miner: Miner; p: number; k: number; epochs: number; lr: number;
  valPeople: number; patience: number | undefined; seed: number; augment: AugmentOptions | undefined;
}

function settings(values: Values): Settings {
  const data = required(NAME, values, 'data', 'DIR (a folder of person folders DIR/<person>/<photo>)');
  const out = required(NAME, values, 'out', 'MODEL (the model file to write)');
  if (values.grey && values.colour) throw new UsageError(`${NAME}: expected one of --grey or --colour, got both`);
  if (values.augment && values['no-augment']) throw new UsageError(`${NAME}: expected one of --augment or --no-augment, got both`);
  const size = numberOption(NAME, 'size', values.size, { min: 1, max: 4096, integer: true }) ?? 64;
  const crop = numberOption(NAME, 'crop', values.crop, { min: 0, max: 1 }) ?? 1;
  if (crop === 0) throw new UsageError(`${NAME}: expected --crop to be a fraction in (0, 1], got "0"`);
  const minerRaw = optional(values, 'miner') ?? 'all';
  if (!(MINERS as readonly string[]).includes(minerRaw)) {
    throw new UsageError(`${NAME}: expected --miner to be one of ${MINERS.join(', ')}, got ${JSON.stringify(minerRaw)}`);
  }
  const preprocess: Preprocess = { size: [size, size], grey: !values.colour, standardize: true };
  if (crop < 1) preprocess.crop = crop;
  const valPeople = numberOption(NAME, 'val-people', values['val-people'], { min: 0 }) ?? 0;
  if (valPeople >= 1 && !Number.isInteger(valPeople)) {
    throw new UsageError(`${NAME}: expected --val-people to be a whole count of people or a fraction in (0, 1), got ${JSON.stringify(values['val-people'])}`);
  }
  return {
    data, out, checkpoint: optional(values, 'checkpoint') ?? `${out}.ckpt`, resume: values.resume === true,
    plot: optional(values, 'plot') ?? `${out.slice(0, out.length - extname(out).length)}.curves`,
    preprocess,
    blocks: blocksOption(values.blocks),
    dim: numberOption(NAME, 'dim', values.dim, { min: 1, max: 65536, integer: true }) ?? 128,
    batchNorm: values['batch-norm'] === true,
    flipTest: values['flip-test'] === true,
    margin: numberOption(NAME, 'margin', values.margin, { min: 0 }) ?? 0.2,
    miner: minerRaw as Miner,
    p: numberOption(NAME, 'p', values.p, { min: 2, max: 1e6, integer: true }) ?? 16,
    k: numberOption(NAME, 'k', values.k, { min: 2, max: 1e6, integer: true }) ?? 4,
    epochs: numberOption(NAME, 'epochs', values.epochs, { min: 1, max: 1e7, integer: true }) ?? 30,
    lr: numberOption(NAME, 'lr', values.lr, { min: Number.MIN_VALUE }) ?? 1e-3,
    valPeople,
    patience: numberOption(NAME, 'patience', values.patience, { min: 1, max: 1e7, integer: true }),
    seed: numberOption(NAME, 'seed', values.seed, { min: 0, max: 0xffffffff, integer: true }) ?? 1,
    augment: values['no-augment'] ? undefined : DEFAULT_AUGMENT,
  };
}

/** One epoch as a line: loss, active fraction, d(A,P), d(A,N), validation, time. */
export function epochLine(r: EpochReport, epochs: number): string {
  const parts = [`epoch ${r.epoch}/${epochs}`, `loss ${num(r.loss)}`];
  if (r.health) parts.push(`active ${pct(r.health.activeFraction)}`, `d(A,P) ${num(r.health.meanPositive, 3)}`, `d(A,N) ${num(r.health.meanNegative, 3)}`);
  if (r.validation) parts.push(`val acc ${pct(r.validation.accuracy)}`, `rank-1 ${pct(r.validation.rank1)}`);
  parts.push(`${r.seconds.toFixed(1)} s`);
  if (r.best && r.validation) parts.push('(best)');
  return [parts.join('  '), ...r.warnings.map((w) => `  warning: ${w}`)].join('\n');
}

function summary(r: EpochReport) {
  return {
    epoch: r.epoch, loss: r.loss, activeFraction: r.health?.activeFraction ?? null,
    meanPositive: r.health?.meanPositive ?? null, meanNegative: r.health?.meanNegative ?? null,
    valAccuracy: r.validation?.accuracy ?? null, valRank1: r.validation?.rank1 ?? null, seconds: r.seconds, warnings: r.warnings,
  };
}

/** A verification threshold calibrated on the held-out people (best accuracy over their pairs), or null. */
function calibrate(net: EmbeddingNet, val: FaceDataset, seed: number): { value: number; accuracy: number; pairs: number } | null {
  const labels = Array.from({ length: val.size }, (_, i) => val.label(i));
  const pairs = makePairs(labels, { seed });
  const nSame = pairs.same.filter(Boolean).length;
  if (nSame === 0 || nSame === pairs.same.length) return null;
  const c = calibrateThreshold(pairDistances(embedDataset(net, val), pairs), pairs.same);
  return Number.isFinite(c.threshold) ? { value: c.threshold, accuracy: c.accuracy, pairs: pairs.same.length } : null;
}

async function run(values: Values, _positionals: string[], io: Io): Promise<number> {
  if (_positionals.length) throw new UsageError(`${NAME}: expected no positional arguments, got ${JSON.stringify(_positionals[0])}`);
  const s = settings(values);
  if (s.resume && !existsSync(s.checkpoint)) {
    throw new Error(`${NAME}: --resume: no checkpoint at ${s.checkpoint} (train without --resume to start afresh)`);
  }
  const folder = loadFolder(NAME, s.data, s.preprocess);
  let trainSet: FaceDataset = folder, valSet: FaceDataset | undefined;
  if (s.valPeople > 0) {
    const split = splitByPeople(folder, { test: s.valPeople, seed: s.seed });
    trainSet = split.train; valSet = split.test;
  }
  const [size] = s.preprocess.size;
  const net = new EmbeddingNet({
    inputShape: [size, size, s.preprocess.grey ? 1 : 3], blocks: s.blocks, embeddingDim: s.dim, batchNorm: s.batchNorm, flipTest: s.flipTest, seed: s.seed,
  });
  const opt = new Adam(net.parameters(), { lr: s.lr });
  const say = (line: string) => { if (!values.json) io.out(line); };
  const note = (line: string) => { if (!values.json) io.err(line); };
  note(`${NAME}: ${folder.people.length} people, ${folder.size} photos in ${s.data}` +
    (valSet ? ` (${valSet.people.length} people held out for validation)` : '') +
    `; input ${size}×${size}×${s.preprocess.grey ? 1 : 3}, blocks ${s.blocks.join(',')}, D ${s.dim}`);
  if (s.resume) note(`${NAME}: resuming from ${s.checkpoint}`);
  else if (existsSync(s.checkpoint)) note(`${NAME}: starting afresh; ${s.checkpoint} will be overwritten (--resume continues from it)`);

  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  let bar: Progress | null = null;
  let base = 0, stoppedAt = '';
  let result: TrainResult | null = null;
  const started = performance.now();
  try {
    result = await train({
      model: net, data: trainSet, validation: valSet, epochs: s.epochs, seed: s.seed, batch: { p: s.p, k: s.k },
      loss: { margin: s.margin, miner: s.miner, reduction: 'mean' }, optimizer: opt, augment: s.augment,
      earlyStopping: valSet || s.patience ? { patience: s.patience ?? s.epochs + 1 } : undefined,
      checkpoint: s.checkpoint, resume: s.resume, signal: ac.signal,
      onBatch: (b) => {
        if (!bar) { base = b.epoch; bar = progress(`${NAME}: epoch ${b.epoch + 1}/${s.epochs}`, (s.epochs - base) * b.batches, 'batches', { valueName: 'loss', start: started, autoFinish: false }); }
        bar.label = `${NAME}: epoch ${b.epoch + 1}/${s.epochs}`;
        bar.update((b.epoch - base) * b.batches + b.batch, b.loss);
        stoppedAt = `epoch ${b.epoch + 1}, batch ${b.batch} of ${b.batches}`;
      },
      onEpoch: (e) => { (bar as Progress | null)?.clear(); say(epochLine(e, s.epochs)); },
    });
  } catch (err) {
    (bar as Progress | null)?.abort();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
  }
  const finalBar = bar as Progress | null;
  if (result.interrupted) {
    finalBar?.abort();
    const saved = result.history.length ? result.history[result.history.length - 1].epoch : 0;
    const where = saved > 0 && existsSync(s.checkpoint) ? `the checkpoint ${s.checkpoint} holds epoch ${saved} of ${s.epochs}` : 'no epoch had finished, so there is no checkpoint yet';
    if (values.json) io.out(JSON.stringify({ interrupted: true, epochs: saved, checkpoint: existsSync(s.checkpoint) ? s.checkpoint : null, resume: resumeCommand(values) }));
    io.err(`${NAME}: interrupted${stoppedAt ? ` after ${stoppedAt}` : ''}; ${where}; the model file was not written.\nto continue: ${resumeCommand(values)}`);
    opt.dispose(); net.dispose();
    return 1;
  }
  finalBar?.finish();
  if (result.resumedFrom !== undefined && result.resumedFrom >= s.epochs) note(`${NAME}: the checkpoint already holds ${result.resumedFrom} epochs; nothing to train (raise --epochs to train more)`);

  const threshold = valSet ? calibrate(net, valSet, s.seed) : null;
  const history = result.history.map(summary);
  const meta = {
    trainedAt: new Date().toISOString(), seconds: result.seconds, epochs: result.epochs, bestEpoch: result.bestEpoch,
    resumedFrom: result.resumedFrom ?? null, stoppedEarly: result.stoppedEarly,
    data: { folder: s.data, people: folder.people.length, photos: folder.size, validationPeople: valSet?.people.length ?? 0 },
    options: {
      blocks: s.blocks, dim: s.dim, batchNorm: s.batchNorm, flipTest: s.flipTest, margin: s.margin, miner: s.miner, p: s.p, k: s.k, epochs: s.epochs, lr: s.lr,
      valPeople: s.valPeople, patience: s.patience ?? null, seed: s.seed, augment: s.augment ?? null,
    },
    history, threshold,
  };
  const hash = saveModel(s.out, net, s.preprocess, meta);
  opt.dispose(); net.dispose();
  const plots = result.history.length
    ? writePlot(s.plot, trainingCurvesPlot(historyFromReports(result.history), { title: `training on ${basename(s.data)}` }))
    : [];
  if (values.json) {
    io.out(JSON.stringify({
      model: s.out, hash, checkpoint: s.checkpoint, epochs: result.epochs, bestEpoch: result.bestEpoch, resumedFrom: result.resumedFrom ?? null,
      stoppedEarly: result.stoppedEarly, interrupted: false, seconds: result.seconds, people: folder.people.length, photos: folder.size,
      validationPeople: valSet?.people.length ?? 0, threshold, preprocess: s.preprocess, history: result.history, plots,
    }));
  } else {
    const kept = valSet ? `best epoch ${result.bestEpoch} of ${result.epochs} (by validation accuracy)` : `epoch ${result.epochs}`;
    say(`saved ${s.out}: weights of ${kept}, hash ${hash.slice(0, 12)}…, ${result.seconds.toFixed(1)} s`);
    if (threshold) say(`verification threshold calibrated on the held-out people: ${num(threshold.value)} (accuracy ${pct(threshold.accuracy)} on ${threshold.pairs} pairs)`);
    if (result.stoppedEarly) say(`stopped early: no improvement for ${s.patience ?? s.epochs + 1} epochs`);
    if (plots.length) say(`training curves: ${plots.join(', ')}`);
  }
  return 0;
}

export const trainCommand: Command = {
  name: NAME,
  summary: 'train an embedding network on a photo folder DIR/<person>/<photo> and write a model file',
  usage: `facemetric train --data DIR --out MODEL [options]

Trains the embedding network with the triplet loss on DIR/<person>/<photo> (.png, .jpg, .jpeg) and
writes MODEL: architecture, weights (of the best epoch when validating, else the last), the
preprocessing, and metadata (epochs, history, time, a threshold calibrated on held-out people).
A line per epoch on stdout; progress on stderr. Ctrl-C stops after the current batch, keeps the
checkpoint of the last finished epoch and prints the command that continues (--resume).

  --data DIR          photo folder, one sub-folder per person (required)
  --out MODEL         model file to write (required)
  --size N            square input size in pixels (default 64)
  --grey | --colour   input channels (default --grey)
  --crop F            centre-crop this fraction of the shorter side before resizing (default 1: none)
  --dim N             embedding size D (default 128)
  --blocks LIST       filters of each conv block, each halving the size (default 32,64,128)
  --batch-norm        batch norm after each convolution (default off)
  --flip-test         embed each photo and its mirror image, sum and re-normalise (kept in the
                      model: enrol, identify, verify and eval do it too; default off)
  --margin M          triplet margin (default 0.2)
  --miner NAME        hard | semihard | all (default all: every valid triplet of the batch, the loss
                      the mean over the active ones; hard, from a random start, tends to collapse
                      on real photos)
  --p N --k N         people per batch and photos per person (default 16 and 4)
  --epochs N          epochs to train in all, counting resumed ones (default 30)
  --lr X              Adam learning rate (default 0.001)
  --val-people N|F    people held out for validation: a count or a fraction (default 0: none)
  --patience N        stop after N epochs without improvement (default: never)
  --seed N            seed of initialisation, batches, augmentation and split (default 1)
  --augment | --no-augment
                      flip, shift 3 px, zoom 10 %, brightness and contrast ±0.1 (default on)
  --checkpoint PATH   checkpoint written after every epoch (default MODEL.ckpt)
  --plot PATH         training curves (loss, active triplets, validation accuracy) as PATH.png and
                      PATH.svg, or only PATH when it ends in .png/.svg (default MODEL without its
                      extension + .curves)
  --resume            continue from the checkpoint (same options)
  --json              print one JSON object (history, model hash) instead of the lines`,
  options: {
    data: { type: 'string' }, out: { type: 'string' }, size: { type: 'string' }, grey: { type: 'boolean' }, colour: { type: 'boolean' },
    crop: { type: 'string' }, dim: { type: 'string' }, blocks: { type: 'string' }, 'batch-norm': { type: 'boolean' },
    'flip-test': { type: 'boolean' }, margin: { type: 'string' }, miner: { type: 'string' }, p: { type: 'string' }, k: { type: 'string' }, epochs: { type: 'string' },
    lr: { type: 'string' }, 'val-people': { type: 'string' }, patience: { type: 'string' }, seed: { type: 'string' },
    augment: { type: 'boolean' }, 'no-augment': { type: 'boolean' }, checkpoint: { type: 'string' }, resume: { type: 'boolean' },
    plot: { type: 'string' },
  },
  run,
};
