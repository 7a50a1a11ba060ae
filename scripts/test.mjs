// Runs the uvu suites in dist/test twice, once on each release build of the engine (src/wasm.ts):
// first on the build this Node loads by default, then on the other one — the relaxed-SIMD build
// (fused multiply-adds) where this Node has relaxed SIMD behind --experimental-wasm-relaxed-simd
// (Node 20; processes the tests start load what their own flags give), the SIMD128 build where
// relaxed SIMD is on by default (Node ≥ 21, FACEMETRIC_WASM=release for every process). A Node with
// neither runs one pass and says so. Ends with one plain line `N passed, N failed, N skipped`
// over both passes. Arguments: an optional file pattern (regex), e.g. `npm test -- conv2d`.
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const uvu = join(root, 'node_modules', 'uvu', 'bin.js');
const pattern = process.argv[2] ? `${process.argv[2]}[^/]*\\.test\\.js$` : '\\.test\\.js$';
const { relaxedSimdSupported } = await import(join(root, 'dist', 'src', 'features.js'));
const FLAG = '--experimental-wasm-relaxed-simd';

const passes = [{ label: relaxedSimdSupported() ? 'relaxed build (this Node\'s default)' : 'SIMD128 build (this Node\'s default)', args: [], env: {} }];
if (relaxedSimdSupported()) passes.push({ label: 'SIMD128 build', args: [], env: { FACEMETRIC_WASM: 'release', FACEMETRIC_TEST_BUILD: 'release' } });
else if (execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).includes(FLAG)) {
  passes.push({ label: `relaxed build (${FLAG})`, args: [FLAG], env: { FACEMETRIC_TEST_BUILD: 'relaxed' } });
} else console.log('test: this Node has no relaxed SIMD; the relaxed build is not tested');

function run({ label, args, env }) {
  console.log(`\n=== ${label} ===`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...args, uvu, 'dist/test', pattern], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.on('close', (code) => {
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (name) => Number((plain.match(new RegExp(`${name}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
      const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
      if (Number.isFinite(total)) resolve({ label, code, passed, failed: total - passed, skipped });
      else resolve({ label, code: code || 1, passed: 0, failed: 1, skipped: 0, note: `uvu exited with code ${code} before its summary` });
    });
  });
}

const results = [];
for (const pass of passes) results.push(await run(pass));
console.log('');
for (const r of results) console.log(`${r.label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.note ? ` (${r.note})` : ''}`);
const sum = (k) => results.reduce((s, r) => s + r[k], 0);
console.log(`${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
process.exit(results.some((r) => r.code !== 0 || r.failed > 0) ? 1 : 0);
