// The photo commands run as the built CLI in a subprocess, on a tiny photo tree written here:
// 6 people × 4 PNG photos of 16×16 pixels, each person a different smooth pattern.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const json = (r: ReturnType<typeof run>) => {
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim().split('\n').length, 1, 'one line of JSON on stdout');
  return JSON.parse(r.stdout);
};

const dir = mkdtempSync(join(tmpdir(), 'facemetric-cli-'));
const at = (...p: string[]) => join(dir, ...p);

function png(person: number, photo: number, size = 16): Buffer {
  const img = new pngjs.PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const fx = 1 + (person % 3), fy = 1 + ((person >> 1) % 3);
    const v = 127 + 100 * Math.sin((x + (photo % 2)) * fx * 0.4 + person) * Math.cos(y * fy * 0.4) + ((photo * 7) % 5);
    const i = 4 * (y * size + x);
    img.data[i] = img.data[i + 1] = img.data[i + 2] = Math.max(0, Math.min(255, Math.round(v)));
    img.data[i + 3] = 255;
  }
  return pngjs.PNG.sync.write(img);
}

function tree(root: string, people: number[], photos = 4): string {
  for (const p of people) {
    mkdirSync(join(root, `p${p}`), { recursive: true });
    for (let k = 0; k < photos; k++) writeFileSync(join(root, `p${p}`, `${k + 1}.png`), png(p, k));
  }
  return root;
}

const faces = tree(at('faces'), [0, 1, 2, 3, 4, 5]);
const more = tree(at('more'), [6, 7]);
const model = at('m.fmm'), gallery = at('g.fmg');
const small = ['--size', '16', '--blocks', '4,8', '--dim', '8', '--p', '3', '--k', '2'];

test('train prints a line per epoch, writes the model and its checkpoint; progress goes to stderr', () => {
  const r = run('train', '--data', faces, '--out', model, ...small, '--epochs', '2');
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^epoch 1\/2  loss \d+\.\d{4}  active \d+\.\d%  d\(A,P\) \d\.\d{3}  d\(A,N\) \d\.\d{3}  \d+\.\d s$/);
  assert.match(lines[1], /^epoch 2\/2  loss /);
  assert.match(r.stdout, /saved .*m\.fmm: weights of epoch 2, hash [0-9a-f]{12}…/);
  assert.ok(existsSync(model) && existsSync(`${model}.ckpt`));
  assert.match(r.stderr, /train: 6 people, 24 photos in .*faces/);
  assert.match(r.stderr, /train: epoch 2\/2  100%  4\/4 batches  .* in all  loss \d/);
});

test('train --json: one object with the history and the model hash; validation people; --resume continues bit-exactly', () => {
  const o = json(run('train', '--data', faces, '--out', at('v.fmm'), ...small, '--epochs', '2', '--val-people', '2', '--json'));
  assert.match(o.hash, /^[0-9a-f]{64}$/);
  assert.is(o.epochs, 2); assert.is(o.validationPeople, 2); assert.is(o.people, 6); assert.is(o.photos, 24);
  assert.is(o.history.length, 2);
  assert.equal(Object.keys(o.history[0].validation).sort(), ['accuracy', 'accuracyStderr', 'auc', 'eer', 'pairs', 'rank1']);
  assert.ok(o.history[0].health.activeFraction >= 0 && o.history[0].health.activeFraction <= 1);
  assert.ok(o.bestEpoch === 1 || o.bestEpoch === 2);
  assert.equal(o.preprocess, { size: [16, 16], grey: true, standardize: true });

  const straight = json(run('train', '--data', faces, '--out', at('s3.fmm'), ...small, '--epochs', '3', '--json'));
  const resumed = json(run('train', '--data', faces, '--out', model, ...small, '--epochs', '3', '--resume', '--json'));
  assert.is(resumed.resumedFrom, 2);
  assert.is(resumed.epochs, 3);
  assert.equal(resumed.history.map((h: { epoch: number }) => h.epoch), [1, 2, 3]);
  assert.is(resumed.hash, straight.hash, 'resumed 2 + 1 epochs = 3 epochs straight, bit for bit');
  const none = run('train', '--data', faces, '--out', at('x.fmm'), ...small, '--resume');
  assert.is(none.status, 1);
  assert.match(none.stderr, /train: --resume: no checkpoint at .*x\.fmm\.ckpt/);
});

test('Ctrl-C stops training after the current batch, keeps the checkpoint and says how to resume', async () => {
  const out = at('int.fmm');
  const child = spawn(process.execPath, [cli, 'train', '--data', faces, '--out', out, ...small, '--epochs', '1000000', '--no-augment']);
  let stdout = '', stderr = '', sent = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    // One Ctrl-C only: a second one (more output arriving before the first is handled, on a
    // loaded machine) would end the process the hard way, as a second Ctrl-C should.
    if (!sent && /epoch 2\//.test(stdout)) { sent = true; child.kill('SIGINT'); }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const guard = setTimeout(() => child.kill('SIGKILL'), 20000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(guard);
  assert.is(code, 1, stderr);
  assert.match(stderr, /train: interrupted after epoch \d+, batch \d+ of \d+; the checkpoint .*int\.fmm\.ckpt holds epoch \d+ of 1000000; the model file was not written/);
  assert.match(stderr, /to continue: facemetric train --data \S+ --out \S+int\.fmm --size 16 .* --no-augment --resume/);
  assert.not.ok(existsSync(out));
  const r = json(run('train', '--data', faces, '--out', out, ...small, '--epochs', '2', '--no-augment', '--resume', '--json'));
  assert.ok(r.resumedFrom >= 2, 'the checkpoint was intact and read back');
});

test('enrol saves a gallery and prints people, photos and D with its pair; --json', () => {
  const r = run('enrol', '--model', model, '--data', faces, '--out', gallery);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /saved .*g\.fmg: 6 people, 24 photos/);
  assert.match(r.stdout, /D \(largest diameter of a person's photos\) = \d\.\d{4}: p\d, between \S+p\d\/\d\.png and \S+p\d\/\d\.png/);
  assert.match(r.stdout, /threshold: none saved \(identify will use D\)/);
  assert.match(r.stderr, /enrol: embedding  100%  24\/24 photos/);
  const o = json(run('enrol', '--model', model, '--data', more, '--gallery', gallery, '--out', at('g2.fmg'), '--threshold', '0.3', '--json'));
  assert.is(o.people, 8); assert.is(o.photos, 32);
  assert.equal(o.added, { people: 2, photos: 8, folder: more });
  assert.is(o.threshold, 0.3); assert.is(o.thresholdSource, '--threshold');
  assert.ok(o.D.D > 0 && /p\d/.test(o.D.person) && o.D.pair.length === 2);
  assert.ok(o.D.pair.every((f: string) => f.includes(`${o.D.person}/`)), 'the pair names photos of D\'s person');
});

test('identify: a known photo gets its person; --threshold 0 gives unknown; the saved threshold is the default', () => {
  const photo = at('faces', 'p2', '3.png');
  const r = run('identify', '--model', model, '--gallery', gallery, photo, at('faces', 'p4', '1.png'));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /threshold: \d\.\d{4} \(from the gallery's D \(largest diameter, p\d\)\); k = 1/);
  assert.match(r.stdout, /p2\/3\.png  p2  votes p2 1 of 1, distance 0\.0000 < /);
  assert.match(r.stdout, /p4\/1\.png  p4  votes p4 1 of 1/);
  const o = json(run('identify', '--model', model, '--gallery', gallery, photo, '--k', '3', '--json'));
  assert.is(o.k, 3);
  assert.is(o.results[0].label, 'p2'); assert.is(o.results[0].known, true);
  assert.is(Object.values(o.results[0].votes as Record<string, number>).reduce((a, b) => a + b, 0), 3);
  assert.is(o.results[0].neighbours.length, 3);
  assert.match(o.thresholdSource, /gallery's D/);
  const u = json(run('identify', '--model', model, '--gallery', gallery, photo, '--threshold', '0', '--json'));
  assert.is(u.results[0].label, 'unknown'); assert.is(u.results[0].known, false); assert.is(u.results[0].candidate, 'p2');
  const h = run('identify', '--model', model, '--gallery', gallery, photo, '--threshold', '0');
  assert.match(h.stdout, /unknown \(nearest: p2\)  votes p2 1 of 1, distance 0\.0000 ≥ 0\.0000/);
  const s = json(run('identify', '--model', model, '--gallery', at('g2.fmg'), photo, '--json'));
  assert.is(s.threshold, 0.3); assert.match(s.thresholdSource, /saved threshold/);
});

test('verify: --threshold and --rule diameter, with and without --json', () => {
  const a = at('faces', 'p1', '1.png'), b = at('faces', 'p1', '2.png'), c = at('faces', 'p5', '1.png');
  const same = json(run('verify', '--model', model, a, a, '--threshold', '0.5', '--json'));
  assert.equal(same, { a, b: a, same: true, distance: 0, threshold: 0.5, rule: 'threshold', thresholdSource: '--threshold' });
  const diff = json(run('verify', '--model', model, a, c, '--threshold', '0', '--json'));
  assert.is(diff.same, false);
  const d = json(run('verify', '--model', model, a, b, '--rule', 'diameter', '--gallery', gallery, '--json'));
  assert.is(d.rule, 'diameter');
  const g = json(run('enrol', '--model', model, '--data', faces, '--out', at('g3.fmg'), '--json'));
  assert.is(d.threshold, g.D.D, 'the threshold is the gallery\'s D');
  assert.is(d.same, d.distance < d.threshold);
  const h = run('verify', '--model', model, a, c, '--rule', 'diameter', '--gallery', gallery);
  assert.is(h.status, 0, h.stderr);
  assert.match(h.stdout, /^(same person|different people): distance \d\.\d{4} [<≥] threshold \d\.\d{4} \(from the gallery's D/);
  const t = run('verify', '--model', model, a, b, '--threshold', '2');
  assert.match(t.stdout, /^same person: distance \d\.\d{4} < threshold 2\.0000 \(from --threshold\)/);
});

test('train --flip-test: the model embeds a photo and its mirror image alike (verify distance 0), the plain model does not', () => {
  const flipped = at('flip.fmm');
  assert.is(run('train', '--data', faces, '--out', flipped, ...small, '--epochs', '1', '--flip-test').status, 0);
  const a = at('faces', 'p2', '1.png'), m = at('mirror.png');
  const img = pngjs.PNG.sync.read(readFileSync(a));
  const out = new pngjs.PNG({ width: img.width, height: img.height });
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
    img.data.copy(out.data, 4 * (y * img.width + (img.width - 1 - x)), 4 * (y * img.width + x), 4 * (y * img.width + x) + 4);
  }
  writeFileSync(m, pngjs.PNG.sync.write(out));
  const withFlip = json(run('verify', '--model', flipped, a, m, '--threshold', '0.5', '--json'));
  assert.ok(withFlip.distance < 1e-5, `distance ${withFlip.distance}`);
  const plain = json(run('verify', '--model', model, a, m, '--threshold', '0.5', '--json'));
  assert.ok(plain.distance > 1e-3, `distance ${plain.distance}`);
});

test('ensemble: two models as one (embedding 8 + 8), usable by verify; one model or another preprocessing is refused', () => {
  const flipped = at('flip.fmm'), ens = at('ens.fmm');
  const r = json(run('ensemble', '--out', ens, model, flipped, '--json'));
  assert.is(r.embeddingDim, 16);
  assert.equal(r.members.map((m: { path: string }) => m.path), [model, flipped]);
  assert.match(r.hash, /^[0-9a-f]{64}$/);
  const a = at('faces', 'p1', '1.png'), b = at('faces', 'p1', '2.png');
  assert.is(json(run('verify', '--model', ens, a, a, '--threshold', '0.5', '--json')).distance, 0);
  const both = json(run('verify', '--model', ens, a, b, '--threshold', '0.5', '--json')).distance;
  const one = json(run('verify', '--model', model, a, b, '--threshold', '0.5', '--json')).distance;
  const two = json(run('verify', '--model', flipped, a, b, '--threshold', '0.5', '--json')).distance;
  assert.ok(Math.abs(both * both - (one * one + two * two) / 2) < 1e-4, `d² ${both * both} = mean of ${one * one} and ${two * two}`);
  const text = run('ensemble', '--flip-test', '--out', at('ens2.fmm'), model, flipped);
  assert.is(text.status, 0, text.stderr);
  assert.match(text.stdout, /^ensemble of 2 models with test-time flip \(16×16 grey.*embedding 8 \+ 8 = 16\) → /);
  const lone = run('ensemble', '--out', at('x.fmm'), model);
  assert.is(lone.status, 2);
  assert.match(lone.stderr, /ensemble: expected two or more model files MODEL_A MODEL_B …, got 1/);
  const cropped = at('crop.fmm');
  assert.is(run('train', '--data', faces, '--out', cropped, ...small, '--epochs', '1', '--crop', '0.9').status, 0);
  const mixed = run('ensemble', '--out', at('x.fmm'), model, cropped);
  assert.is(mixed.status, 1);
  assert.match(mixed.stderr, /ensemble: expected models with the same preprocessing; .*m\.fmm takes 16×16 grey.*, .*crop\.fmm takes 16×16 grey, centre crop 0\.9/);
  assert.not.ok(existsSync(at('x.fmm')));
});

test('usage errors exit 2 and name the argument', () => {
  const cases: Array<[string[], RegExp]> = [
    [['train', '--out', model], /train: expected --data DIR/],
    [['train', '--data', faces], /train: expected --out MODEL/],
    [['train', '--data', faces, '--out', model, '--nope'], /Unknown option '--nope'/],
    [['train', '--data', faces, '--out', model, '--miner', 'best'], /train: expected --miner to be one of all, hard, semihard, got "best"/],
    [['train', '--data', faces, '--out', model, '--blocks', '4,x'], /train: expected --blocks to be filter counts/],
    [['train', '--data', faces, '--out', model, '--epochs', '0'], /train: expected --epochs to be an integer/],
    [['enrol', '--model', model, '--data', faces], /enrol: expected --out GALLERY/],
    [['identify', '--model', model, '--gallery', gallery], /identify: expected one or more PHOTO files/],
    [['identify', '--model', model, '--gallery', gallery, '--k', '99', at('faces', 'p1', '1.png')], /identify: expected --k to be at most the gallery's 24 photos/],
    [['verify', '--model', model, at('faces', 'p1', '1.png')], /verify: expected two photos PHOTO_A PHOTO_B, got 1/],
    [['verify', '--model', model, 'a.png', 'b.png', '--rule', 'diameter'], /verify: expected --gallery G with --rule diameter/],
    [['verify', '--model', model, 'a.png', 'b.png'], /verify: expected --threshold T or --rule diameter --gallery G/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const j = run('verify', '--model', model, 'a.png', '--json');
  assert.is(j.status, 2);
  assert.equal(JSON.parse(j.stdout), { error: 'verify: expected two photos PHOTO_A PHOTO_B, got 1', usage: true });
});

test('file errors exit 1 and name the file: missing folder, empty person folder, text named .png, truncated JPEG, another model', () => {
  const empty = tree(at('empty'), [0, 1]);
  mkdirSync(join(empty, 'nobody'));
  const text = tree(at('text'), [0, 1]);
  writeFileSync(join(text, 'p1', '9.png'), 'hello, I am not a picture\n');
  const trunc = tree(at('trunc'), [0, 1]);
  const data = Buffer.alloc(16 * 16 * 4, 200);
  const jpg = Buffer.from(jpeg.encode({ data, width: 16, height: 16 }, 90).data);
  writeFileSync(join(trunc, 'p0', 'cut.jpg'), jpg.subarray(0, Math.floor(jpg.length / 2)));
  const cases: Array<[string[], RegExp]> = [
    [['train', '--data', at('nowhere'), '--out', at('n.fmm')], /cannot read photo folder \S+nowhere: no such folder/],
    [['enrol', '--model', model, '--data', empty, '--out', at('n.fmg')], /expected photos \(\.png, \.jpg, \.jpeg\) in person folder \S+empty\/nobody, found none/],
    [['train', '--data', text, '--out', at('n.fmm')], /cannot decode \S+text\/p1\/9\.png: not a PNG or JPEG file \(starts with "hello, I am not /],
    [['enrol', '--model', model, '--data', trunc, '--out', at('n.fmg')], /cannot decode \S+trunc\/p0\/cut\.jpg: JPEG decoder/],
    [['verify', '--model', model, join(trunc, 'p0', 'cut.jpg'), at('faces', 'p1', '1.png'), '--threshold', '1'], /cannot decode \S+cut\.jpg/],
    [['identify', '--model', model, '--gallery', gallery, at('faces', 'p1', 'nope.png')], /loadImage: cannot read \S+nope\.png: no such file/],
    [['identify', '--model', at('none.fmm'), '--gallery', gallery, at('faces', 'p1', '1.png')], /identify: cannot read model file \S+none\.fmm: no such file/],
    [['identify', '--model', at('v.fmm'), '--gallery', gallery, at('faces', 'p1', '1.png')], /g\.fmg.*made by another model/],
    [['enrol', '--model', at('v.fmm'), '--data', more, '--gallery', gallery, '--out', at('n.fmg')], /g\.fmg.*made by another model/],
    [['verify', '--model', model, gallery, at('faces', 'p1', '1.png'), '--threshold', '1'], /cannot decode \S+g\.fmg: not a PNG or JPEG/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.is(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.not.ok(existsSync(at('n.fmg')) || existsSync(at('n.fmm')), 'nothing written after an error');
  const j = run('enrol', '--model', at('v.fmm'), '--data', more, '--gallery', gallery, '--out', at('n.fmg'), '--json');
  assert.is(j.status, 1);
  assert.is(JSON.parse(j.stdout).usage, false);
});

test('every command\'s --help lists its options with their defaults', () => {
  const expect: Record<string, string[]> = {
    train: ['--data DIR', '--out MODEL', '--size N', '(default 64)', '--grey | --colour', '--crop F', '--dim N', '(default 128)', '--blocks LIST',
      '(default 32,64,128)', '--batch-norm', '--flip-test', '--margin M', '(default 0.2)', '--miner NAME', 'hard | semihard | all', '--p N --k N', '(default 16 and 4)',
      '--epochs N', '(default 30)', '--lr X', '(default 0.001)', '--val-people N|F', '--seed N', '(default 1)', '--augment | --no-augment',
      '--checkpoint PATH', '(default MODEL.ckpt)', '--resume', '--json'],
    enrol: ['--model MODEL', '--data DIR', '--out GALLERY', '--gallery EXISTING', '--threshold T', '--json'],
    identify: ['--model MODEL', '--gallery GALLERY', '--k N', '(default 1)', '--threshold T', '--json'],
    verify: ['--model MODEL', '--threshold T', '--rule R', '--gallery G', '--percentile P', '--json'],
    ensemble: ['--out MODEL', '--flip-test', '--json'],
  };
  for (const [cmd, parts] of Object.entries(expect)) {
    const r = run(cmd, '--help');
    assert.is(r.status, 0);
    for (const p of parts) assert.ok(r.stdout.includes(p), `${cmd} --help mentions ${p}`);
  }
  const all = run('--help');
  for (const cmd of Object.keys(expect)) assert.match(all.stdout, new RegExp(`\\n  ${cmd} +\\S`));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
