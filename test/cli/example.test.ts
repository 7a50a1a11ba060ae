import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('example --json prints the lecture\'s object and reaches L = 0', () => {
  const r = run('example', '--json');
  assert.is(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.equal(Object.keys(o), ['alpha', 'w0', 'b0', 'triplets', 'total', 'closedForm', 'history', 'final']);
  assert.is(o.alpha, 5); assert.is(o.w0, 1); assert.is(o.b0, 0.5);
  assert.equal(o.triplets[0], { a: 'A1', p: 'A2', n: 'B1', dAP: 1, dAN: 3, loss: 3 });
  assert.equal(o.triplets.map((t: { a: string; p: string; n: string }) => t.a + t.p + t.n),
    ['A1A2B1', 'A1A2B2', 'A2A1B1', 'A2A1B2', 'B1B2A1', 'B1B2A2', 'B2B1A1', 'B2B1A2']);
  assert.is(o.total, 24); assert.is(o.closedForm, 24);
  assert.equal(o.history[0], { step: 0, w: 1, b: 0.5, loss: 24 });
  assert.is(o.final.loss, 0); assert.is(o.final.b, 0.5);
  assert.ok(o.final.w >= 5 - 1e-6);
});

test('example prints a readable table and takes options', () => {
  const r = run('example', '--w', '2', '--b=-1', '--alpha', '5');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /\(A1,A2,B1\)\s+w = 2\s+3w = 6\s+max\(w − 3w \+ 5, 0\) = 1/);
  assert.match(r.stdout, /closed form .*: 10/);
  assert.match(r.stdout, /L reached 0 at step \d+/);
});

test('bad usage exits 2 and names the argument', () => {
  const r = run('example', '--w', 'abc');
  assert.is(r.status, 2);
  assert.match(r.stderr, /example: expected --w to be a number, got "abc"/);
  const u = run('example', '--nope');
  assert.is(u.status, 2);
  assert.match(u.stderr, /Unknown option '--nope'/);
  const j = run('nosuch', '--json');
  assert.is(j.status, 2);
  assert.equal(JSON.parse(j.stdout).usage, true);
  assert.is(run('example', '--help').status, 0);
});

test.run();
