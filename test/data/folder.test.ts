import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { ImageFolder, loadImageFolder, naturalCompare } from '../../src/data/folder.js';
import { splitByPeople } from '../../src/data/dataset.js';

const tmp = mkdtempSync(join(tmpdir(), 'facemetric-folder-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** A 4×4 grey PNG whose every pixel is `v` (0…255). */
function png(v: number): Buffer {
  const p = new pngjs.PNG({ width: 4, height: 4 });
  p.data.fill(v);
  for (let i = 3; i < p.data.length; i += 4) p.data[i] = 255;
  return pngjs.PNG.sync.write(p, { colorType: 0 });
}
function jpg(v: number): Uint8Array {
  return jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256).fill(v) }, 95).data;
}
function tree(root: string, files: Record<string, Uint8Array | string | null>): string {
  for (const [rel, body] of Object.entries(files)) {
    const path = join(root, rel);
    if (body === null) { mkdirSync(path, { recursive: true }); continue; }
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, body);
  }
  return root;
}

const good = tree(join(tmp, 'good'), {
  's1/1.png': png(10), 's1/2.png': png(20), 's1/10.png': png(30), 's1/.hidden.png': 'x', 's1/notes.txt': 'x', 's1/sub/9.png': png(1),
  's2/2.PNG': png(40), 's2/1.jpg': jpg(128),
  's10/1.png': png(50), 's10/3.jpeg': jpg(200),
  '.git/1.png': png(0), 'README.txt': 'not a person',
});

test('naturalCompare: digit runs as numbers, then text by code unit', () => {
  const names = ['s10', 's2', 's1', 'img10b', 'img2a', 'img2', 'a', 'B', '10.png', '2.png', '01.png', '1.png'];
  assert.equal([...names].sort(naturalCompare), ['01.png', '1.png', '2.png', '10.png', 'B', 'a', 'img2', 'img2a', 'img10b', 's1', 's2', 's10']);
});

test('ImageFolder on a temp tree: natural order, hidden and non-photo files ignored, labels = person index', () => {
  const ds = new ImageFolder(good);
  assert.equal(ds.people, ['s1', 's2', 's10']);
  assert.equal(ds.items.map((it) => [it.file.slice(good.length + 1), it.label]), [
    ['s1/1.png', 0], ['s1/2.png', 0], ['s1/10.png', 0], ['s2/1.jpg', 1], ['s2/2.PNG', 1], ['s10/1.png', 2], ['s10/3.jpeg', 2],
  ]);
  assert.is(ds.size, 7);
  assert.equal(ds.photosOf(2), [5, 6]);
  assert.is(ds.label(4), 1);
  assert.is(ds.source(2), join(good, 's1', '10.png'));
  assert.equal(ds.skipped, []);
  const img = ds.get(2);
  assert.equal([img.width, img.height, img.channels], [4, 4, 1]);
  assert.ok(Math.abs(img.data[0] - 30 / 255) < 1e-7);
  const j = ds.get(3);
  assert.equal([j.width, j.height, j.channels], [8, 8, 3]);
});

test('cache: a second get() does not decode again; subsets share the cache', () => {
  const ds = loadImageFolder(good, { preprocess: { size: [2, 2], grey: true, standardize: false } });
  const a = ds.get(0);
  assert.equal([a.width, a.height, a.channels], [2, 2, 1]);
  assert.equal(ds.cacheStats, { hits: 0, misses: 1, cached: 1 });
  assert.ok(ds.get(0) === a);
  assert.equal(ds.cacheStats, { hits: 1, misses: 1, cached: 1 });
  for (let epoch = 0; epoch < 3; epoch++) for (let i = 0; i < ds.size; i++) ds.get(i);
  assert.equal(ds.cacheStats, { hits: 1 + 3 * 7 - 6, misses: 7, cached: 7 });
  const { train, test: held } = splitByPeople(ds, { test: 1, seed: 3 });
  for (const part of [train, held]) for (let i = 0; i < part.size; i++) part.get(i);
  assert.is(ds.cacheStats.misses, 7);
  ds.clearCache();
  ds.get(1);
  assert.is(ds.cacheStats.misses, 8);
  const noCache = new ImageFolder(good, { cache: false });
  noCache.get(0); noCache.get(0);
  assert.equal(noCache.cacheStats, { hits: 0, misses: 2, cached: 0 });
});

test('minPhotos drops people with fewer photos', () => {
  const ds = new ImageFolder(good, { minPhotos: 3 });
  assert.equal(ds.people, ['s1']);
  assert.is(ds.size, 3);
});

const broken = tree(join(tmp, 'broken'), {
  'a/1.png': png(1), 'a/2.png': 'hello, not a png', 'b': null, 'c/1.png': png(3), 'c/2.jpg': jpg(9),
});

test("onError 'throw': a text file named .png is an error naming the file", () => {
  assert.throws(() => new ImageFolder(broken), (e: Error) => e.message.includes(`decodeImage: cannot decode ${join(broken, 'a', '2.png')}: not a PNG or JPEG file (starts with "hello, not a png")`));
});

test("onError 'skip': bad photos and empty person folders are counted in skipped", () => {
  const ds = new ImageFolder(broken, { onError: 'skip' });
  assert.equal(ds.people, ['a', 'c']);
  assert.equal(ds.items.map((it) => it.file.slice(broken.length + 1)), ['a/1.png', 'c/1.png', 'c/2.jpg']);
  assert.equal(ds.skipped.map((s) => s.file), [join(broken, 'a', '2.png'), join(broken, 'b')]);
  assert.match(ds.skipped[1].reason, /ImageFolder: expected photos \(.png, .jpg, .jpeg\) in person folder .*broken\/b, found none/);
});

test('an empty person folder is an error in throw mode, naming the folder', () => {
  const root = tree(join(tmp, 'empty-person'), { 'x/1.png': png(1), 'y/readme.txt': 'no photos here' });
  assert.throws(() => new ImageFolder(root), (e: Error) => e.message === `ImageFolder: expected photos (.png, .jpg, .jpeg) in person folder ${join(root, 'y')}, found none`);
  assert.equal(new ImageFolder(root, { onError: 'skip' }).people, ['x']);
});

test('a truncated JPEG: found by get() (lazy), or up front with preload (thrown or skipped)', () => {
  const whole = jpg(100);
  const root = tree(join(tmp, 'truncated'), { 'p/1.png': png(1), 'p/2.jpg': whole.subarray(0, whole.length >> 1), 'q/1.png': png(2) });
  const cut = join(root, 'p', '2.jpg');
  const lazy = new ImageFolder(root);
  assert.is(lazy.size, 3);
  assert.throws(() => lazy.get(1), (e: Error) => e.message.startsWith(`decodeImage: cannot decode ${cut}: JPEG decoder:`));
  assert.throws(() => new ImageFolder(root, { preload: true }), (e: Error) => e.message.startsWith(`decodeImage: cannot decode ${cut}`));
  const eager = new ImageFolder(root, { preload: true, onError: 'skip' });
  assert.is(eager.size, 2);
  assert.equal(eager.skipped.map((s) => s.file), [cut]);
  assert.equal(eager.cacheStats, { hits: 0, misses: 3, cached: 2 });
  eager.get(0); eager.get(1);
  assert.equal(eager.cacheStats, { hits: 2, misses: 3, cached: 2 });
});

test('a missing root, a file as root, a root without person folders: errors name the path', () => {
  const missing = join(tmp, 'nope');
  assert.throws(() => new ImageFolder(missing), (e: Error) => e.message === `ImageFolder: cannot read root folder ${missing}: no such folder`);
  const file = join(tmp, 'file.txt');
  writeFileSync(file, 'x');
  assert.throws(() => new ImageFolder(file), (e: Error) => e.message === `ImageFolder: expected root folder ${file} to be a folder, got a file`);
  const flat = tree(join(tmp, 'flat'), { '1.png': png(1), '.hidden': null });
  assert.throws(() => new ImageFolder(flat), (e: Error) => e.message === `ImageFolder: expected person folders in ${flat} (root/<person>/<photo>), found none`);
  assert.throws(() => new ImageFolder(good, { minPhotos: 4 }), /ImageFolder: no people left in .*good \(3 person folders, minPhotos 4, 0 skipped\)/);
  assert.throws(() => new ImageFolder(good, { onError: 'ignore' as never }), /ImageFolder: expected onError to be one of 'throw', 'skip', got "ignore"/);
  assert.throws(() => new ImageFolder(good).get(7), /ImageFolder.get: expected an item index to be an integer in \[0, 6\], got 7/);
});

const ORL = fileURLToPath(new URL('../../../../shared/data/faces/orl', import.meta.url));
if (existsSync(ORL)) {
  test('real data: ORL loads 400 photos of 40 people (s1…s40 in natural order), 92×112 grey', () => {
    const ds = new ImageFolder(ORL);
    assert.is(ds.size, 400);
    assert.is(ds.people.length, 40);
    assert.equal(ds.people.slice(0, 3), ['s1', 's2', 's3']);
    assert.is(ds.people[39], 's40');
    for (let l = 0; l < 40; l++) assert.is(ds.photosOf(l).length, 10);
    assert.ok(ds.items[9].file.endsWith(join('s1', '10.png')));
    const img = ds.get(0);
    assert.equal([img.width, img.height, img.channels], [92, 112, 1]);
    const small = new ImageFolder(ORL, { preprocess: { size: [46, 56], grey: true, standardize: true } }).get(399);
    assert.equal([small.width, small.height, small.channels], [46, 56, 1]);
  });
} else {
  console.log('folder.test: skipping the ORL test: ../shared/data/faces/orl not found (real photos are not part of the repository)');
  test.skip('real data: ORL loads 400 photos of 40 people (../shared/data absent)', () => {});
}

test.run();
