// conv2d: 2-D convolution (cross-correlation, as in every deep-learning library) of NHWC
// activations with HWIO filters, plus an optional bias. Forward and backward side by side; the
// kernels are implicit GEMMs and direct loops (assembly/kernels/conv2d.ts), and Winograd
// F(4×4, 3×3) / F(2×2, 3×3) for 3×3 stride-1 layers (assembly/kernels/winograd.ts; see
// setConv2dAlgorithm).
import { defineOp } from '../autograd.js';
import { Tensor, type Shape } from '../tensor.js';
import { describe, fmtShape, rangeError, typeError } from '../errors.js';
import { Storage, keep } from '../memory.js';
import { kernels, onLoad, wasmMemory } from '../wasm.js';
import { STREAM_MIN_PART, partScratch, partsFor, runParts, runRange, splitRange } from '../threads.js';
import { colsum } from './split.js';

interface K {
  conv2d_geom_fields(): number;
  conv2d_workspace_f32(g: number, pass: number): number;
  conv2d_fwd_f32(x: number, w: number, g: number, ws: number, y: number): void;
  conv2d_fwd_pool_workspace_f32(g: number): number;
  conv2d_fwd_pool_f32(x: number, w: number, g: number, ws: number, py: number, pa: number, relu: number): void;
  relu_fwd_f32(x: number, n: number, y: number): void;
  maxpool2d_fwd_f32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, y: number, argmax: number): void;
  maxpool2d_fwd_inference_f32(x: number, n: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number,
    padTop: number, padLeft: number, oh: number, ow: number, y: number): void;
  maxpool2d_bwd_tiled_f32(dy: number, argmax: number, n: number, h: number, w: number, c: number, kh: number, kw: number, oh: number, ow: number, dx: number): void;
  maxpool2d_colsum_tiled_f32(dy: number, argmax: number, n: number, w: number, c: number, oh: number, ow: number, c0: number, c1: number, y: number): void;
  axpy_f32(x: number, n: number, a: number, y: number): void;
  conv2d_bwd_input_f32(dy: number, w: number, g: number, ws: number, dx: number): void;
  conv2d_bwd_filter_f32(x: number, dy: number, g: number, ws: number, dw: number): void;
  conv2d_bwd_filter_units_f32(g: number): number;
  conv2d_bwd_filter_sums_bias_f32(g: number): number;
  conv2d_bwd_filter_part_f32(x: number, dy: number, g: number, ws: number, u0: number, u1: number, dw: number): void;
  colsum_f32(x: number, rows: number, cols: number, accumulate: number, y: number): void;
  add_f32(x: number, z: number, n: number, y: number): void;
  fill_f32(n: number, value: number, y: number): void;
}

/** The Winograd kernels (assembly/kernels/winograd.ts), as the bench calls them too. */
export interface WinogradKernels {
  wino_workspace_f32(C: number, O: number, m: number): number;
  wino_filter_f32(w: number, C: number, O: number, flip: number, m: number, c0: number, c1: number, ws: number, U: number): void;
  wino_fwd_f32(x: number, N: number, H: number, W: number, C: number, U: number, O: number,
    padTop: number, padLeft: number, OH: number, OW: number, m: number, bias: number, ws: number, y: number, py: number, pa: number, relu: number): void;
  wino_bwd_filter_f32(x: number, N: number, H: number, W: number, C: number, dy: number, O: number,
    padTop: number, padLeft: number, OH: number, OW: number, c0: number, c1: number, o0: number, o1: number, t0: number, t1: number, m: number, ws: number, dU: number): void;
  wino_filter_grad_f32(dU: number, C: number, O: number, m: number, c0: number, c1: number, ws: number, dw: number): void;
}
const k = () => kernels<K & WinogradKernels>();

const CONV2D = 'conv2d';

/** Padding: 'valid' (none), 'same' (TensorFlow's rule), one number for all sides, or [top, bottom, left, right]. */
export type Conv2dPadding = 'same' | 'valid' | number | readonly [number, number, number, number];

export interface Conv2dOptions {
  /** Step of the window: one number for both axes or [strideH, strideW] (default 1). */
  stride?: number | readonly [number, number];
  /** Default 'valid'. */
  padding?: Conv2dPadding;
}

/** Everything the kernels need, resolved and checked. */
export interface Conv2dGeometry {
  N: number; H: number; W: number; C: number;
  KH: number; KW: number; O: number;
  strideH: number; strideW: number;
  padTop: number; padBottom: number; padLeft: number; padRight: number;
  OH: number; OW: number;
}

/** Largest stride or padding accepted (keeps every index of the kernels within i32). */
const MAX_STEP = 1 << 20;
const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_STEP;

function resolveStride(stride: unknown): [number, number] {
  if (stride === undefined) return [1, 1];
  if (isInt(stride, 1)) return [stride, stride];
  if (Array.isArray(stride) && stride.length === 2 && isInt(stride[0], 1) && isInt(stride[1], 1)) return [stride[0], stride[1]];
  throw rangeError(CONV2D, `stride to be an integer in [1, ${MAX_STEP}] or [strideH, strideW] of such integers`, Array.isArray(stride) ? `[${stride.join(',')}]` : describe(stride));
}

/** Resolves and checks shapes and options; throws `conv2d: expected …`. */
export function conv2dGeometry(xShape: Shape, wShape: Shape, opts: Conv2dOptions = {}): Conv2dGeometry {
  if (xShape.length !== 4) throw rangeError(CONV2D, 'input of rank 4 [N,H,W,C]', `shape ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw rangeError(CONV2D, 'filter of rank 4 [KH,KW,C,O]', `shape ${fmtShape(wShape)}`);
  const [N, H, W, C] = xShape;
  const [KH, KW, WC, O] = wShape;
  if (H < 1 || W < 1 || C < 1) throw rangeError(CONV2D, 'input [N,H,W,C] with H, W, C >= 1', `shape ${fmtShape(xShape)}`);
  if (KH < 1 || KW < 1 || WC < 1 || O < 1) throw rangeError(CONV2D, 'filter [KH,KW,C,O] with every dimension >= 1', `shape ${fmtShape(wShape)}`);
  if (WC !== C) {
    throw rangeError(CONV2D, `the filter's input channels (dimension 2 of w) to equal the input's channels (dimension 3 of x)`,
      `x ${fmtShape(xShape)} and w ${fmtShape(wShape)}`);
  }
  if (opts === null || typeof opts !== 'object') throw typeError(CONV2D, 'options to be an object', describe(opts));
  const [strideH, strideW] = resolveStride(opts.stride);
  const padding = opts.padding ?? 'valid';
  let padTop: number, padBottom: number, padLeft: number, padRight: number;
  if (padding === 'valid') {
    padTop = padBottom = padLeft = padRight = 0;
  } else if (padding === 'same') {
    const oh = Math.ceil(H / strideH), ow = Math.ceil(W / strideW);
    const th = Math.max((oh - 1) * strideH + KH - H, 0), tw = Math.max((ow - 1) * strideW + KW - W, 0);
    padTop = Math.floor(th / 2); padBottom = th - padTop;
    padLeft = Math.floor(tw / 2); padRight = tw - padLeft;
  } else if (isInt(padding, 0)) {
    padTop = padBottom = padLeft = padRight = padding;
  } else if (Array.isArray(padding) && padding.length === 4 && padding.every((p) => isInt(p, 0))) {
    [padTop, padBottom, padLeft, padRight] = padding as [number, number, number, number];
  } else {
    throw rangeError(CONV2D, `padding to be 'same', 'valid', an integer in [0, ${MAX_STEP}] or [top, bottom, left, right] of such integers`,
      Array.isArray(padding) ? `[${padding.join(',')}]` : describe(padding));
  }
  const OH = Math.floor((H + padTop + padBottom - KH) / strideH) + 1;
  const OW = Math.floor((W + padLeft + padRight - KW) / strideW) + 1;
  if (OH < 1 || OW < 1) {
    throw rangeError(CONV2D, 'an output of at least 1×1 pixels', `${OH}×${OW} for input ${fmtShape(xShape)}, filter ${fmtShape(wShape)}, ` +
      `stride [${strideH},${strideW}] and padding [${padTop},${padBottom},${padLeft},${padRight}]`, 'use a smaller filter or more padding');
  }
  return { N, H, W, C, KH, KW, O, strideH, strideW, padTop, padBottom, padLeft, padRight, OH, OW };
}

/** The output shape [N, OH, OW, O] of conv2d(x, w, b, opts) for these shapes. */
export function conv2dOutputShape(xShape: Shape, wShape: Shape, opts: Conv2dOptions = {}): [number, number, number, number] {
  const g = conv2dGeometry(xShape, wShape, opts);
  return [g.N, g.OH, g.OW, g.O];
}

// ---------------------------------------------------------------------------------------------
// The geometry block and the packing workspace live outside every scope and are reused.

let geomBlock: Storage | null = null;
let workspace: Storage | null = null;
let winoBlock: Storage | null = null;
onLoad(() => { geomBlock = null; workspace = null; winoBlock = null; }); // a new engine: the old blocks are gone

/** The geometry fields of the kernels' block, in order (class Geom in assembly/kernels/conv2d.ts); the bias pointer follows. */
const GEOM_FIELDS = ['N', 'H', 'W', 'C', 'KH', 'KW', 'O', 'strideH', 'strideW', 'padTop', 'padLeft', 'OH', 'OW'] as const;
/**
 * i32 values in the block: the geometry, then the forward's bias pointer (0 for none), then a
 * max-pool's gradient and winners the direct backward-filter expands dy from (0, 0 for none).
 */
const GEOM_LEN = GEOM_FIELDS.length + 3;

/** A 2×2 max-pool's gradient and its winners' indices (engine pointers) standing for dy. */
interface PoolGrad { grad: number; idx: number }

/**
 * The i32 values of the kernels' geometry block for g (for code that calls the kernels itself):
 * the geometry, then `bias`, a pointer to the forward's bias [O] in engine memory (0: none), then
 * the pool gradient the direct backward-filter reads instead of dy (none by default).
 */
export function conv2dGeometryValues(g: Conv2dGeometry, bias = 0, pool: PoolGrad | null = null): number[] {
  return [...GEOM_FIELDS.map((f) => g[f]), bias, pool?.grad ?? 0, pool?.idx ?? 0];
}

/** Writes g (and the pointers) into the geometry block and returns its pointer (checks the field count once). */
function writeGeometry(g: Conv2dGeometry, bias = 0, pool: PoolGrad | null = null): number {
  if (geomBlock === null) {
    const fields = k().conv2d_geom_fields();
    if (fields !== GEOM_LEN) {
      throw new Error(`${CONV2D}: the engine's geometry block has ${fields} fields, this TypeScript side writes ${GEOM_LEN}; rebuild both`);
    }
    geomBlock = keep(new Storage(GEOM_LEN));
  }
  geomBlock.i32view().set(conv2dGeometryValues(g, bias, pool));
  return geomBlock.ptr;
}

/** `held` when it has at least n f32 elements, else a new kept block (the old one disposed). */
function atLeast(held: Storage | null, n: number): Storage {
  if (held !== null && held.length >= n) return held;
  const s = keep(new Storage(n));
  held?.dispose();
  return s;
}

/** A scratch block of at least n f32 elements (the same one while it is large enough). */
function scratch(n: number): number {
  workspace = atLeast(workspace, n);
  return workspace.ptr;
}

/**
 * The Winograd filter in the transform domain (forward, backward-input) or its gradient
 * (backward-filter), plus 80 floats of scratch per channel after it: at least n f32 elements.
 */
function winoScratch(n: number): number {
  winoBlock = atLeast(winoBlock, n);
  return winoBlock.ptr;
}

const enum Pass { Forward = 0, BackwardInput = 1, BackwardFilter = 2 }

/** Sets up geometry and scratch for one kernel call; returns [geometry pointer, scratch pointer]. */
function prepare(g: Conv2dGeometry, pass: Pass, bias = 0, pool: PoolGrad | null = null): [number, number] {
  const gp = writeGeometry(g, bias, pool);
  return [gp, scratch(k().conv2d_workspace_f32(gp, pass))];
}

// ---------------------------------------------------------------------------------------------
// Threads: forward and backward-input split by images (each part a whole call on a sub-batch,
// with its own geometry block and scratch); backward-filter by blocks of dW
// (conv2d_bwd_filter_part_f32), except the direct path past 8 images, which sums fixed chunks of
// 8 images apart and adds them in order (directBwdFilterChunks), and Winograd, which sums two fixed
// halves of the tiles apart and adds them (winoBwdFilter). Every output element is summed in an
// order that does not depend on the split.

/** Multiply-adds a part must have for a conv2d call to be split over threads. */
const CONV_MIN_PART = 1 << 19;

function macs(g: Conv2dGeometry): number {
  return g.N * g.OH * g.OW * g.KH * g.KW * g.C * g.O;
}

/**
 * Forward (pass 0: src x, dst y, plus the bias when not 0) or backward-input (pass 1: src dy,
 * dst dx) over threads by images; returns false (nothing done) when the call is too small to split.
 */
function splitByImages(g: Conv2dGeometry, pass: Pass, src: number, w: number, dst: number, bias = 0): boolean {
  const parts = Math.min(partsFor(macs(g), CONV_MIN_PART, 4), g.N);
  if (parts <= 1) return false;
  const bounds = splitRange(g.N, parts);
  const srcImage = pass === Pass.Forward ? g.H * g.W * g.C : g.OH * g.OW * g.O;
  const dstImage = pass === Pass.Forward ? g.OH * g.OW * g.O : g.H * g.W * g.C;
  const jobs: number[][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const n0 = bounds[i], n = bounds[i + 1] - n0;
    const gp = partScratch('conv2d-geometry', i, GEOM_LEN);
    new Int32Array(wasmMemory().buffer, gp, GEOM_LEN).set(conv2dGeometryValues({ ...g, N: n }, bias));
    const ws = partScratch(CONV2D, i, k().conv2d_workspace_f32(gp, pass));
    jobs.push([src + 4 * n0 * srcImage, w, gp, ws, dst + 4 * n0 * dstImage]);
  }
  runParts(pass === Pass.Forward ? 'conv2d_fwd_f32' : 'conv2d_bwd_input_f32', jobs);
  return true;
}

/** Backward-filter over threads by blocks of dW; returns false when too small to split. */
function splitBwdFilter(g: Conv2dGeometry, x: number, dy: number, dw: number, db = 0, pool: PoolGrad | null = null): boolean {
  let parts = partsFor(macs(g), CONV_MIN_PART);
  if (parts <= 1) return false;
  const gp = writeGeometry(g, db, pool);
  const units = k().conv2d_bwd_filter_units_f32(gp);
  parts = Math.min(parts, units);
  if (parts <= 1) return false;
  const bounds = splitRange(units, parts);
  const size = k().conv2d_workspace_f32(gp, Pass.BackwardFilter);
  const jobs: number[][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) jobs.push([x, dy, gp, partScratch(CONV2D, i, size), bounds[i], bounds[i + 1], dw]);
  runParts('conv2d_bwd_filter_part_f32', jobs);
  return true;
}

/** Images per partial sum of the direct backward-filter (a fixed cut, so results do not depend on threads). */
const BWDF_CHUNK = 8;
/** Chunk calls handed to the threads at a time. */
const MAX_CHUNK_JOBS = 64;

/**
 * The direct backward-filter (narrow layers: the kernel sums db too) over batches of more than
 * BWDF_CHUNK images: dW and db summed per chunk of BWDF_CHUNK images (each chunk a whole kernel
 * call in the kernel's order, the chunks spread over the threads), then the chunks' sums added in
 * chunk order — the same bits at any thread count. Splitting by images instead of by columns of
 * dW lets each thread read only its images (the column split read every image on every thread,
 * and expanded a pool's gradient on each: 1.36× on two threads at the reference network's first
 * layer). db: where to write db (0: not wanted); pool: see convBackward.
 */
function directBwdFilterChunks(g: Conv2dGeometry, x: number, dy: number, dw: number, db: number, pool: PoolGrad | null): void {
  const chunks = Math.ceil(g.N / BWDF_CHUNK), kO = g.KH * g.KW * g.C * g.O, len = kO + g.O;
  const imageX = g.H * g.W * g.C, imageY = g.OH * g.OW * g.O, imageP = (g.OH >> 1) * (g.OW >> 1) * g.O;
  const partial = (c: number) => partScratch('conv2d-bwdf-chunk', c, len);
  const gp = writeGeometry({ ...g, N: Math.min(g.N, BWDF_CHUNK) });
  const size = k().conv2d_workspace_f32(gp, Pass.BackwardFilter), units = k().conv2d_bwd_filter_units_f32(gp);
  for (let c0 = 0; c0 < chunks; c0 += MAX_CHUNK_JOBS) {
    const jobs: number[][] = [];
    for (let c = c0; c < Math.min(chunks, c0 + MAX_CHUNK_JOBS); c++) {
      const n0 = c * BWDF_CHUNK, n = Math.min(BWDF_CHUNK, g.N - n0), pc = partial(c);
      const gpc = partScratch('conv2d-bwdf-geometry', c - c0, GEOM_LEN);
      const pc2 = pool === null ? null : { grad: pool.grad + 4 * n0 * imageP, idx: pool.idx + 4 * n0 * imageP };
      new Int32Array(wasmMemory().buffer, gpc, GEOM_LEN).set(conv2dGeometryValues({ ...g, N: n }, db === 0 ? 0 : pc + 4 * kO, pc2));
      jobs.push([x + 4 * n0 * imageX, pool === null ? dy + 4 * n0 * imageY : 0, gpc, partScratch(CONV2D, c - c0, size), 0, units, pc]);
    }
    runParts('conv2d_bwd_filter_part_f32', jobs);
  }
  // In chunk order: dW = ((P0 + P1) + P2) + …, db likewise.
  k().add_f32(partial(0), partial(1), kO, dw);
  for (let c = 2; c < chunks; c++) k().add_f32(dw, partial(c), kO, dw);
  if (db !== 0) {
    k().add_f32(partial(0) + 4 * kO, partial(1) + 4 * kO, g.O, db);
    for (let c = 2; c < chunks; c++) k().add_f32(db, partial(c) + 4 * kO, g.O, db);
  }
}

// ---------------------------------------------------------------------------------------------
// Winograd F(m×m, 3×3) (assembly/kernels/winograd.ts) for 3×3 filters with stride 1: m = 2 does
// 4/9 of the implicit GEMM's multiplications, m = 4 a quarter, at the price of transforms that
// mostly add. 'auto' takes it where it was measured faster (bench/conv2d.ts: the network's layers
// 2 and 3, forward and both backwards); results agree with the implicit GEMM to f32 rounding (m = 2
// about 1e-7 of the output's scale, m = 4 a few 1e-6), not bitwise.

/**
 * How conv2d computes: 'auto' (Winograd where it pays, else the implicit GEMM), 'gemm',
 * 'winograd2' (F(2×2, 3×3)) or 'winograd4' (F(4×4, 3×3)).
 */
export type Conv2dAlgorithm = 'auto' | 'gemm' | 'winograd2' | 'winograd4';
const ALGORITHMS: readonly Conv2dAlgorithm[] = ['auto', 'gemm', 'winograd2', 'winograd4'];
let algorithm: Conv2dAlgorithm = 'auto';

/**
 * Chooses conv2d's algorithm for every later call (returns the previous choice). The Winograd
 * choices are used only where they apply (3×3 filter, stride 1, the pass's input channels a
 * multiple of 4, padding ≤ 2 at the top and left); elsewhere the implicit GEMM runs.
 */
export function setConv2dAlgorithm(a: Conv2dAlgorithm): Conv2dAlgorithm {
  if (!ALGORITHMS.includes(a)) throw rangeError('setConv2dAlgorithm', `one of ${ALGORITHMS.map((n) => `'${n}'`).join(', ')}`, describe(a));
  const prev = algorithm;
  algorithm = a;
  return prev;
}

/**
 * The Winograd tile m (2 or 4) for a pass, 0 for the implicit GEMM. cin: the channels the pass's
 * transform reads (forward and backward-filter: C; backward-input: O), cout: the other side;
 * (outH, outW): the pass's output. 'auto' takes the tile whose padded tiles hold fewer
 * transform-domain products (ties to 2×2: its transforms are cheaper), then Winograd only where it
 * measured faster than the implicit GEMM (bench/conv2d.ts and shapes around it, batch 64, one
 * thread, forward and both backwards): 4×4 tiles from 8 input channels (at 4 it was a tie), 2×2
 * tiles from 16 channels each side (below that no faster).
 */
function winogradTile(g: Conv2dGeometry, cin: number, cout: number, outH: number, outW: number): number {
  if (algorithm === 'gemm') return 0;
  if (g.KH !== 3 || g.KW !== 3 || g.strideH !== 1 || g.strideW !== 1 || cin % 4 !== 0 || g.padTop > 2 || g.padLeft > 2) return 0;
  if (algorithm === 'winograd2') return 2;
  if (algorithm === 'winograd4') return 4;
  const cost = (m: number) => Math.ceil(outH / m) * Math.ceil(outW / m) * (m + 2) ** 2;
  if (cost(4) < cost(2)) return cin >= 8 && cout >= 4 ? 4 : 0;
  return cin >= 16 && cout >= 16 ? 2 : 0;
}

/** Multiplications of a Winograd pass with tile m, for the split rule. */
function winoMacs(g: Conv2dGeometry, m: number): number { return macs(g) * ((m + 2) / (3 * m)) ** 2; }

/**
 * A filter transform (into or out of the transform domain) over channel ranges on the threads;
 * scratch: 80 floats per channel at ws (each range uses its first channel's block).
 */
function filterTransform(fn: 'wino_filter_f32' | 'wino_filter_grad_f32', C: number, O: number, m: number, ws: number,
  argsFor: (c0: number, c1: number, ws: number) => number[]): void {
  runRange(fn, C, O * (m + 2) ** 2 * 8, CONV_MIN_PART, 1, (c0, n) => argsFor(c0, c0 + n, ws + 4 * 80 * c0));
}

/**
 * Winograd forward (pass 0: x → y with w) or backward-input (pass 1: dy → dx with w flipped and
 * transposed), split by images. Forward only: dst 0 writes no y; py (and pa) not 0 also write the
 * 2×2 max-pool of y (and its winners' indices), relu 1 its ReLU, see wino_fwd_f32.
 */
function winoForward(g: Conv2dGeometry, m: number, pass: Pass, src: number, w: number, dst: number, bias = 0, py = 0, pa = 0, relu = 0): void {
  const fwd = pass === Pass.Forward;
  // The pass as a forward correlation: input [N, IH, IW, IC] → output [N, RH, RW, RC].
  const IH = fwd ? g.H : g.OH, IW = fwd ? g.W : g.OW, IC = fwd ? g.C : g.O;
  const RH = fwd ? g.OH : g.H, RW = fwd ? g.OW : g.W, RC = fwd ? g.O : g.C;
  const pt = fwd ? g.padTop : 2 - g.padTop, pl = fwd ? g.padLeft : 2 - g.padLeft;
  const size = k().wino_workspace_f32(IC, RC, m);
  // The filter is transformed once, before the parts.
  const uLen = (m + 2) ** 2 * IC * Math.ceil(RC / 8) * 8;
  const U = winoScratch(uLen + 80 * IC);
  filterTransform('wino_filter_f32', IC, RC, m, U + 4 * uLen, (c0, c1, ws) => [w, IC, RC, fwd ? 0 : 1, m, c0, c1, ws, U]);
  const parts = Math.min(partsFor(winoMacs(g, m), CONV_MIN_PART, 4), g.N);
  if (parts <= 1) {
    k().wino_fwd_f32(src, g.N, IH, IW, IC, U, RC, pt, pl, RH, RW, m, bias, scratch(size), dst, py, pa, relu);
    return;
  }
  const bounds = splitRange(g.N, parts);
  const jobs: number[][] = [];
  const pooled = (RH >> 1) * (RW >> 1) * RC;
  const at = (p: number, n0: number, image: number) => (p === 0 ? 0 : p + 4 * n0 * image);
  for (let i = 0; i + 1 < bounds.length; i++) {
    const n0 = bounds[i], n = bounds[i + 1] - n0;
    jobs.push([src + 4 * n0 * IH * IW * IC, n, IH, IW, IC, U, RC, pt, pl, RH, RW, m, bias, partScratch(CONV2D, i, size),
      at(dst, n0, RH * RW * RC), at(py, n0, pooled), at(pa, n0, pooled), relu]);
  }
  runParts('wino_fwd_f32', jobs);
}

/**
 * Winograd backward-filter, split by blocks of output channels (8 at a time) when O ≥ C, else of
 * input channels (4 at a time): each part transforms only its side's channels, so what the parts
 * repeat is the other side's transform.
 */
function winoBwdFilter(g: Conv2dGeometry, m: number, x: number, dy: number, dw: number): void {
  const Op = Math.ceil(g.O / 8) * 8;
  const du = (m + 2) ** 2 * g.C * Op;
  // The tiles in two fixed halves (whatever the number of threads; the first a whole number of the
  // kernel's 64-tile blocks, TILES_BWDF in winograd.ts), each summed into its own dU and the second then added to the first:
  // two threads each transform their own tiles instead of both transforming every tile for half
  // of the channels. Below 2 · 64 tiles, one half.
  const tiles = g.N * Math.ceil(g.OH / m) * Math.ceil(g.OW / m);
  const halves = tiles >= 2 * 64 ? 2 : 1;
  const cut = halves === 2 ? Math.ceil(tiles / 128) * 64 : tiles;
  const dU = winoScratch(halves * du + 80 * g.C);
  const size = k().wino_workspace_f32(g.C, g.O, m);
  const byO = Op >= g.C;
  const perHalf = Math.max(1, Math.ceil(partsFor(winoMacs(g, m), CONV_MIN_PART) / halves));
  const bounds = splitRange(byO ? Op : g.C, perHalf, byO ? 8 : 4);
  const jobs: number[][] = [];
  for (let h = 0; h < halves; h++) {
    const [t0, t1] = h === 0 ? [0, cut] : [cut, tiles];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const [c0, c1, o0, o1] = byO ? [0, g.C, bounds[i], bounds[i + 1]] : [bounds[i], bounds[i + 1], 0, Op];
      const ws = halves === 1 && bounds.length <= 2 ? scratch(size) : partScratch(CONV2D, jobs.length, size);
      jobs.push([x, g.N, g.H, g.W, g.C, dy, g.O, g.padTop, g.padLeft, g.OH, g.OW, c0, c1, o0, o1, t0, t1, m, ws, dU + 4 * h * du]);
    }
  }
  runParts('wino_bwd_filter_f32', jobs);
  if (halves === 2) runRange('axpy_f32', du, 1, STREAM_MIN_PART, 16, (i, n) => [dU + 4 * (du + i), n, 1, dU + 4 * i]);
  filterTransform('wino_filter_grad_f32', g.C, g.O, m, dU + 4 * halves * du, (c0, c1, ws) => [dU, g.C, g.O, m, c0, c1, ws, dw]);
}

// ---------------------------------------------------------------------------------------------

interface Attrs { g: Conv2dGeometry; bias: boolean }

const conv2dOp = defineOp<Attrs>({
  name: CONV2D,
  forward({ inputs: [x, w, b], attrs: { g, bias } }) {
    const y = new Tensor([g.N, g.OH, g.OW, g.O]);
    if (y.size === 0) return y;
    // The bias is added by the kernels, last, as the finished sums are stored.
    const bp = bias ? b.ptr : 0;
    const m = winogradTile(g, g.C, g.O, g.OH, g.OW);
    if (m > 0) winoForward(g, m, Pass.Forward, x.ptr, w.ptr, y.ptr, bp);
    else if (!splitByImages(g, Pass.Forward, x.ptr, w.ptr, y.ptr, bp)) {
      const [gp, ws] = prepare(g, Pass.Forward, bp);
      k().conv2d_fwd_f32(x.ptr, w.ptr, gp, ws, y.ptr);
    }
    return y;
  },
  backward({ inputs: [x, w], attrs: { g, bias }, needsInputGrad }, dy) {
    return convBackward(g, bias, x, w, needsInputGrad, dy);
  },
});

/**
 * Whether convBackward's backward-filter sums db itself (the direct kernel, while it reads dy):
 * dw wanted, some output, not Winograd, and the direct path. Otherwise db is colsum's.
 */
function sumsDbItself(g: Conv2dGeometry, needsInputGrad: readonly boolean[]): boolean {
  return needsInputGrad[1] && g.N * g.OH * g.OW > 0 && winogradTile(g, g.C, g.O, g.OH, g.OW) === 0 &&
    k().conv2d_bwd_filter_sums_bias_f32(writeGeometry(g)) === 1;
}

/**
 * The gradients of conv2d (dx, dw and, with a bias, db; null where not needed) for dy, or — with
 * `pool`, where usesPoolGrad says the direct backward-filter can take it — for the max-pool
 * gradient `pool` stands for (dy is then null and never materialised).
 */
function convBackward(g: Conv2dGeometry, bias: boolean, x: Tensor, w: Tensor, needsInputGrad: readonly boolean[], dyT: Tensor | null,
  pool: PoolGrad | null = null): Array<Tensor | null> {
  const dyp = dyT === null ? 0 : dyT.ptr;
  let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
  const M = g.N * g.OH * g.OW;
  if (needsInputGrad[0]) {
    dx = new Tensor(x.shape);
    const m = winogradTile(g, g.O, g.C, g.H, g.W);
    if (dx.size > 0 && m > 0) winoForward(g, m, Pass.BackwardInput, dyp, w.ptr, dx.ptr);
    else if (dx.size > 0 && !splitByImages(g, Pass.BackwardInput, dyp, w.ptr, dx.ptr)) {
      const [gp, ws] = prepare(g, Pass.BackwardInput);
      k().conv2d_bwd_input_f32(dyp, w.ptr, gp, ws, dx.ptr);
    }
  }
  if (bias && needsInputGrad[2]) db = new Tensor([g.O]);
  // db = the column sums of dy: summed by the direct backward-filter kernel while dy's strips are
  // in cache when it runs (colsum's order up to 8 images, so the same bits; past that per chunk of
  // 8 images, see directBwdFilterChunks), else by colsum.
  let dbDone = false;
  if (needsInputGrad[1]) {
    dw = new Tensor(w.shape);
    const mf = winogradTile(g, g.C, g.O, g.OH, g.OW);
    if (M === 0) k().fill_f32(dw.size, 0, dw.ptr);
    else if (mf > 0) winoBwdFilter(g, mf, x.ptr, dyp, dw.ptr);
    else {
      const direct = sumsDbItself(g, needsInputGrad);
      dbDone = db !== null && direct;
      const dbp = dbDone ? (db as Tensor).ptr : 0;
      if (direct && g.N > BWDF_CHUNK) directBwdFilterChunks(g, x.ptr, dyp, dw.ptr, dbp, pool);
      else if (!splitBwdFilter(g, x.ptr, dyp, dw.ptr, dbp, pool)) {
        const [gp, ws] = prepare(g, Pass.BackwardFilter, dbp, pool);
        k().conv2d_bwd_filter_f32(x.ptr, dyp, gp, ws, dw.ptr);
      }
    }
  }
  if (db !== null && !dbDone) colsum(dyp, M, g.O, db.ptr);
  return bias ? [dx, dw, db] : [dx, dw];
}

/**
 * 2-D convolution: x [N,H,W,C] (NHWC) with filters w [KH,KW,C,O] (HWIO), plus an optional
 * bias b [O]; returns [N,OH,OW,O]. Stride default 1; padding default 'valid'; 'same' follows
 * TensorFlow (OH = ceil(H / stride), the odd pixel of padding at the bottom/right).
 */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  if (!(x instanceof Tensor)) throw typeError(CONV2D, 'the input x to be a Tensor', describe(x));
  if (!(w instanceof Tensor)) throw typeError(CONV2D, 'the filter w to be a Tensor', describe(w));
  if (b !== undefined && b !== null && !(b instanceof Tensor)) throw typeError(CONV2D, 'the bias b to be a Tensor, null or undefined', describe(b));
  const g = conv2dGeometry(x.shape, w.shape, opts);
  const bias = b !== undefined && b !== null;
  if (bias && (b.shape.length !== 1 || b.shape[0] !== g.O)) {
    throw rangeError(CONV2D, `a bias of shape [${g.O}] (one per output channel of w ${fmtShape(w.shape)})`, `shape ${fmtShape(b.shape)}`);
  }
  return conv2dOp(bias ? [x, w, b] : [x, w], { g, bias });
}

// ---------------------------------------------------------------------------------------------
// conv2d followed by a 2×2 max-pool, in one pass where a kernel can pool the convolution's tiles
// while they are in registers (the direct path, Winograd): the convolution's output — 4× the
// pooled size, 33.5 MB at the reference network's first layer — is never written, and the pool
// never reads it back. The backward needs only the winners' indices (as maxPool2d's) to send the
// gradient back to the convolution's output, then conv2d's backward.

const CONV_POOL = 'conv2dMaxPool';

/** maxpool2d kernels over the whole batch split by images, then the ReLU (the unfused fallback). */
function poolInto(y: number, g: Conv2dGeometry, py: number, pa: number, relu: boolean): void {
  const PH = g.OH >> 1, PW = g.OW >> 1, imageIn = g.OH * g.OW * g.O, imageOut = PH * PW * g.O;
  if (pa !== 0) {
    runRange('maxpool2d_fwd_f32', g.N, imageIn, STREAM_MIN_PART, 1, (n0, n) => [y + 4 * n0 * imageIn, n, g.OH, g.OW, g.O, 2, 2, 2, 2,
      0, 0, PH, PW, py + 4 * n0 * imageOut, pa + 4 * n0 * imageOut]);
  } else {
    runRange('maxpool2d_fwd_inference_f32', g.N, imageIn, STREAM_MIN_PART, 1, (n0, n) => [y + 4 * n0 * imageIn, n, g.OH, g.OW, g.O, 2, 2, 2, 2,
      0, 0, PH, PW, py + 4 * n0 * imageOut]);
  }
  if (!relu) return;
  const n = g.N * imageOut;
  if (pa !== 0) {
    // Windows whose max the ReLU cuts (not > 0) send no gradient: index −1, as the fused kernels write.
    const buf = wasmMemory().buffer, v = new Float32Array(buf, py, n), a = new Int32Array(buf, pa, n);
    for (let i = 0; i < n; i++) if (!(v[i] > 0)) a[i] = -1;
  }
  runRange('relu_fwd_f32', n, 1, STREAM_MIN_PART, 16, (i, m) => [py + 4 * i, m, py + 4 * i]);
}

/** The direct forward with the pool fused, split by images; false when the geometry does not take the direct path. */
function directPool(g: Conv2dGeometry, x: number, w: number, bias: number, py: number, pa: number, relu: number): boolean {
  const gp = writeGeometry(g, bias);
  const size = k().conv2d_fwd_pool_workspace_f32(gp);
  if (size === 0) return false;
  const parts = Math.min(partsFor(macs(g), CONV_MIN_PART, 4), g.N);
  if (parts <= 1) {
    k().conv2d_fwd_pool_f32(x, w, gp, scratch(size), py, pa, relu);
    return true;
  }
  const bounds = splitRange(g.N, parts);
  const imageIn = g.H * g.W * g.C, imageOut = (g.OH >> 1) * (g.OW >> 1) * g.O;
  const jobs: number[][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const n0 = bounds[i], n = bounds[i + 1] - n0;
    const gpi = partScratch('conv2d-geometry', i, GEOM_LEN);
    new Int32Array(wasmMemory().buffer, gpi, GEOM_LEN).set(conv2dGeometryValues({ ...g, N: n }, bias));
    jobs.push([x + 4 * n0 * imageIn, w, gpi, partScratch(CONV2D, i, size), py + 4 * n0 * imageOut, pa === 0 ? 0 : pa + 4 * n0 * imageOut, relu]);
  }
  runParts('conv2d_fwd_pool_f32', jobs);
  return true;
}

interface PoolAttrs extends Attrs { relu: boolean }

/**
 * Whether conv2dMaxPool's backward can hand the pool's gradient straight to the direct
 * backward-filter kernel (which expands it strip by strip): only dw (and db) wanted, and the
 * direct path is the one backward-filter takes (it is the path that sums db itself).
 */
function usesPoolGrad(g: Conv2dGeometry, needsInputGrad: readonly boolean[]): boolean {
  return !needsInputGrad[0] && needsInputGrad[1] && g.N * g.OH * g.OW > 0 && winogradTile(g, g.C, g.O, g.OH, g.OW) === 0 &&
    k().conv2d_bwd_filter_sums_bias_f32(writeGeometry(g)) === 1;
}

const conv2dPoolOp = defineOp<PoolAttrs, { argmax: Storage }>({
  name: CONV_POOL,
  forward(ctx) {
    const { inputs: [x, w, b], attrs: { g, bias, relu } } = ctx;
    const y = new Tensor([g.N, g.OH >> 1, g.OW >> 1, g.O]);
    if (y.size === 0) return y;
    const argmax = ctx.needsInputGrad.some(Boolean) ? new Storage(y.size) : null;
    const bp = bias ? b.ptr : 0, pa = argmax === null ? 0 : argmax.ptr;
    const m = winogradTile(g, g.C, g.O, g.OH, g.OW);
    if (m > 0) winoForward(g, m, Pass.Forward, x.ptr, w.ptr, 0, bp, y.ptr, pa, relu ? 1 : 0);
    else if (!directPool(g, x.ptr, w.ptr, bp, y.ptr, pa, relu ? 1 : 0)) {
      const conv = new Tensor([g.N, g.OH, g.OW, g.O]);
      if (!splitByImages(g, Pass.Forward, x.ptr, w.ptr, conv.ptr, bp)) {
        const [gp, ws] = prepare(g, Pass.Forward, bp);
        k().conv2d_fwd_f32(x.ptr, w.ptr, gp, ws, conv.ptr);
      }
      poolInto(conv.ptr, g, y.ptr, pa, relu);
      conv.dispose();
    }
    if (argmax !== null) ctx.saved = { argmax };
    return y;
  },
  backward({ inputs: [x, w], attrs: { g, bias }, needsInputGrad, saved: { argmax } }, dy) {
    argmax.check();
    // A first layer (no dx) on the direct backward-filter expands the convolution's output gradient
    // strip by strip from dy and the winners; otherwise it is written out first.
    if (usesPoolGrad(g, needsInputGrad)) return convBackward(g, bias, x, w, needsInputGrad, null, { grad: dy.ptr, idx: argmax.ptr });
    // The convolution's output gradient: dy at each window's winner, 0 elsewhere (maxPool2d's backward).
    const dconv = new Tensor([g.N, g.OH, g.OW, g.O]);
    const PH = g.OH >> 1, PW = g.OW >> 1, imageIn = g.OH * g.OW * g.O, imageOut = PH * PW * g.O;
    runRange('maxpool2d_bwd_tiled_f32', g.N, imageIn, STREAM_MIN_PART, 1,
      (n0, n) => [dy.ptr + 4 * n0 * imageOut, argmax.ptr + 4 * n0 * imageOut, n, g.OH, g.OW, g.O, 2, 2, PH, PW, dconv.ptr + 4 * n0 * imageIn]);
    // Where convBackward would take db as colsum over dconv, it comes from dy and the winners
    // instead (a quarter of dconv's size each, just read), with colsum's bits.
    if (!bias || !needsInputGrad[2] || sumsDbItself(g, needsInputGrad)) return convBackward(g, bias, x, w, needsInputGrad, dconv);
    const db = new Tensor([g.O]), dbp = db.ptr;
    runRange('maxpool2d_colsum_tiled_f32', g.O, g.N * PH * PW, STREAM_MIN_PART, 4,
      (c0, n) => [dy.ptr, argmax.ptr, g.N, g.OW, g.O, PH, PW, c0, c0 + n, dbp], 1);
    const [dx, dw] = convBackward(g, false, x, w, needsInputGrad, dconv);
    return [dx, dw, db];
  },
});

export interface Conv2dMaxPoolOptions extends Conv2dOptions {
  /** Also the ReLU of the pooled values (relu(maxPool2d(conv2d(…)))), default false. */
  relu?: boolean;
}

/**
 * maxPool2d(conv2d(x, w, b, opts), { size: 2 }), or with `relu: true` its ReLU — the same values
 * and gradients, bit for bit — in one pass where the convolution's kernel can pool its own output
 * (the direct path of narrow layers and the Winograd kernels, i.e. the reference network's
 * layers), so that the convolution's output is never written; elsewhere the steps run one after
 * the other. The pool is 2×2 with stride 2 ('valid': an odd last row or column of the
 * convolution's output is dropped); ties go to the first position in the window (row by row), a
 * NaN wins; the ReLU's gradient at 0 is 0.
 */
export function conv2dMaxPool(x: Tensor, w: Tensor, b?: Tensor | null, opts: Conv2dMaxPoolOptions = {}): Tensor {
  if (!(x instanceof Tensor)) throw typeError(CONV_POOL, 'the input x to be a Tensor', describe(x));
  if (!(w instanceof Tensor)) throw typeError(CONV_POOL, 'the filter w to be a Tensor', describe(w));
  if (b !== undefined && b !== null && !(b instanceof Tensor)) throw typeError(CONV_POOL, 'the bias b to be a Tensor, null or undefined', describe(b));
  if (opts === null || typeof opts !== 'object') throw typeError(CONV_POOL, 'options { stride?, padding?, relu? }', describe(opts));
  const { relu = false, ...convOpts } = opts;
  if (typeof relu !== 'boolean') throw typeError(CONV_POOL, 'options.relu to be a boolean', describe(relu));
  const g = conv2dGeometry(x.shape, w.shape, convOpts);
  const bias = b !== undefined && b !== null;
  if (bias && (b.shape.length !== 1 || b.shape[0] !== g.O)) {
    throw rangeError(CONV_POOL, `a bias of shape [${g.O}] (one per output channel of w ${fmtShape(w.shape)})`, `shape ${fmtShape(b.shape)}`);
  }
  if (g.OH < 2 || g.OW < 2) {
    throw rangeError(CONV_POOL, 'a convolution output of at least 2×2 pixels for the 2×2 max-pool', `${g.OH}×${g.OW} (input ${fmtShape(x.shape)}, filter ${fmtShape(w.shape)})`);
  }
  return conv2dPoolOp(bias ? [x, w, b] : [x, w], { g, bias, relu });
}
