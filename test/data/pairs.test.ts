// LFW pair lists: both views on hand-written files, every error with its line, and the real
// View 1 training pairs (../shared/data) when present.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PairListError, pairPhotoPath, pairPhotos, parsePairs, readPairs } from '../../src/data/pairs.js';

const VIEW1 = '2\nAnn\t1\t2\nBob\t1\t3\nAnn\t1\tBob\t2\nCid\t4\tAnn\t2\n';
const VIEW2 = '2\t1\nAnn\t1\t2\nAnn 2 Bob 1\nBob\t1\t2\n  Cid\t1   Dan\t3  \n\n';

test('View 1 (header N=2): same pairs then different pairs, one fold, file order and lines', () => {
  const l = parsePairs(VIEW1, 'v1.txt');
  assert.is(l.view, 1); assert.is(l.folds, 1); assert.is(l.perFold, 2); assert.is(l.file, 'v1.txt');
  assert.equal(l.pairs.map((p) => [p.a.name, p.a.index, p.b.name, p.b.index, p.same, p.fold, p.line]), [
    ['Ann', 1, 'Ann', 2, true, 0, 2],
    ['Bob', 1, 'Bob', 3, true, 0, 3],
    ['Ann', 1, 'Bob', 2, false, 0, 4],
    ['Cid', 4, 'Ann', 2, false, 0, 5],
  ]);
});

test('View 2 (header 2<TAB>1): folds of same then different; spaces, indentation and blank lines accepted', () => {
  const l = parsePairs(VIEW2, 'v2.txt');
  assert.is(l.view, 2); assert.is(l.folds, 2); assert.is(l.perFold, 1);
  assert.equal(l.pairs.map((p) => [p.same, p.fold, p.line]), [[true, 0, 2], [false, 0, 3], [true, 1, 4], [false, 1, 5]]);
  assert.equal(l.pairs[3].a, { name: 'Cid', index: 1 }); assert.equal(l.pairs[3].b, { name: 'Dan', index: 3 });
  assert.ok(parsePairs('1\r\nA\t1\t2\r\nA\t1\tB\t1\r\n').pairs.length === 2, 'CRLF line ends');
});

test('pairPhotos: each photo once in first-seen order, pairs point at them', () => {
  const { photos, a, b } = pairPhotos(parsePairs(VIEW1));
  assert.equal(photos.map((p) => `${p.name}#${p.index}`), ['Ann#1', 'Ann#2', 'Bob#1', 'Bob#3', 'Bob#2', 'Cid#4']);
  assert.equal([...a], [0, 2, 0, 5]); assert.equal([...b], [1, 3, 4, 1]);
});

test('pairPhotoPath: ROOT/name/name_%04d.jpg; another extension with or without a dot', () => {
  assert.is(pairPhotoPath('/r', 'Aaron_Peirsol', 3), join('/r', 'Aaron_Peirsol', 'Aaron_Peirsol_0003.jpg'));
  assert.is(pairPhotoPath('r', 'X', 12345, 'png'), join('r', 'X', 'X_12345.png'));
  assert.is(pairPhotoPath('r', 'X', 7, '.png'), join('r', 'X', 'X_0007.png'));
});

test('errors name the file and the line', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /^p\.txt: expected a pair list \(a first line "N" or "FOLDS<TAB>N"\), got an empty file$/],
    ['x\n', /^p\.txt:1: expected a first line "N" \(View 1\) or "FOLDS<TAB>N" \(View 2\) with whole numbers >= 1, got "x"$/],
    ['1 2 3\n', /^p\.txt:1: expected a first line/],
    ['0\n', /^p\.txt:1: expected a first line/],
    ['2\nA\t1\t2\nA\t1\tB\t2\n', /^p\.txt:3: expected "name<TAB>i<TAB>j" \(a same pair\) as same pair 2 of 2, got "A\\t1\\tB\\t2": the header says 2 same pairs, the file has 1$/],
    ['1\nA\t1\t2\nA\t1\t3\nA\t1\tB\t2\n', /^p\.txt:3: expected "name1<TAB>i<TAB>name2<TAB>j" \(a different pair\) as different pair 1 of 1, got "A\\t1\\t3": the header says 1 same pairs, the file has more$/],
    ['1\nA\t1\t2\n', /^p\.txt:2: expected different pair 1 of 1, got the end of the file: the header says 1 different pairs, the file has 0/],
    ['2\t2\nA 1 2\nA 1 2\nA 1 B 1\nA 1 B 1\nA 1 2\nA 1 2\nA 1 B 1\n',
      /^p\.txt:8: expected different pair 2 of 2 in fold 2, got the end of the file: the header says 2 different pairs per fold, fold 2 has 1 \(2 folds of 2 same \+ 2 different pairs\)$/],
    ['2\t1\nA 1 2\nA 1 B 1\nA 1 B 2\nA 1 2\n', /^p\.txt:4: expected "name<TAB>i<TAB>j" \(a same pair\) as same pair 1 of 1 in fold 2, got "A 1 B 2": the header says 1 same pairs per fold, fold 2 has 0$/],
    ['1\nA\t1\t2\nA\t1\tB\t2\nA\t3\t4\n', /^p\.txt:4: expected the end of the file after 1 same \+ 1 different pairs, got "A\\t3\\t4" \(1 more line; is the header's count right\?\)$/],
    ['1\nA\t1\nA\t1\tB\t2\n', /^p\.txt:2: expected "name<TAB>i<TAB>j" \(a same pair\), got "A\\t1" \(2 fields\)$/],
    ['1\nA\t1\t2\nA\t1\tB\t2\tC\n', /^p\.txt:3: expected "name1<TAB>i<TAB>name2<TAB>j" \(a different pair\), got .* \(5 fields\)$/],
    ['1\nA\tone\t2\nA\t1\tB\t2\n', /^p\.txt:2: expected photo numbers to be whole numbers >= 1, got "one" for A$/],
    ['1\nA\t1.5\t2\nA\t1\tB\t2\n', /^p\.txt:2: expected photo numbers .* got "1\.5"/],
    ['1\nA\t0\t2\nA\t1\tB\t2\n', /^p\.txt:2: expected photo numbers .* got "0"/],
    ['1\nA\t1\t2\nA\t1\tA\t2\n', /^p\.txt:3: expected a different pair to name two people, got "A\\t1\\tA\\t2" \(A twice\)$/],
  ];
  for (const [text, re] of cases) {
    try {
      parsePairs(text, 'p.txt');
      assert.unreachable(`accepted ${JSON.stringify(text)}`);
    } catch (err) {
      assert.instance(err, PairListError, String(err));
      assert.match((err as Error).message, re);
    }
  }
});

test('readPairs: a missing file and a folder are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'facemetric-pairs-'));
  try {
    assert.throws(() => readPairs(join(dir, 'none.txt')), /none\.txt: cannot read pair list: no such file/);
    assert.throws(() => readPairs(dir), /expected a pair list file, got a folder/);
    writeFileSync(join(dir, 'p.txt'), VIEW2);
    assert.is(readPairs(join(dir, 'p.txt')).pairs.length, 4);
    writeFileSync(join(dir, 'bad.txt'), '1\nA 1 2\nA 1 2\n');
    assert.throws(() => readPairs(join(dir, 'bad.txt')), /bad\.txt:3: expected "name1<TAB>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const devTrain = fileURLToPath(new URL('../../../../shared/data/faces/lfw-devtrain/pairsDevTrain.txt', import.meta.url));
test('LFW View 1 pairsDevTrain.txt: 1100 same + 1100 different, one fold, photos on disk', () => {
  if (!existsSync(devTrain)) { console.log(`  (skipped: ${devTrain} is absent)`); return; }
  const l = readPairs(devTrain);
  assert.is(l.view, 1); assert.is(l.folds, 1); assert.is(l.perFold, 1100);
  assert.is(l.pairs.length, 2200);
  assert.is(l.pairs.filter((p) => p.same).length, 1100);
  assert.ok(l.pairs.slice(0, 1100).every((p) => p.same && p.a.name === p.b.name));
  assert.ok(l.pairs.slice(1100).every((p) => !p.same && p.a.name !== p.b.name));
  assert.equal(l.pairs[0], { a: { name: 'Aaron_Peirsol', index: 1 }, b: { name: 'Aaron_Peirsol', index: 2 }, same: true, fold: 0, line: 2 });
  const root = join(devTrain, '..', 'images');
  const { photos } = pairPhotos(l);
  assert.ok(photos.length > 2000 && photos.length <= 4400, `${photos.length} distinct photos`);
  const missing = photos.filter((p) => !existsSync(pairPhotoPath(root, p.name, p.index)));
  assert.is(missing.length, 0, `missing ${missing.slice(0, 3).map((p) => pairPhotoPath(root, p.name, p.index)).join(', ')}`);
});

test.run();
