// Loading the engine: which build is loaded, the relaxed-SIMD probe, FACEMETRIC_WASM's errors,
// and the two release builds computing the same things within their rounding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flavour, relaxedSimdSupported, unshareMemoryImport } from '../src/wasm.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = join(root, 'dist', 'src', 'index.js');
const FLAG = '--experimental-wasm-relaxed-simd';
const flagExists = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout.includes(FLAG);
/** Whether a Node started without flags validates relaxed SIMD (this process may have the flag: see scripts/test.mjs). */
const plainRelaxed = spawnSync(process.execPath, ['--input-type=module', '-e', `import { relaxedSimdSupported } from ${JSON.stringify(join(root, 'dist', 'src', 'features.js'))}; console.log(relaxedSimdSupported())`], { encoding: 'utf8' }).stdout.trim() === 'true';

test('the loaded build is the one this runtime supports best (or the one FACEMETRIC_WASM names)', () => {
  const asked = process.env.FACEMETRIC_WASM ?? '';
  assert.is(flavour(), asked !== '' ? asked : relaxedSimdSupported() ? 'relaxed' : 'release');
  // scripts/test.mjs names the build each pass is meant to run on.
  if (process.env.FACEMETRIC_TEST_BUILD) assert.is(flavour(), process.env.FACEMETRIC_TEST_BUILD);
});

test('the probe agrees with the runtime: the relaxed build validates exactly when the probe says so', () => {
  const bytes = unshareMemoryImport(readFileSync(join(root, 'build', 'facemetric.relaxed.wasm')));
  assert.is(WebAssembly.validate(bytes), relaxedSimdSupported());
  assert.ok(WebAssembly.validate(unshareMemoryImport(readFileSync(join(root, 'build', 'facemetric.wasm')))), 'the SIMD128 build validates everywhere');
});

test('FACEMETRIC_WASM: an unknown build and relaxed on a runtime without it are refused with the reason', () => {
  const code = `await import(${JSON.stringify(entry)});`;
  for (const name of ['fast', 'constructor']) { // 'constructor': a name every object has, not a build
    const bad = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, FACEMETRIC_WASM: name } });
    assert.is.not(bad.status, 0);
    assert.match(bad.stderr, new RegExp(`FACEMETRIC_WASM=${name} is not a build; use release, relaxed or debug`));
  }
  if (!plainRelaxed) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, FACEMETRIC_WASM: 'relaxed' } });
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /does not validate WebAssembly relaxed SIMD \(Node 20 needs --experimental-wasm-relaxed-simd/);
  }
});

// A convolution (Winograd and implicit GEMM), a dense layer and a training step on both release
// builds: the relaxed one rounds each fused product once, so results agree to float32 rounding,
// not bit for bit; each build repeats its own bits exactly.
test('both release builds train the same small network to the same numbers within rounding', () => {
  const code = `import { tensor, conv2d, dense, relu, reshape, sum, mul, flavour, Rng, randn } from ${JSON.stringify(entry)};
    const rng = new Rng(5);
    const x = randn([2, 12, 12, 8], rng, 1, { requiresGrad: true });
    const w = randn([3, 3, 8, 16], rng, 1, { requiresGrad: true });
    const v = randn([12 * 12 * 16, 10], rng, 0.05, { requiresGrad: true });
    const run = () => {
      const h = relu(conv2d(x, w, null, { padding: 'same' }));
      const y = dense(reshape(h, [2, 12 * 12 * 16]), v, null);
      const l = sum(mul(y, y)); l.backward();
      const out = { l: l.item(), dx: Array.from(x.grad.data.slice(0, 64)), dw: Array.from(w.grad.data.slice(0, 64)) };
      x.grad.dispose(); w.grad.dispose(); v.grad.dispose(); x.grad = null; w.grad = null; v.grad = null;
      return out;
    };
    const a = run(), b = run();
    console.log(JSON.stringify({ flavour: flavour(), same: JSON.stringify(a) === JSON.stringify(b), ...a }));`;
  const runs: Array<{ flavour: string; same: boolean; l: number; dx: number[]; dw: number[] }> = [];
  const variants: Array<[string[], string]> = [[[], 'release']];
  if (plainRelaxed) variants.push([[], 'relaxed']);
  else if (flagExists) variants.push([[FLAG], 'relaxed']);
  for (const [args, build] of variants) {
    const r = spawnSync(process.execPath, [...args, '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, FACEMETRIC_WASM: build } });
    assert.is(r.status, 0, r.stderr);
    runs.push(JSON.parse(r.stdout));
    assert.is(runs[runs.length - 1].flavour, build);
    assert.ok(runs[runs.length - 1].same, `${build}: a repeated run gives the same bits`);
  }
  if (runs.length < 2) { console.log('  (this Node has no relaxed SIMD: only the SIMD128 build was run)'); return; }
  const [p, q] = runs;
  assert.ok(Math.abs(p.l - q.l) <= 1e-5 * Math.abs(p.l), `loss ${p.l} vs ${q.l}`);
  let differ = 0;
  for (const key of ['dx', 'dw'] as const) {
    const scale = Math.max(...p[key].map(Math.abs));
    p[key].forEach((g, i) => {
      assert.ok(Math.abs(g - q[key][i]) <= 2e-5 * scale, `${key}[${i}]: ${g} vs ${q[key][i]}`);
      if (g !== q[key][i]) differ++;
    });
  }
  // The builds really differ (a fused product rounds once): if every value matched bit for bit, the relaxed build would not be fusing.
  assert.ok(differ > 0, "the relaxed build gave the SIMD128 build's bits exactly");
});

test.run();
