// Training checkpoints: the model's weights and architecture, the optimizer's state, the schedule,
// and the loop's own state (epoch, history, best figure), in one atomically written file.
import { FileFormatError, f32chunk, readContainer, writeContainer } from './container.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import type { LRSchedule } from '../optim/schedule.js';
import type { StateDict, TrainableModel } from '../metric/model.js';
import type { Module } from '../nn/module.js';

export interface CheckpointState {
  epoch: number;
  history: unknown[];
  best: number;
  bestEpoch: number;
  sinceBest: number;
  bestState: StateDict | null;
  seed: number;
}

interface SchedulableWithState extends LRSchedule { stateDict?(): unknown; loadStateDict?(s: never): void }

function stateChunks(prefix: string, sd: StateDict): { shapes: Record<string, number[]>; chunks: Array<{ name: string; data: Float32Array }> } {
  const shapes: Record<string, number[]> = {};
  const chunks: Array<{ name: string; data: Float32Array }> = [];
  for (const [name, t] of Object.entries(sd)) { shapes[name] = t.shape; chunks.push({ name: `${prefix}${name}`, data: t.data }); }
  return { shapes, chunks };
}

function readState(path: string, prefix: string, shapes: Record<string, number[]>, chunks: Map<string, Uint8Array>): StateDict {
  const sd: StateDict = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const c = chunks.get(prefix + name);
    if (!c) throw new FileFormatError(path, `corrupt: tensor "${name}" is listed but has no data`);
    sd[name] = { shape, data: f32chunk(c) };
  }
  return sd;
}

export function writeCheckpoint(path: string, model: TrainableModel, opt: Optimizer<{ lr: number }>, schedule: LRSchedule | undefined, state: CheckpointState, head?: Module): void {
  const weights = stateChunks('w:', model.stateDict());
  const headWeights = head ? stateChunks('h:', head.stateDict()) : null;
  const best = state.bestState ? stateChunks('best:', state.bestState) : null;
  const os = opt.stateDict();
  const optChunks: Array<{ name: string; data: Float32Array }> = [];
  const optState = os.state.map((ps, i) => {
    const buffers: Record<string, number[]> = {};
    for (const [key, b] of Object.entries(ps.buffers)) { buffers[key] = b.shape; optChunks.push({ name: `opt:${i}:${key}`, data: b.data }); }
    return { step: ps.step, buffers };
  });
  const { bestState: _omit, ...loop } = state;
  void _omit;
  writeContainer(path, {
    kind: 'checkpoint',
    architecture: model.config(),
    weights: weights.shapes,
    ...(head && headWeights ? { head: { architecture: head.config(), weights: headWeights.shapes } } : {}),
    bestWeights: best?.shapes ?? null,
    loop,
    optimizer: { kind: os.kind, stepCount: os.stepCount, options: os.options, state: optState },
    schedule: (schedule as SchedulableWithState | undefined)?.stateDict?.() ?? null,
  }, [...weights.chunks, ...(headWeights?.chunks ?? []), ...(best?.chunks ?? []), ...optChunks]);
}

/**
 * Restores model, optimizer and schedule from a checkpoint, and the training head (train's
 * `classifier`) when one was saved; returns the loop's state.
 */
export function readCheckpoint(path: string, model: TrainableModel, opt: Optimizer<{ lr: number }>, schedule: LRSchedule | undefined, head?: Module): CheckpointState {
  const { header, chunks } = readContainer(path, 'checkpoint');
  const h = header as unknown as {
    architecture: unknown; weights: Record<string, number[]>; head?: { architecture: unknown; weights: Record<string, number[]> }; bestWeights: Record<string, number[]> | null;
    loop: Omit<CheckpointState, 'bestState'>;
    optimizer: { kind: string; stepCount: number; options: Record<string, unknown>; state: Array<{ step: number; buffers: Record<string, number[]> }> };
    schedule: unknown;
  };
  if (JSON.stringify(h.architecture) !== JSON.stringify(model.config())) {
    throw new FileFormatError(path, 'this checkpoint was made for a different architecture than the model being trained');
  }
  if (JSON.stringify(h.head?.architecture ?? null) !== JSON.stringify(head?.config() ?? null)) {
    throw new FileFormatError(path, h.head
      ? `this checkpoint was made with a training head (${JSON.stringify(h.head.architecture)}) that the resumed run ${head ? `does not match (${JSON.stringify(head.config())})` : 'does not have'}`
      : 'this checkpoint was made without the training head (classifier) that the resumed run has');
  }
  const weights = readState(path, 'w:', h.weights, chunks);
  const headState = h.head ? readState(path, 'h:', h.head.weights, chunks) : null;
  const bestState = h.bestWeights ? readState(path, 'best:', h.bestWeights, chunks) : null;
  const os: OptimizerStateDict = {
    kind: h.optimizer.kind, stepCount: h.optimizer.stepCount, options: h.optimizer.options,
    state: h.optimizer.state.map((ps, i) => ({
      step: ps.step,
      buffers: Object.fromEntries(Object.entries(ps.buffers).map(([key, shape]) => {
        const c = chunks.get(`opt:${i}:${key}`);
        if (!c) throw new FileFormatError(path, `corrupt: optimizer buffer ${i}:${key} has no data`);
        return [key, { shape, data: f32chunk(c) }];
      })),
    })),
  };
  model.loadStateDict(weights);
  if (head && headState) head.loadStateDict(headState);
  opt.loadStateDict(os);
  const s = schedule as SchedulableWithState | undefined;
  if (s?.loadStateDict && h.schedule) s.loadStateDict(h.schedule as never);
  return { ...h.loop, bestState };
}
