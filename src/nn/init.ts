// Weight initialisation from a seeded generator: the same seed gives the same weights bit for bit.
// He (Kaiming) for layers followed by ReLU, Glorot (Xavier) otherwise; biases start at zero.
// Fans: a matrix [I,O] has fanIn = I, fanOut = O; an HWIO filter [KH,KW,C,O] has
// fanIn = KH·KW·C, fanOut = KH·KW·O.
import { Tensor, randn, uniform, type Shape } from '../tensor.js';
import { Rng } from '../random.js';
import { checkInt, checkOption, describe, fmtShape, rangeError, typeError } from '../errors.js';

export type InitName = 'heNormal' | 'heUniform' | 'glorotUniform' | 'glorotNormal';
export const INITIALIZERS: readonly InitName[] = ['heNormal', 'heUniform', 'glorotUniform', 'glorotNormal'];

/** fanIn and fanOut of a weight shape: [I,O] or [KH,KW,C,O] (HWIO); a vector [n] has both = n. */
export function computeFans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (shape.length >= 3) {
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    return { fanIn: receptive * shape[shape.length - 2], fanOut: receptive * shape[shape.length - 1] };
  }
  throw rangeError('computeFans', 'a weight shape of rank >= 1', fmtShape(shape));
}

/** He normal: N(0, 2/fanIn). */
export function heNormal(shape: Shape, rng: Rng): Tensor {
  return randn(shape, rng, Math.sqrt(2 / Math.max(1, computeFans(shape).fanIn)));
}

/** He uniform: U(−l, l) with l = sqrt(6/fanIn). */
export function heUniform(shape: Shape, rng: Rng): Tensor {
  const l = Math.sqrt(6 / Math.max(1, computeFans(shape).fanIn));
  return uniform(shape, rng, -l, l);
}

/** Glorot uniform: U(−l, l) with l = sqrt(6/(fanIn + fanOut)). */
export function glorotUniform(shape: Shape, rng: Rng): Tensor {
  const { fanIn, fanOut } = computeFans(shape);
  const l = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
  return uniform(shape, rng, -l, l);
}

/** Glorot normal: N(0, 2/(fanIn + fanOut)). */
export function glorotNormal(shape: Shape, rng: Rng): Tensor {
  const { fanIn, fanOut } = computeFans(shape);
  return randn(shape, rng, Math.sqrt(2 / Math.max(1, fanIn + fanOut)));
}

const FUNCTIONS: Record<InitName, (shape: Shape, rng: Rng) => Tensor> = { heNormal, heUniform, glorotUniform, glorotNormal };

/** A weight tensor initialised by the named scheme. */
export function initWeights(name: InitName, shape: Shape, rng: Rng): Tensor {
  return FUNCTIONS[checkOption('initWeights', 'the initializer', name, INITIALIZERS)](shape, rng);
}

/** How a module gets its random numbers: a generator to draw from, or a seed for its own. */
export interface SeedOptions {
  /** Seed (an integer in [0, 2³²)) of the module's own generator; recorded in its config. */
  seed?: number;
  /** A generator to draw from (shared by the layers of a network); takes precedence over seed. */
  rng?: Rng;
}

// Modules built with neither a seed nor a generator draw their seed from this one, in creation
// order, so that a program is reproducible and their configs still record a seed.
let defaultSeeds = new Rng(0x5eed);

/** Restarts the seeds given to modules built with neither `seed` nor `rng`. */
export function seedModules(seed: number): void {
  defaultSeeds = new Rng(checkSeed('seedModules', 'seed', seed));
}

function checkSeed(where: string, name: string, v: unknown): number {
  return checkInt(where, name, v, 0, 2 ** 32 - 1);
}

/**
 * The generator of a module: opts.rng when given (no seed recorded), else a new one from opts.seed,
 * else from a seed drawn from the default sequence (recorded).
 */
export function resolveRng(where: string, opts: SeedOptions): { rng: Rng; seed?: number } {
  if (opts.rng !== undefined) {
    if (!(opts.rng instanceof Rng)) throw typeError(where, 'options.rng to be an Rng', describe(opts.rng));
    return { rng: opts.rng };
  }
  const seed = opts.seed === undefined ? defaultSeeds.nextU32() : checkSeed(where, 'options.seed', opts.seed);
  return { rng: new Rng(seed), seed };
}
