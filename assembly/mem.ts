// Small inlined helpers over raw linear-memory pointers. Every pointer is a byte offset (usize);
// `i` is an element index. Kernels use these instead of GC objects so that hot loops touch only
// memory the TypeScript allocator handed out.

@inline export function ldf(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
@inline export function stf(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
@inline export function ldi(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }
@inline export function sti(p: usize, i: i32, v: i32): void { store<i32>(p + (<usize>i << 2), v); }
/** Loads 4 consecutive f32 starting at element `i` (no alignment needed). */
@inline export function ldv(p: usize, i: i32): v128 { return v128.load(p + (<usize>i << 2)); }
/** Stores 4 consecutive f32 starting at element `i`. */
@inline export function stv(p: usize, i: i32, v: v128): void { v128.store(p + (<usize>i << 2), v); }
/** Sum of the 4 lanes of an f32x4, in lane order ((l0 + l1) + l2) + l3. */
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
