// `npm run bench` argument handling: --help prints the options and runs nothing; an unknown
// argument is refused with exit code 2 before any suite starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runJs = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [runJs, ...args], { encoding: 'utf8', timeout: 60_000 });

test('bench --help: the options, exit 0, no suite run', () => {
  const r = run('--help');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /--only NAME\[,NAME…\]\s+these suites only \(gemm, conv2d, knn, ops, network, tfjs-kernels, knn-peers/);
  assert.match(r.stdout, /--megaface/);
  assert.not.match(r.stdout, /GFLOP\/s/);
});

test('bench with an unknown argument: exit 2 naming it, no suite run', () => {
  for (const args of [['--bogus'], ['--quick', 'gemm'], ['--only', 'gemm', '--outt', 'x.md']]) {
    const r = run(...args);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
    const bad = args.find((a, i) => (a.startsWith('-') ? !['--quick', '--only'].includes(a) : args[i - 1] !== '--only'));
    assert.ok(r.stderr.includes(`unknown argument ${JSON.stringify(bad)}`), r.stderr);
    assert.not.match(r.stdout, /GFLOP\/s/);
  }
});

test.run();
