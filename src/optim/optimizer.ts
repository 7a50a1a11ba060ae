// The optimizer base class. A subclass implements one method, update(param, grad, state, index),
// which changes one parameter in place; the base does the rest: checking parameters and options,
// refusing a step when any gradient is NaN or infinite (before anything is written), keeping
// per-parameter state buffers outside every tidy() scope, counting steps, and saving / loading
// that state as plain data for checkpoints. A custom optimizer fits in a few lines:
//
//   class SignSGD extends Optimizer<{ lr: number }> {
//     protected update(p: Tensor, g: Tensor): void {
//       const pd = p.data, gd = g.data;
//       for (let i = 0; i < p.size; i++) pd[i] -= this.lr * Math.sign(gd[i]);
//     }
//   }
import { Tensor, countNonFinite, sameShape, zeros } from '../tensor.js';
import { keep, tidy } from '../memory.js';
import { noGrad } from '../autograd.js';
import { checkInt, checkNumber, describe, fmtShape, rangeError, typeError } from '../errors.js';

/** How a parameter is named in messages: `"conv1.w" [3,3,1,8]` or `#2 [8]`. */
export function paramLabel(p: Tensor, index: number): string {
  return p.name !== undefined ? `"${p.name}" ${fmtShape(p.shape)}` : `#${index} ${fmtShape(p.shape)}`;
}

/** Per-parameter persistent state: named buffers of the parameter's shape and a step count. */
export class ParamState {
  /** How many updates this parameter has had (a parameter whose grad was null is skipped). */
  step = 0;
  private readonly buffers = new Map<string, Tensor>();

  constructor(readonly param: Tensor) {}

  /**
   * The buffer called `key`: a tensor of the parameter's shape, zero-filled when first asked for
   * and kept (outside every tidy() scope) until the optimizer is disposed.
   */
  buffer(key: string): Tensor {
    let b = this.buffers.get(key);
    if (b === undefined) {
      b = keep(zeros(this.param.shape));
      this.buffers.set(key, b);
    }
    return b;
  }

  /** Whether the buffer `key` exists yet (e.g. SGD's momentum buffer before the first step). */
  has(key: string): boolean {
    return this.buffers.has(key);
  }

  /** The names of the buffers that exist. */
  keys(): string[] {
    return [...this.buffers.keys()];
  }

  /** Frees every buffer. */
  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

/** One parameter's state as plain data. */
export interface ParamStateDict {
  step: number;
  /** Buffer name → its shape and a copy of its values. */
  buffers: Record<string, { shape: number[]; data: Float32Array }>;
}

/** An optimizer's state as plain data (copies): what a checkpoint stores to resume training. */
export interface OptimizerStateDict {
  /** The optimizer's name ('SGD', 'Adam', …); loading into another kind is refused. */
  kind: string;
  stepCount: number;
  options: Record<string, unknown>;
  /** One entry per parameter, in the order the optimizer was given them. */
  state: ParamStateDict[];
}

/**
 * Merges `options` over `defaults`, after checking that `options` is an object whose keys are all
 * known (a typo such as `weight_decay` is an error listing the valid names). An option given as
 * undefined takes its default.
 */
export function optimizerOptions<O extends object>(where: string, options: unknown, defaults: O): O {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(where, 'options to be an object', describe(options));
  }
  const known = Object.keys(defaults);
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(options)) {
    if (!known.includes(key)) throw rangeError(where, `options among ${known.join(', ')}`, `unknown option ${JSON.stringify(key)}`);
    if (value !== undefined) out[key] = value;
  }
  return out as O;
}

/** Copies options: arrays (such as betas) are copied so that the caller cannot change them later. */
function copyOptions<O extends object>(o: O): O {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) out[key] = Array.isArray(value) ? [...value] : value;
  return out as O;
}

/**
 * The base of every optimizer. `O` is the resolved options type (every option present); `lr` is
 * the learning rate, which schedules change through `optimizer.lr`.
 */
export abstract class Optimizer<O extends { lr: number }> {
  readonly params: readonly Tensor[];
  /** The options in use (defaults filled in). Change the learning rate through `lr`. */
  readonly options: O;
  /** How many times step() has run. */
  stepCount = 0;
  private readonly states: ParamState[];
  private disposed = false;

  constructor(params: Tensor[], options: O) {
    const where = this.name;
    if (!Array.isArray(params)) throw typeError(where, 'params to be an array of tensors', describe(params));
    if (params.length === 0) throw rangeError(where, 'at least one parameter', 'an empty list');
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw typeError(where, `params[${i}] to be a Tensor`, describe(p));
      if (p.disposed) throw rangeError(where, `params[${i}] to be a live tensor`, 'a disposed one');
      if (!p.requiresGrad) {
        throw rangeError(where, `params[${i}] (${paramLabel(p, i)}) to require a gradient`, 'requiresGrad false', 'create it with parameter()');
      }
      const j = params.indexOf(p);
      if (j !== i) throw rangeError(where, 'each parameter once', `params[${i}] is the same tensor as params[${j}]`);
    });
    this.checkOptions(options);
    this.params = [...params];
    this.options = copyOptions(options);
    this.states = this.params.map((p) => new ParamState(p));
  }

  /** The name used in messages and state dicts; the class name unless a subclass overrides it. */
  get name(): string {
    return this.constructor.name;
  }

  /**
   * Validates options, throwing `<name>: expected options.<key> …, got …`. The base checks lr;
   * a subclass with more options overrides this and calls super.checkOptions(o). It runs before
   * the subclass's constructor body, so it must only look at its argument.
   */
  protected checkOptions(o: O): void {
    checkNumber(this.name, 'options.lr', o.lr, 0);
  }

  /** Changes one parameter in place given its (finite) gradient; called by step(). */
  protected abstract update(param: Tensor, grad: Tensor, state: ParamState, index: number): void;

  /** The learning rate. */
  get lr(): number {
    return this.options.lr;
  }

  set lr(value: number) {
    checkNumber(`${this.name}.lr`, 'the learning rate', value, 0);
    this.options.lr = value;
  }

  /** The state of parameter `index` (for inspection and for subclasses). */
  state(index: number): ParamState {
    checkInt(`${this.name}.state`, 'the parameter index', index, 0, this.params.length - 1);
    return this.states[index];
  }

  /** Sets every gradient to zero (keeping its memory). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /**
   * Updates every parameter that has a gradient (parameters whose grad is null are skipped). If
   * any gradient holds NaN or Inf, throws an error naming the parameter and changes nothing.
   */
  step(): void {
    const where = `${this.name}.step`;
    this.checkLive(where);
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i], g = p.grad;
      if (g === null) continue;
      if (!sameShape(g.shape, p.shape)) {
        throw rangeError(where, `the gradient of parameter ${paramLabel(p, i)} to have its shape`, fmtShape(g.shape));
      }
      const bad = countNonFinite(g.ptr, g.size);
      if (bad > 0) {
        throw rangeError(where, `finite gradients`, `${bad} NaN/Inf value${bad === 1 ? '' : 's'} in the gradient of parameter ${paramLabel(p, i)}`,
          'no parameter was changed; lower the learning rate, clip gradients with clipGradNorm, or check the loss');
      }
    }
    this.stepCount++;
    noGrad(() => {
      for (let i = 0; i < this.params.length; i++) {
        const p = this.params[i], g = p.grad;
        if (g === null) continue;
        const s = this.states[i];
        s.step++;
        tidy(() => this.update(p, g, s, i));
      }
    });
  }

  /** A copy of the optimizer's state (buffers, step counts, options) as plain data. */
  stateDict(): OptimizerStateDict {
    this.checkLive(`${this.name}.stateDict`);
    return {
      kind: this.name,
      stepCount: this.stepCount,
      options: copyOptions(this.options) as Record<string, unknown>,
      state: this.states.map((s) => {
        const buffers: ParamStateDict['buffers'] = {};
        for (const key of s.keys()) {
          const b = s.buffer(key);
          buffers[key] = { shape: [...b.shape], data: b.toFloat32Array() };
        }
        return { step: s.step, buffers };
      }),
    };
  }

  /**
   * Restores a state saved by stateDict() (options, step counts, buffers) so that training resumes
   * exactly where it stopped. Everything is checked first (kind, parameter count, each buffer's
   * shape, naming what does not match); nothing changes if a check fails.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    this.checkLive(where);
    if (sd === null || typeof sd !== 'object') throw typeError(where, 'a state dict object', describe(sd));
    if (sd.kind !== this.name) throw rangeError(where, `a state dict saved by ${this.name}`, `one saved by ${describe(sd.kind)}`);
    checkInt(where, 'stepCount', sd.stepCount, 0);
    if (!Array.isArray(sd.state) || sd.state.length !== this.params.length) {
      throw rangeError(where, `state for ${this.params.length} parameters`, Array.isArray(sd.state) ? `${sd.state.length}` : describe(sd.state));
    }
    const options = optimizerOptions(where, sd.options, this.options);
    this.checkOptions(options);
    sd.state.forEach((ps, i) => {
      const p = this.params[i];
      checkInt(where, `the step of parameter ${paramLabel(p, i)}`, ps?.step, 0);
      if (ps.buffers === null || typeof ps.buffers !== 'object') throw typeError(where, `buffers for parameter ${paramLabel(p, i)}`, describe(ps.buffers));
      for (const [key, b] of Object.entries(ps.buffers)) {
        if (!Array.isArray(b?.shape) || !sameShape(b.shape, p.shape)) {
          throw rangeError(where, `buffer "${key}" of parameter ${paramLabel(p, i)} to have shape ${fmtShape(p.shape)}`,
            Array.isArray(b?.shape) ? fmtShape(b.shape) : describe(b?.shape));
        }
        if (b.data?.length !== p.size) throw rangeError(where, `${p.size} values in buffer "${key}" of parameter ${paramLabel(p, i)}`, `${b.data?.length}`);
      }
    });
    Object.assign(this.options, copyOptions(options));
    this.stepCount = sd.stepCount;
    sd.state.forEach((ps, i) => {
      const s = this.states[i];
      s.dispose();
      s.step = ps.step;
      for (const [key, b] of Object.entries(ps.buffers)) s.buffer(key).data.set(b.data);
    });
  }

  /** Frees the state buffers; the optimizer cannot be used afterwards. */
  dispose(): void {
    for (const s of this.states) s.dispose();
    this.disposed = true;
  }

  private checkLive(where: string): void {
    if (this.disposed) throw new Error(`${where}: this optimizer was disposed`);
  }
}
