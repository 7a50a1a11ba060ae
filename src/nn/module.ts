// Module: the base of every layer and network. A module owns named parameters (trainable leaves
// made with parameter()), named buffers (state that is saved but not trained, such as batch-norm
// running statistics) and named submodules; names compose with dots (`blocks.0.conv.w`). Its
// config() is a JSON description of the architecture, so that moduleFromConfig(config) rebuilds
// it and loadStateDict() puts the weights back.
import { Tensor, parameter, sizeOf } from '../tensor.js';
import { keep } from '../memory.js';
import { describe, fmtShape, rangeError, typeError } from '../errors.js';

/** A JSON-serialisable description of a module: `type` names its class in the registry. */
export interface ModuleConfig {
  type: string;
  [key: string]: unknown;
}

/** One saved tensor: its shape and a copy of its values. */
export interface TensorState {
  shape: number[];
  data: Float32Array;
}

/** Parameters and buffers by dotted name. */
export type ModuleStateDict = Record<string, TensorState>;

const NAME = /^[A-Za-z0-9_]+$/;

export abstract class Module {
  /** Training mode (batch statistics, dropout on) or evaluation mode; set with train() / eval(). */
  training = true;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** The module's output for a batch x. */
  abstract forward(x: Tensor): Tensor;

  /** The architecture as JSON (no weights): moduleFromConfig(config) builds the same module. */
  abstract config(): ModuleConfig;

  /** The class name, used in messages. */
  get typeName(): string {
    return this.constructor.name;
  }

  private checkName(where: string, name: string): void {
    if (typeof name !== 'string' || !NAME.test(name)) throw rangeError(where, 'a name of letters, digits and _', describe(name));
    if (this.ownParams.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw rangeError(where, 'a name not used yet in this module', `'${name}', already taken`);
    }
  }

  /** Registers t as the trainable parameter `name` (requiresGrad, outside every tidy scope). */
  protected addParameter(name: string, t: Tensor): Tensor {
    this.checkName(`${this.typeName}.addParameter`, name);
    this.ownParams.set(name, parameter(t, name));
    return t;
  }

  /** Registers t as the buffer `name`: saved in the state dict, never trained. */
  protected addBuffer(name: string, t: Tensor): Tensor {
    this.checkName(`${this.typeName}.addBuffer`, name);
    t.requiresGrad = false;
    t.name = name;
    this.ownBuffers.set(name, keep(t));
    return t;
  }

  /** Registers m as the submodule `name`; its tensors' names get the prefix `name.`. */
  protected addModule<M extends Module>(name: string, m: M): M {
    this.checkName(`${this.typeName}.addModule`, name);
    if (!(m instanceof Module)) throw typeError(`${this.typeName}.addModule`, 'a Module', describe(m));
    this.children.set(name, m);
    for (const [n, t] of m.namedTensors()) t.name = `${name}.${n}`;
    m.train(this.training);
    return m;
  }

  /** The direct submodules with their names, in registration order. */
  namedChildren(): Array<[string, Module]> {
    return [...this.children];
  }

  /** Sets training mode (true) or evaluation mode (false) here and in every submodule. */
  train(on = true): this {
    if (typeof on !== 'boolean') throw typeError(`${this.typeName}.train`, 'a boolean', describe(on));
    this.training = on;
    for (const m of this.children.values()) m.train(on);
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  private collect(kind: 'params' | 'buffers', prefix: string, out: Array<[string, Tensor]>): void {
    for (const [n, t] of kind === 'params' ? this.ownParams : this.ownBuffers) out.push([prefix + n, t]);
    for (const [n, m] of this.children) m.collect(kind, `${prefix}${n}.`, out);
  }

  /** Every trainable parameter with its dotted name: this module's own first, then each submodule's. */
  namedParameters(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    this.collect('params', '', out);
    return out;
  }

  /** The trainable parameters (each once), for an optimizer. */
  parameters(): Tensor[] {
    return [...new Set(this.namedParameters().map(([, t]) => t))];
  }

  /** Every buffer (saved, not trained) with its dotted name. */
  namedBuffers(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    this.collect('buffers', '', out);
    return out;
  }

  /** Parameters then buffers, module by module (the state dict's order). */
  private namedTensors(): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const walk = (m: Module, prefix: string) => {
      for (const [n, t] of m.ownParams) out.push([prefix + n, t]);
      for (const [n, t] of m.ownBuffers) out.push([prefix + n, t]);
      for (const [n, c] of m.children) walk(c, `${prefix}${n}.`);
    };
    walk(this, '');
    return out;
  }

  /** Number of trainable values (buffers not counted). */
  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** Copies of every parameter and buffer, by dotted name. */
  stateDict(): ModuleStateDict {
    const sd: ModuleStateDict = {};
    for (const [n, t] of this.namedTensors()) sd[n] = { shape: [...t.shape], data: t.toFloat32Array() };
    return sd;
  }

  /**
   * Copies the values of a state dict into this module's parameters and buffers. Every name must
   * match (none missing, none extra), every shape must match and every value must be finite;
   * otherwise nothing is changed and the error lists what is wrong.
   */
  loadStateDict(sd: ModuleStateDict): void {
    const where = `${this.typeName}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) throw typeError(where, 'a state dict { name: { shape, data } }', describe(sd));
    const own = this.namedTensors();
    const names = new Set(own.map(([n]) => n));
    const missing = own.filter(([n]) => !Object.prototype.hasOwnProperty.call(sd, n)).map(([n]) => n);
    const extra = Object.keys(sd).filter((n) => !names.has(n));
    const wrong: string[] = [];
    for (const [n, t] of own) {
      if (!Object.prototype.hasOwnProperty.call(sd, n)) continue;
      const e = sd[n] as Partial<TensorState> | null;
      if (e === null || typeof e !== 'object' || !Array.isArray(e.shape)) { wrong.push(`${n}: ${describe(e)} instead of { shape, data }`); continue; }
      const d = e.data as ArrayLike<number> | undefined;
      if (d === undefined || d === null || typeof d !== 'object' || typeof d.length !== 'number') {
        wrong.push(`${n}: data is ${describe(d)}, not a Float32Array`);
        continue;
      }
      let size: number;
      try { size = sizeOf(e.shape, where); } catch { wrong.push(`${n}: shape ${describe(e.shape)} is not a shape`); continue; }
      if (e.shape.length !== t.shape.length || e.shape.some((v, i) => v !== t.shape[i])) {
        wrong.push(`${n}: shape ${fmtShape(e.shape)}, the module has ${fmtShape(t.shape)}`);
      } else if (d.length !== size) {
        wrong.push(`${n}: ${d.length} values for shape ${fmtShape(e.shape)}`);
      }
    }
    if (missing.length + extra.length + wrong.length > 0) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing ${missing.join(', ')}`);
      if (extra.length) parts.push(`unexpected ${extra.join(', ')}`);
      if (wrong.length) parts.push(`mismatched ${wrong.join('; ')}`);
      throw rangeError(where, `the ${own.length} tensors of this ${this.typeName} with their shapes`, parts.join('; '),
        'build the module from the config saved with these weights');
    }
    for (const [n] of own) {
      const d = sd[n].data as ArrayLike<number>;
      let bad = 0;
      for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) bad++;
      if (bad > 0) throw rangeError(where, 'finite values', `${bad} NaN/Inf value${bad === 1 ? '' : 's'} in '${n}'`, 'nothing was loaded');
    }
    for (const [n, t] of own) t.data.set(sd[n].data);
  }

  /** Frees every parameter (with its gradient) and buffer, here and in every submodule. */
  dispose(): void {
    for (const t of this.ownParams.values()) t.dispose();
    for (const t of this.ownBuffers.values()) t.dispose();
    for (const m of this.children.values()) m.dispose();
  }
}
