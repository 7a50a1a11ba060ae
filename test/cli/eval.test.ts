// `facemetric eval` and train's training curves, as the built CLI in a subprocess, on tiny trees
// written here: 6 people × 4 PNG photos of 16×16 pixels (DIR/<person>/<photo>), and the same
// photos in LFW's layout (name/name_0001.jpg as JPEG, and .png) with View 1 and View 2 pair lists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, FACEMETRIC_PROGRESS: '0' } });
const json = (r: ReturnType<typeof run>) => {
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim().split('\n').length, 1, 'one line of JSON on stdout');
  return JSON.parse(r.stdout);
};

const dir = mkdtempSync(join(tmpdir(), 'facemetric-eval-'));
const at = (...p: string[]) => join(dir, ...p);

/** RGBA pixels of photo `photo` of person `person`: a smooth pattern per person, small changes per photo. */
function pixels(person: number, photo: number, size = 16): Buffer {
  const data = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const fx = 1 + (person % 3), fy = 1 + ((person >> 1) % 3);
    const v = 127 + 100 * Math.sin((x + (photo % 2)) * fx * 0.4 + person) * Math.cos(y * fy * 0.4) + ((photo * 7) % 5);
    const i = 4 * (y * size + x);
    data[i] = data[i + 1] = data[i + 2] = Math.max(0, Math.min(255, Math.round(v)));
    data[i + 3] = 255;
  }
  return data;
}

function png(person: number, photo: number): Buffer {
  const img = new pngjs.PNG({ width: 16, height: 16 });
  pixels(person, photo).copy(img.data);
  return pngjs.PNG.sync.write(img);
}

const NAMES = ['Ann_Lee', 'Bob_Ray', 'Cid_Moe', 'Dan_Fox', 'Eve_Kim', 'Fay_Ng'];
for (let p = 0; p < 6; p++) {
  mkdirSync(at('faces', NAMES[p]), { recursive: true });
  mkdirSync(at('lfw', NAMES[p]), { recursive: true });
  for (let k = 0; k < 4; k++) {
    writeFileSync(at('faces', NAMES[p], `${k + 1}.png`), png(p, k));
    const stem = at('lfw', NAMES[p], `${NAMES[p]}_000${k + 1}`);
    writeFileSync(`${stem}.jpg`, Buffer.from(jpeg.encode({ data: pixels(p, k), width: 16, height: 16 }, 95).data));
    writeFileSync(`${stem}.png`, png(p, k));
  }
}
// View 1: 12 same pairs (photos 1-2 and 3-4 of everyone), 12 different pairs.
const same = NAMES.flatMap((n) => [`${n}\t1\t2`, `${n}\t3\t4`]);
const diff = NAMES.flatMap((n, i) => [`${n}\t1\t${NAMES[(i + 1) % 6]}\t2`, `${n}\t3\t${NAMES[(i + 2) % 6]}\t4`]);
writeFileSync(at('view1.txt'), ['12', ...same, ...diff, ''].join('\n'));
// View 2: 3 folds of 4 same + 4 different.
writeFileSync(at('view2.txt'), ['3\t4', ...[0, 1, 2].flatMap((f) => [...same.slice(4 * f, 4 * f + 4), ...diff.slice(4 * f, 4 * f + 4)]), ''].join('\n'));

const model = at('m.fmm');
const small = ['--size', '16', '--blocks', '4,8', '--dim', '8', '--p', '3', '--k', '2', '--epochs', '2'];

test('train writes the training curves next to the model (MODEL.curves.png/.svg), or to --plot; --json lists them', () => {
  const r = run('train', '--data', at('faces'), '--out', model, ...small);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /training curves: \S+m\.curves\.png, \S+m\.curves\.svg/);
  assert.ok(existsSync(at('m.curves.png')) && existsSync(at('m.curves.svg')));
  assert.equal([...readFileSync(at('m.curves.png')).subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');
  const o = json(run('train', '--data', at('faces'), '--out', at('v.fmm'), ...small, '--val-people', '2', '--plot', at('plots', 'v.png'), '--json'));
  assert.equal(o.plots, [at('plots', 'v.png')]);
  assert.ok(existsSync(at('plots', 'v.png')) && !existsSync(at('plots', 'v.svg')) && !existsSync(at('v.curves.png')));
});

test('eval --data: the protocol table, the ROC next to the model; --raw adds a raw-pixel column', () => {
  const r = run('eval', '--model', model, '--data', at('faces'), '--raw');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^eval: \S+m\.fmm on \S+faces: 6 people, 24 photos \(16×16 grey, standardised\)/);
  assert.match(r.stdout, /enrolled the first half \(rounded up\) of each person's photos \(12 photos\), probes the other 12; 36 same \+ 36 different pairs in 10 folds \(seed 1\); open set: the first 3 people enrolled/);
  assert.match(r.stdout, /\nfigure +model +raw pixels\n/);
  for (const row of ['identification rank-1', 'verification 10-fold accuracy', 'verification AUC', 'D rule accuracy', 'open-set DIR @ FAR=0.1']) {
    assert.match(r.stdout, new RegExp(`\\n${row} +\\d\\.\\d{3}`), row);
  }
  assert.match(r.stdout, /ROC \(best threshold \d+\.\d{3} marked\): \S+m\.roc\.png, \S+m\.roc\.svg/);
  assert.ok(existsSync(at('m.roc.png')) && existsSync(at('m.roc.svg')));
  assert.match(readFileSync(at('m.roc.svg'), 'utf8'), /^<svg|<\?xml/);
});

test('eval --data --json: one object, every rate in [0, 1], --enrol/--open-set-people/--far/--plot honoured', () => {
  const o = json(run('eval', '--model', model, '--data', at('faces'), '--enrol', '1', '--open-set-people', '2', '--far', '0.2', '--plot', at('d-roc'), '--json'));
  assert.is(o.mode, 'data'); assert.is(o.people, 6); assert.is(o.photos, 24); assert.is(o.enrol, 1); assert.is(o.openSetPeople, 2);
  assert.is(o.rawPixels, null);
  assert.is(o.net.identification.gallery, 6); assert.is(o.net.identification.probes, 18);
  const v = o.net.verification;
  assert.is(v.targetFar, 0.2);
  for (const x of [o.net.identification.rank1, o.net.identification.rank5, v.accuracy, v.auc, v.eer, v.tar, v.bestAccuracy, v.dRule.accuracy, o.net.openSet.dir, o.threshold.accuracy]) {
    assert.ok(x >= 0 && x <= 1, `${x} in [0, 1]`);
  }
  assert.is(o.threshold.value, v.bestThreshold);
  assert.equal(o.plots, [at('d-roc.png'), at('d-roc.svg')]);
  assert.ok(o.plots.every((f: string) => existsSync(f)));
});

test('eval --pairs View 1: 10 folds dealt round-robin, AUC, EER, TAR@FAR (n/a below 1/FAR different pairs), best threshold, D rule', () => {
  const r = run('eval', '--model', model, '--pairs', at('view1.txt'), '--root', at('lfw'), '--plot', at('v1'));
  assert.is(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^eval: \S+m\.fmm on \S+view1\.txt \(View 1: 12 same \+ 12 different pairs\); 24 photos of 6 people in \S+lfw/);
  assert.match(out, /\n10-fold accuracy +\d\.\d{4} ± \d\.\d{4} \(standard error; View 1: 10 folds dealt round-robin from the pairs/);
  assert.match(out, /\nAUC +\d\.\d{4}\n/);
  assert.match(out, /\nEER +\d\.\d{4} \(threshold /);
  assert.match(out, /\nTAR @ FAR=0\.1 +\d\.\d{4} \(threshold /);
  assert.match(out, /\nTAR @ FAR=0\.01 +n\/a \(needs 100 or more different pairs, the list has 12\)/);
  assert.match(out, /\nTAR @ FAR=0\.001 +n\/a/);
  assert.match(out, /\nbest threshold +\d\.\d{4} \(accuracy \d\.\d{4}/);
  assert.match(out, /\nD rule \(same when < D\) +accuracy \d\.\d{4}, TAR \d\.\d{4}, FAR \d\.\d{4}; D = \d\.\d{4} \(\w+\), from the clouds of the 6 people with 2 or more photos among the pairs/);
  assert.match(out, /ROC \(best threshold \d+\.\d{3} marked\): \S+v1\.png, \S+v1\.svg/);
  assert.ok(existsSync(at('v1.png')) && existsSync(at('v1.svg')));

  const o = json(run('eval', '--model', model, '--pairs', at('view1.txt'), '--root', at('lfw'), '--plot', at('v1'), '--json'));
  assert.is(o.mode, 'pairs'); assert.is(o.view, 1); assert.is(o.folds, 10); assert.is(o.foldsFrom, 'round-robin');
  assert.equal(o.pairCount, { same: 12, different: 12 }); assert.is(o.photos, 24); assert.is(o.people, 6);
  assert.is(o.foldAccuracies.length, 10);
  for (const x of [o.accuracy, o.auc, o.eer, o.bestAccuracy, o.dRule.accuracy, o.dRule.tar, o.dRule.far, o.tar[0].tar]) assert.ok(x >= 0 && x <= 1, `${x} in [0, 1]`);
  assert.equal(o.tar.map((t: { far: number; measurable: boolean; tar: number | null }) => [t.far, t.measurable, t.tar === null]), [[0.1, true, false], [0.01, false, true], [0.001, false, true]]);
  // The same photos as PNG give the same figures up to JPEG's loss; the report is well formed either way.
  const p = json(run('eval', '--model', model, '--pairs', at('view1.txt'), '--root', at('lfw'), '--ext', 'png', '--plot', at('v1p'), '--json'));
  assert.is(p.photos, 24); assert.ok(p.auc >= 0 && p.auc <= 1);
});

test('eval --pairs View 2: the list\'s own folds; --gallery G gives that gallery\'s D', () => {
  const o = json(run('eval', '--model', model, '--pairs', at('view2.txt'), '--root', at('lfw'), '--plot', at('v2'), '--json'));
  assert.is(o.view, 2); assert.is(o.folds, 3); assert.is(o.foldsFrom, 'list'); assert.is(o.foldAccuracies.length, 3);
  assert.equal(o.pairCount, { same: 12, different: 12 });
  const t = run('eval', '--model', model, '--pairs', at('view2.txt'), '--root', at('lfw'), '--plot', at('v2'));
  assert.match(t.stdout, /\(View 2: 3 folds of 4 same \+ 4 different pairs\)/);
  assert.match(t.stdout, /\n3-fold accuracy +\d\.\d{4} ± \d\.\d{4} \(standard error; View 2: the list's own 3 folds, each threshold chosen on the other 2\)/);
  const g = json(run('enrol', '--model', model, '--data', at('faces'), '--out', at('g.fmg'), '--json'));
  const w = json(run('eval', '--model', model, '--pairs', at('view2.txt'), '--root', at('lfw'), '--gallery', at('g.fmg'), '--plot', at('v2'), '--json'));
  assert.is(w.dRule.D, g.D.D);
  assert.is(w.dSource, `the gallery ${at('g.fmg')}`);
  assert.is(w.auc, o.auc);
});

test('errors: usage exits 2; a missing pair file, a bad line (with its number) and a missing photo exit 1 naming the file', () => {
  const usage: Array<[string[], RegExp]> = [
    [['eval', '--data', at('faces')], /eval: expected --model MODEL/],
    [['eval', '--model', model], /eval: expected --data DIR \(a photo folder\) or --pairs PAIRS --root DIR/],
    [['eval', '--model', model, '--data', at('faces'), '--pairs', at('view1.txt')], /eval: expected one of --data DIR or --pairs PAIRS, got both/],
    [['eval', '--model', model, '--pairs', at('view1.txt')], /eval: expected --root DIR/],
    [['eval', '--model', model, '--pairs', at('view1.txt'), '--root', at('lfw'), '--raw'], /eval: --raw applies to --data only, got it with --pairs/],
    [['eval', '--model', model, '--data', at('faces'), '--root', at('lfw')], /eval: --root applies to --pairs only, got it with --data/],
    [['eval', '--model', model, '--data', at('faces'), '--far', '2'], /eval: expected --far to be a number in/],
    [['eval', '--model', model, '--data', at('faces'), '--open-set-people', '7'], /eval: expected --open-set-people to be at most the 6 people/],
  ];
  for (const [args, re] of usage) {
    const r = run(...args);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  writeFileSync(at('bad.txt'), ['2', 'Ann_Lee\t1\t2', 'Bob_Ray\tone\t2', 'Ann_Lee\t1\tBob_Ray\t1', 'Cid_Moe\t1\tDan_Fox\t1', ''].join('\n'));
  writeFileSync(at('short.txt'), ['2', 'Ann_Lee\t1\t2', 'Ann_Lee\t1\tBob_Ray\t1', 'Cid_Moe\t1\tDan_Fox\t1', ''].join('\n'));
  writeFileSync(at('gone.txt'), ['2', 'Ann_Lee\t1\t2', 'Bob_Ray\t1\t9', 'Ann_Lee\t1\tBob_Ray\t1', 'Cid_Moe\t1\tDan_Fox\t1', ''].join('\n'));
  const failures: Array<[string[], RegExp]> = [
    [['--pairs', at('none.txt')], /facemetric: \S+none\.txt: cannot read pair list: no such file/],
    [['--pairs', at('bad.txt')], /\S+bad\.txt:3: expected photo numbers to be whole numbers >= 1, got "one" for Bob_Ray/],
    [['--pairs', at('short.txt')], /\S+short\.txt:3: expected "name<TAB>i<TAB>j" \(a same pair\) as same pair 2 of 2, got "Ann_Lee\\t1\\tBob_Ray\\t1": the header says 2 same pairs, the file has 1/],
    [['--pairs', at('gone.txt')], /eval: cannot read photo \S+lfw\/Bob_Ray\/Bob_Ray_0009\.jpg \(of \S+gone\.txt:3\): no such file/],
    [['--pairs', at('view1.txt'), '--ext', 'gif'], /eval: cannot read photo \S+Ann_Lee_0001\.gif \(of \S+view1\.txt:2\): no such file; 23 more of the 24 photos are missing/],
  ];
  for (const [args, re] of failures) {
    const r = run('eval', '--model', model, '--root', at('lfw'), '--plot', at('x'), ...args);
    assert.is(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const j = run('eval', '--model', model, '--root', at('lfw'), '--pairs', at('gone.txt'), '--json');
  assert.is(j.status, 1);
  assert.is(JSON.parse(j.stdout).usage, false);
  assert.not.ok(existsSync(at('x.png')), 'no plot after an error');
});

test('eval --help lists the options; the command list names eval', () => {
  const r = run('eval', '--help');
  assert.is(r.status, 0);
  for (const p of ['--model MODEL', '--data DIR', '--pairs PAIRS', '--root DIR', '--ext EXT', '(default .jpg)', '--gallery G', '--plot PATH',
    '--enrol N', '--open-set-people N', '--far F', '(default 0.1)', '--raw', '--json']) assert.ok(r.stdout.includes(p), `eval --help mentions ${p}`);
  assert.match(run('--help').stdout, /\n  eval +measure a model/);
  assert.ok(run('train', '--help').stdout.includes('--plot PATH'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
