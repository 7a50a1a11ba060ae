import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('demo --json (short): every figure, the net beats raw pixels, plots written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'facemetric-demo-'));
  try {
    const r = spawnSync(process.execPath, [cli, 'demo', '--epochs', '40', '--out', dir, '--json'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.people, { train: 50, calibration: 10, unseen: 20, enrolled: 10, unknown: 10 });
    assert.ok(o.net.identification.rank1 > o.rawPixels.identification.rank1 + 0.2, `rank-1 ${o.net.identification.rank1} vs raw ${o.rawPixels.identification.rank1}`);
    assert.ok(o.net.verification.accuracy > o.rawPixels.verification.accuracy + 0.1);
    assert.is(o.openSet.known + o.openSet.unknown, 150);
    assert.ok(o.D.D > 0 && o.threshold > 0 && o.openSetThreshold > 0);
    for (const f of ['training-curves.png', 'training-curves.svg', 'roc.png', 'roc.svg']) assert.ok(existsSync(join(dir, f)), f);
    const png = pngjs.PNG.sync.read(readFileSync(join(dir, 'roc.png')));
    assert.ok(png.width > 300 && png.height > 300);
    assert.match(r.stderr, /epoch\s+40\/40/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('demo prints a readable report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'facemetric-demo-'));
  try {
    const r = spawnSync(process.execPath, [cli, 'demo', '--epochs', '5', '--out', dir], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /identification rank-1/);
    assert.match(r.stdout, /the lecture's D = /);
    assert.match(r.stdout, /called "unknown"/);
    assert.match(r.stdout, /plots: /);
    assert.is(spawnSync(process.execPath, [cli, 'demo', '--epochs', '0'], { encoding: 'utf8' }).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
