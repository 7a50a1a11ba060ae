// The training loop: a model, a data set of people's photos, the triplet loss (or, for an
// autoencoder, the reconstruction loss), an optimizer, epochs and a seed. Per epoch: PK batches,
// seeded augmentation, health figures, validation on held-out people, early stopping, an atomic
// checkpoint, and a callback. Same seed and same data give the same weights, bit for bit; a run
// resumed from a checkpoint continues exactly where the saved one would have gone.
import { existsSync } from 'node:fs';
import { Tensor } from '../tensor.js';
import { tidy } from '../memory.js';
import { Rng } from '../random.js';
import { tripletLoss, type TripletLossOptions } from '../ops/triplet.js';
import { mseLoss, softmaxCrossEntropy } from '../ops/loss.js';
import { add, scale } from '../ops/elementwise.js';
import { CosineClassifier } from '../nn/layers.js';
import { Optimizer } from '../optim/optimizer.js';
import { Adam } from '../optim/adam.js';
import { clipGradNorm } from '../optim/clip.js';
import type { LRSchedule } from '../optim/schedule.js';
import { checkInt, checkNumber, checkOption, describe, rangeError, typeError } from '../errors.js';
import { HealthMeter, type HealthFigures } from './health.js';
import { evaluateEmbeddings, type EmbeddingEvaluation } from './validate.js';
import { embedDataset, type TrainableModel } from './model.js';
import { PKSampler, augment, imagesToTensor, type AugmentOptions, type FaceDataset } from '../data/index.js';
import { readCheckpoint, writeCheckpoint, type CheckpointState } from '../io/checkpoint.js';

export type Objective = 'triplet' | 'reconstruction';

export interface EarlyStopping {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Validation figure to watch (default 'accuracy'); 'loss' watches the training loss. */
  metric?: 'accuracy' | 'auc' | 'rank1' | 'loss';
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
}

export interface BatchProgress { epoch: number; batch: number; batches: number; loss: number; images: number; seconds: number }

export interface EpochReport {
  epoch: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Triplet health figures (absent for the reconstruction objective). */
  health?: HealthFigures;
  validation?: EmbeddingEvaluation;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
  /** Whether this epoch was the best so far by the early-stopping figure. */
  best: boolean;
  warnings: string[];
}

export interface TrainOptions {
  model: TrainableModel;
  data: FaceDataset;
  epochs: number;
  seed?: number;
  /** 'triplet' (default) or 'reconstruction' (an autoencoder: MSE between output and input). */
  objective?: Objective;
  /**
   * P people × K photos per batch (default 16 × 4), plus `singles` photos of people with one photo
   * (default 0): they have no positive, so they serve as negatives (and as classes for the
   * classifier); each epoch walks through them in a seeded order.
   */
  batch?: { p: number; k: number; singles?: number };
  /** Triplet loss settings (default margin 0.2, batch-hard, Euclidean, mean). */
  loss?: TripletLossOptions;
  /**
   * A margin softmax term added to the triplet loss: loss = triplet + weight · CosFace(head(e)),
   * the head holding one weight vector per training person (labels 0…classes−1). It sees every
   * person of the batch, single-photo people included (see batch.singles), and is kept in
   * checkpoints; the optimizer must hold the head's parameters too (the default one does).
   */
  classifier?: ClassifierOptions;
  /** The optimizer (default Adam, lr 1e-3, over the model's parameters, and the classifier head's). */
  optimizer?: Optimizer<{ lr: number }>;
  schedule?: LRSchedule;
  /** Seeded augmentation of training photos (default none). */
  augment?: AugmentOptions;
  clipGradNorm?: number;
  /** Held-out people to measure verification and identification after each epoch. */
  validation?: FaceDataset;
  earlyStopping?: EarlyStopping;
  /** Checkpoint file, written atomically after each epoch. */
  checkpoint?: string;
  /** Continue from `checkpoint` when it exists. */
  resume?: boolean;
  onEpoch?: (report: EpochReport) => void | boolean;
  onBatch?: (progress: BatchProgress) => void;
  /** Stops after the current batch; the last checkpoint stays intact. */
  signal?: AbortSignal;
}

export interface ClassifierOptions {
  /** One class vector per training person: new CosineClassifier({ inFeatures: D, classes, seed }). */
  head: CosineClassifier;
  /** s (default 30). */
  scale?: number;
  /** m, subtracted from the true class's cosine (default 0.25; 0 gives NormFace). */
  margin?: number;
  /** Weight of the term next to the triplet loss (default 1). */
  weight?: number;
}

export interface TrainResult {
  history: EpochReport[];
  /** Epochs completed in all (including those before a resume). */
  epochs: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  /** Epoch whose weights are kept: the best one when validating with early stopping, else the last. */
  bestEpoch: number;
  resumedFrom?: number;
  seconds: number;
}

const WHERE = 'train';

function seedFor(seed: number, epoch: number, stream: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(epoch + 1, 0x165667b1) + stream * 0x9e3779b9) >>> 0;
}

function figure(r: EpochReport, metric: EarlyStopping['metric']): number {
  if (metric === 'loss') return -r.loss;
  const v = r.validation;
  if (!v) return -r.loss;
  if (metric === 'auc') return v.auc;
  if (metric === 'rank1') return v.rank1;
  return v.accuracy;
}

/** Trains `model` in place; returns the history. */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const objective = checkOption(WHERE, 'objective', o.objective ?? 'triplet', ['triplet', 'reconstruction'] as const);
  const epochs = checkInt(WHERE, 'epochs', o.epochs, 0);
  const seed = checkInt(WHERE, 'seed', o.seed ?? 1, 0, 0xffffffff);
  const p = checkInt(WHERE, 'batch.p', o.batch?.p ?? 16, 2);
  const k = checkInt(WHERE, 'batch.k', o.batch?.k ?? 4, objective === 'triplet' ? 2 : 1);
  const lossOpts: TripletLossOptions = { margin: 0.2, miner: 'hard', distance: 'euclidean', reduction: 'mean', ...o.loss };
  checkNumber(WHERE, 'loss.margin', lossOpts.margin, 0);
  if (o.clipGradNorm !== undefined) checkNumber(WHERE, 'clipGradNorm', o.clipGradNorm, Number.MIN_VALUE);
  if (o.data.size === 0) throw rangeError(WHERE, 'a data set with photos', 'an empty one');
  if (o.checkpoint === undefined && o.resume) throw rangeError(WHERE, 'a checkpoint path with resume', 'resume without checkpoint');
  if (o.earlyStopping) checkInt(WHERE, 'earlyStopping.patience', o.earlyStopping.patience, 1);
  const model = o.model;
  const labels = Array.from({ length: o.data.size }, (_, i) => o.data.label(i));
  const singles = checkInt(WHERE, 'batch.singles', o.batch?.singles ?? 0, 0);
  const cls = o.classifier;
  let clsScale = 0, clsMargin = 0, clsWeight = 0;
  if (cls !== undefined) {
    if (objective !== 'triplet') throw rangeError(WHERE, 'a classifier with the triplet objective only', `objective '${objective}'`);
    if (cls === null || typeof cls !== 'object' || !(cls.head instanceof CosineClassifier)) throw typeError(WHERE, 'classifier { head: CosineClassifier, scale?, margin?, weight? }', describe(cls === null || typeof cls !== 'object' ? cls : cls.head));
    clsScale = checkNumber(WHERE, 'classifier.scale', cls.scale ?? 30, Number.MIN_VALUE);
    clsMargin = checkNumber(WHERE, 'classifier.margin', cls.margin ?? 0.25, 0);
    clsWeight = checkNumber(WHERE, 'classifier.weight', cls.weight ?? 1, 0);
    const top = labels.reduce((a, b) => Math.max(a, b), -1);
    if (top >= cls.head.classes) {
      throw rangeError(WHERE, `classifier.head with a class for every label (the data's labels go up to ${top})`, `${cls.head.classes} classes`);
    }
    if (o.optimizer && !cls.head.parameters().every((t) => o.optimizer!.params.includes(t))) {
      throw rangeError(WHERE, 'an optimizer that holds the classifier head\'s parameters too', 'one without them (pass [...model.parameters(), ...head.parameters()])');
    }
  }
  const sampler = new PKSampler({ labels, p, k, seed, singles });
  const opt = o.optimizer ?? new Adam([...model.parameters(), ...(cls ? cls.head.parameters() : [])], { lr: 1e-3 });
  const ownOptimizer = o.optimizer === undefined;

  const history: EpochReport[] = [];
  let start = 0;
  let best = -Infinity, bestEpoch = -1, sinceBest = 0;
  let bestState: Record<string, { shape: number[]; data: Float32Array }> | null = null;
  let resumedFrom: number | undefined;
  if (o.resume && o.checkpoint && existsSync(o.checkpoint)) {
    const ck = readCheckpoint(o.checkpoint, model, opt, o.schedule, cls?.head);
    start = ck.epoch;
    history.push(...(ck.history as EpochReport[]));
    best = ck.best; bestEpoch = ck.bestEpoch; sinceBest = ck.sinceBest;
    bestState = ck.bestState;
    resumedFrom = start;
  }

  const t0 = performance.now();
  let stoppedEarly = false, interrupted = false;
  for (let epoch = start; epoch < epochs; epoch++) {
    if (o.signal?.aborted) { interrupted = true; break; }
    const te = performance.now();
    const batches = sampler.epochAt(epoch);
    const augRng = new Rng(seedFor(seed, epoch, 1));
    const meter = new HealthMeter(lossOpts.margin);
    let lossTotal = 0, images = 0;
    model.train();
    cls?.head.train();
    for (let bi = 0; bi < batches.length; bi++) {
      if (o.signal?.aborted) { interrupted = true; break; }
      const idx = batches[bi];
      const imgs = idx.map((i) => (o.augment ? augment(o.data.get(i), augRng, o.augment) : o.data.get(i)));
      const batchLabels = idx.map((i) => labels[i]);
      const step = tidy(() => {
        opt.zeroGrad();
        const x = imagesToTensor(imgs);
        let loss: Tensor;
        let figs: Parameters<HealthMeter['add']>[0] | null = null;
        if (objective === 'reconstruction') {
          loss = mseLoss(model.forward(x), x);
        } else {
          const e = model.forward(x);
          const r = tripletLoss(e, batchLabels, lossOpts);
          loss = r.loss;
          const tl = r.loss.item();
          if (cls) loss = add(loss, scale(softmaxCrossEntropy(cls.head.forward(e), batchLabels, { scale: clsScale, margin: clsMargin }), clsWeight));
          const lossSum = lossOpts.reduction === 'sum' ? tl : tl * r.active;
          figs = { loss: tl, lossSum, triplets: r.triplets, active: r.active, meanPositive: r.meanPositive, meanNegative: r.meanNegative, norms: rowNorms(e) };
        }
        loss.backward();
        if (o.clipGradNorm !== undefined) clipGradNorm(cls ? [...model.parameters(), ...cls.head.parameters()] : model.parameters(), o.clipGradNorm);
        opt.step();
        return { loss: loss.item(), figs };
      });
      if (!Number.isFinite(step.loss)) throw new Error(`train: the loss became ${step.loss} at epoch ${epoch + 1}, batch ${bi + 1}; lower the learning rate`);
      if (step.figs) meter.add(step.figs);
      lossTotal += step.loss;
      images += idx.length;
      o.onBatch?.({ epoch, batch: bi + 1, batches: batches.length, loss: lossTotal / (bi + 1), images, seconds: (performance.now() - te) / 1000 });
      await new Promise((r) => setImmediate(r)); // let Ctrl-C and progress through after every batch
    }
    if (interrupted) break;
    const seconds = (performance.now() - te) / 1000;
    const health = objective === 'triplet' ? meter.result() : undefined;
    const validation = o.validation ? evaluateEmbeddings(embedDataset(model, o.validation), Array.from({ length: o.validation.size }, (_, i) => o.validation!.label(i)), { seed }) : undefined;
    const report: EpochReport = {
      epoch: epoch + 1, loss: batches.length ? lossTotal / batches.length : NaN, health, validation,
      lr: opt.lr, seconds, imagesPerSecond: images / seconds, best: false, warnings: health?.warnings ?? [],
    };
    const f = figure(report, o.earlyStopping?.metric ?? (o.validation ? 'accuracy' : 'loss'));
    if (f > best + (o.earlyStopping?.minDelta ?? 0)) {
      best = f; bestEpoch = epoch + 1; sinceBest = 0; report.best = true;
      if (o.earlyStopping) bestState = model.stateDict();
    } else {
      sinceBest++;
    }
    history.push(report);
    o.schedule?.step();
    const stop = o.earlyStopping !== undefined && sinceBest >= o.earlyStopping.patience;
    if (stop && bestState) model.loadStateDict(bestState);
    if (o.checkpoint) {
      const state: CheckpointState = { epoch: epoch + 1, history, best, bestEpoch, sinceBest, bestState, seed };
      writeCheckpoint(o.checkpoint, model, opt, o.schedule, state, cls?.head);
    }
    const cont = o.onEpoch?.(report);
    if (stop) { stoppedEarly = true; break; }
    if (cont === false) break;
  }
  // With early stopping on a validation figure, the weights kept are those of the best epoch.
  const last = history.length ? history[history.length - 1].epoch : 0;
  if (o.earlyStopping && bestState && bestEpoch !== last && !stoppedEarly) model.loadStateDict(bestState);
  if (ownOptimizer) opt.dispose();
  return {
    history, epochs: history.length, stoppedEarly, interrupted, bestEpoch: o.earlyStopping && bestState ? bestEpoch : last,
    resumedFrom, seconds: (performance.now() - t0) / 1000,
  };
}

function rowNorms(e: Tensor): Float32Array {
  const [n, d] = e.shape;
  const v = e.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < d; j++) s += v[i * d + j] * v[i * d + j]; out[i] = Math.sqrt(s); }
  return out;
}

