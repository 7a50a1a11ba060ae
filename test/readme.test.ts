// The README's API tour must run as written (against the built package).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the API tour in README.md runs and trains', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a ```ts block');
  const entry = join(root, 'dist', 'src', 'index.js');
  const code = block[1].replaceAll("from 'facemetric'", `from ${JSON.stringify(entry)}`)
    + '\nif (!(memoryStats().liveBytes > 0)) throw new Error("no memory in use?");\nconsole.log("tour ok");\n';
  const dir = mkdtempSync(join(tmpdir(), 'facemetric-readme-'));
  try {
    const file = join(dir, 'tour.mjs');
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /tour ok/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the debug build loads and computes the same as the release build', () => {
  const entry = join(root, 'dist', 'src', 'index.js');
  const code = `import { tensor, sum, mul, flavour, relaxedSimdSupported } from ${JSON.stringify(entry)};
    const x = tensor([1, 2, 3, 4, 5], [5], { requiresGrad: true });
    const y = sum(mul(x, x)); y.backward();
    console.log(JSON.stringify({ flavour: flavour(), relaxed: relaxedSimdSupported(), y: y.item(), g: Array.from(x.grad.data) }));`;
  for (const env of ['debug', 'release', '']) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, FACEMETRIC_WASM: env } });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { flavour: string; relaxed: boolean; y: number; g: number[] };
    // Unset: the relaxed build where this Node validates relaxed SIMD, the SIMD128 one otherwise.
    assert.is(out.flavour, env !== '' ? env : out.relaxed ? 'relaxed' : 'release');
    assert.equal({ y: out.y, g: out.g }, { y: 55, g: [2, 4, 6, 8, 10] });
  }
});

test.run();
