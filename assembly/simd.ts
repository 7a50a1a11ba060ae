// Arithmetic shared by the kernels whose instruction count is the limit (the register tiles of
// gemm, the convolutions and the Winograd products).
//
// The engine is built twice (scripts/build-wasm.mjs): facemetric.wasm with SIMD128 only, and
// facemetric.relaxed.wasm with relaxed SIMD as well, where madd is one fused multiply-add
// (f32x4.relaxed_madd: V8 emits vfmadd on x64 CPUs with FMA3 and a multiply then an add
// elsewhere). On this project's 2-core Sapphire Rapids machine the 4 × 8 register tile runs at
// ~49 GFLOP/s fused against ~39 with a separate multiply and add (one FMA per lane pair instead of
// two instructions competing for the same ports). A fused product is rounded once, so the two
// builds give slightly different (the fused one slightly more accurate) results; each build on
// its own is deterministic, and the same at every thread count.

/** a · b + c per lane: fused in the relaxed-SIMD build, c + (a · b) rounded twice otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** 1 in the relaxed-SIMD build, 0 in the SIMD128 ones: how the loader names the build it was given. */
export function build_relaxed_simd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
