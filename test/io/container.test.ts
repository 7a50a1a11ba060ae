import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from '../../src/io/crc32.js';
import { writeContainer, readContainer, f32chunk, FORMAT_VERSION } from '../../src/io/container.js';

const dir = mkdtempSync(join(tmpdir(), 'facemetric-io-'));

test('crc32 golden values', () => {
  assert.is(crc32(new Uint8Array(0)), 0);
  assert.is(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.is(crc32(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  const a = Buffer.from('hello '), b = Buffer.from('world');
  assert.is(crc32(b, crc32(a)), crc32(Buffer.from('hello world')));
});

function sample(path: string) {
  writeContainer(path, { kind: 'model', note: 'x' }, [
    { name: 'a', data: new Float32Array([1, 2, 3.5]) },
    { name: 'b', data: new Uint8Array([9, 8, 7]) },
    { name: 'empty', data: new Float32Array(0) },
  ]);
}

test('round trip, and no temporary file left behind', () => {
  const p = join(dir, 'm.fm');
  sample(p);
  const c = readContainer(p, 'model');
  assert.is(c.version, FORMAT_VERSION);
  assert.is(c.header.note, 'x');
  assert.equal(Array.from(f32chunk(c.chunks.get('a') as Uint8Array)), [1, 2, 3.5]);
  assert.equal(Array.from(c.chunks.get('b') as Uint8Array), [9, 8, 7]);
  assert.is((c.chunks.get('empty') as Uint8Array).length, 0);
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
});

test('every kind of damage is refused with a message naming the file and the place', () => {
  const p = join(dir, 'd.fm');
  sample(p);
  const good = readFileSync(p);
  const bad = join(dir, 'bad.fm');
  const expectErr = (bytes: Uint8Array, re: RegExp, kind = 'model') => {
    writeFileSync(bad, bytes);
    assert.throws(() => readContainer(bad, kind), (e: Error) => e.message.startsWith(bad) && re.test(e.message));
  };
  expectErr(Buffer.from('hello, world, this is text'), /not a facemetric model file/);
  expectErr(good.subarray(0, good.length - 3), /truncated/);
  expectErr(good.subarray(0, 30), /truncated/);
  const newer = Buffer.from(good); newer.writeUInt32LE(FORMAT_VERSION + 1, 8);
  expectErr(newer, /newer facemetric \(format version 2\)/);
  const hdr = Buffer.from(good); hdr[25] ^= 1;
  expectErr(hdr, /header checksum/);
  const hlen = good.readUInt32LE(12);
  const body = Buffer.from(good); body[20 + hlen + 2] ^= 0x40;
  expectErr(body, /chunk "a" \(bytes \d+–\d+\) fails its checksum/);
  const longer = Buffer.concat([good, Buffer.from([0])]);
  expectErr(longer, /end marker/);
  expectErr(good, /expected a gallery file, got a model file/, 'gallery');
  assert.throws(() => readContainer(join(dir, 'missing.fm'), 'model'), /missing\.fm: no such file/);
});

test('a failed write leaves the old file intact', () => {
  const p = join(dir, 'keep.fm');
  sample(p);
  const before = readFileSync(p);
  assert.throws(() => writeContainer(join(dir, 'nodir', 'x.fm'), { kind: 'model' }, []), /cannot write/);
  assert.equal(readFileSync(p), before);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
