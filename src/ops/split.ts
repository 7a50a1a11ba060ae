// Bias add and bias gradient on raw pointers, split over threads when large (src/threads.ts):
// shared by dense and conv2d. Internal: not re-exported by the package.
import { STREAM_MIN_PART, runRange } from '../threads.js';

/** y[rows × cols] += bias[cols] in place, split over threads by rows when large. */
export function biasAdd(y: number, rows: number, cols: number, bias: number): void {
  runRange('bias_add_f32', rows, cols, STREAM_MIN_PART, 1, (r, n) => [y + 4 * r * cols, n, cols, bias, y + 4 * r * cols]);
}

/**
 * db[cols] = the column sums of dy [rows × cols], rows added in order; split over threads by
 * columns when large (each column summed whole, so the bits of one call).
 */
export function colsum(dy: number, rows: number, cols: number, db: number): void {
  runRange('colsum_part_f32', cols, rows, STREAM_MIN_PART, 4, (c, n) => [dy, rows, cols, c, c + n, 0, db], 1);
}
