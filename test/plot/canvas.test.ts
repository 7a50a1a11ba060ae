import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PNG } from 'pngjs';
import { Canvas, clipSegment, parseColor } from '../../src/plot/canvas.js';
import { forEachPixel, measureText } from '../../src/plot/font.js';

const RED = [255, 0, 0, 255];
const WHITE = [255, 255, 255, 255];

function isBg(cv: Canvas, x: number, y: number): boolean {
  const p = cv.pixel(x, y);
  return p[0] === 255 && p[1] === 255 && p[2] === 255;
}

/** Pixels that differ from white outside the box [x0, x1) × [y0, y1). */
function strayPixels(cv: Canvas, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = 0; y < cv.height; y++) for (let x = 0; x < cv.width; x++) if ((x < x0 || x >= x1 || y < y0 || y >= y1) && !isBg(cv, x, y)) n++;
  return n;
}

test('line (10,10)–(50,10) width 2 colours rows 9 and 10 from x=10 to 50 fully, nothing far away', () => {
  const cv = new Canvas(64, 40);
  cv.line(10, 10, 50, 10, { color: '#ff0000', width: 2 });
  for (let x = 10; x <= 49; x++) {
    assert.equal(cv.pixel(x, 9), RED, `pixel (${x},9)`);
    assert.equal(cv.pixel(x, 10), RED, `pixel (${x},10)`);
  }
  // Round caps reach one pixel past the ends; anti-aliasing one row above and below.
  assert.is(strayPixels(cv, 8, 7, 53, 13), 0);
  assert.equal(cv.pixel(30, 30), WHITE);
  assert.equal(cv.pixel(60, 10), WHITE);
});

test('line width 1 on a pixel centre (y=10.5) is crisp: row 10 red, rows 9 and 11 white', () => {
  const cv = new Canvas(40, 20);
  cv.line(5.5, 10.5, 30.5, 10.5, { color: [255, 0, 0] });
  for (let x = 6; x <= 30; x++) {
    assert.equal(cv.pixel(x, 10), RED);
    assert.ok(isBg(cv, x, 9) && isBg(cv, x, 11), `column ${x}`);
  }
});

test('line width 1 between rows (y=10) is anti-aliased: rows 9 and 10 half covered', () => {
  const cv = new Canvas(40, 20);
  cv.line(5, 10, 30, 10, { color: '#000000' });
  assert.equal(cv.pixel(20, 9), [128, 128, 128, 255]);
  assert.equal(cv.pixel(20, 10), [128, 128, 128, 255]);
});

test('a diagonal line has partly covered pixels and stays within its band', () => {
  const cv = new Canvas(40, 40);
  cv.line(2, 3, 37, 30, { color: '#000000', width: 1.5 });
  let partial = 0;
  for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) {
    const v = cv.pixel(x, y)[0];
    if (v > 0 && v < 255) partial++;
    // Distance of the pixel centre to the line, in pixels.
    const d = Math.abs(27 * (x + 0.5 - 2) - 35 * (y + 0.5 - 3)) / Math.hypot(27, 35);
    if (d > 2 && x > 3 && x < 36) assert.is(v, 255, `pixel (${x},${y}) at distance ${d.toFixed(2)}`);
  }
  assert.ok(partial > 20, `${partial} partly covered pixels`);
});

test('polyline joints are covered once (no darker spot where two segments meet)', () => {
  const cv = new Canvas(40, 40);
  // On y = 20 the rows 19 and 20 are each half covered, at the joint as elsewhere.
  cv.polyline([5, 20, 20, 20, 35, 20], { color: '#000000', width: 1 });
  assert.equal(cv.pixel(12, 19), [128, 128, 128, 255]);
  assert.equal(cv.pixel(20, 19), cv.pixel(12, 19));
  assert.equal(cv.pixel(19, 20), cv.pixel(12, 20));
  const translucent = new Canvas(40, 40);
  translucent.polyline([5.5, 20.5, 20.5, 20.5, 20.5, 35.5], { color: '#00000080', width: 3 });
  assert.equal(translucent.pixel(20, 20), translucent.pixel(12, 20));
});

test('dashed line [4,4] width 1 at y=10.5 from x=0.5: pixels 0–4 on, 5–7 off, 8–12 on', () => {
  const cv = new Canvas(40, 20);
  cv.line(0.5, 10.5, 39.5, 10.5, { color: '#ff0000', dash: [4, 4] });
  for (const x of [0, 2, 4, 8, 10, 12]) assert.equal(cv.pixel(x, 10), RED, `x=${x}`);
  for (const x of [5, 6, 7]) assert.ok(isBg(cv, x, 10), `x=${x} in a gap`);
});

test('NaN breaks a polyline: the gap between the runs stays white', () => {
  const cv = new Canvas(70, 20);
  cv.polyline([10.5, 10.5, 30.5, 10.5, NaN, NaN, 40.5, 10.5, 60.5, 10.5], { color: '#ff0000' });
  assert.equal(cv.pixel(20, 10), RED);
  assert.equal(cv.pixel(50, 10), RED);
  for (let x = 32; x <= 38; x++) assert.ok(isBg(cv, x, 10), `x=${x}`);
});

test('a one-point run draws a dot', () => {
  const cv = new Canvas(20, 20);
  cv.polyline([NaN, 0, 10, 10, NaN, 0], { color: '#ff0000', width: 4 });
  assert.equal(cv.pixel(10, 10), RED);
  assert.ok(isBg(cv, 15, 10));
});

test('fillRect: whole pixels exactly, half pixels half', () => {
  const cv = new Canvas(10, 10);
  cv.fillRect(2, 2, 3, 3, '#000');
  assert.equal(cv.pixel(2, 2), [0, 0, 0, 255]);
  assert.equal(cv.pixel(4, 4), [0, 0, 0, 255]);
  assert.ok(isBg(cv, 5, 4) && isBg(cv, 1, 2));
  cv.fillRect(6.5, 6, 1, 1, '#000');
  assert.equal(cv.pixel(6, 6), [128, 128, 128, 255]);
  assert.equal(cv.pixel(7, 6), [128, 128, 128, 255]);
});

test('circle r=5 at (10,10): centre filled, corners of its box empty, outline colour on the rim', () => {
  const cv = new Canvas(21, 21);
  cv.circle(10.5, 10.5, 5, { fill: '#00ff00', stroke: '#ff0000', width: 1 });
  assert.equal(cv.pixel(10, 10), [0, 255, 0, 255]);
  assert.equal(cv.pixel(15, 10), RED);
  assert.ok(isBg(cv, 5, 5) && isBg(cv, 17, 10));
});

test('text "Hi" scale 2 lights exactly its glyph pixels (4 per font pixel), all inside its box', () => {
  const cv = new Canvas(40, 30);
  const box = cv.text(5, 6, 'Hi', { color: '#000000', scale: 2 });
  assert.equal(box, { x: 5, y: 6, ...measureText('Hi', 2) });
  assert.equal(measureText('Hi', 2), { width: 22, height: 14 });
  let lit = 0;
  forEachPixel('Hi', () => lit++);
  let dark = 0;
  for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) if (!isBg(cv, x, y)) dark++;
  assert.is(dark, 4 * lit);
  assert.is(strayPixels(cv, box.x, box.y, box.x + box.width, box.y + box.height), 0);
});

test('text anchored middle/middle is centred; rotated −90 text reads upwards inside its turned box', () => {
  const cv = new Canvas(60, 60);
  const b = cv.text(30, 30, 'AB', { scale: 1, align: 'middle', baseline: 'middle' });
  assert.equal(b, { x: 25, y: 27, width: 11, height: 7 });
  const cv2 = new Canvas(30, 60);
  const r = cv2.text(10, 50, 'ABC', { scale: 2, rotate: -90 });
  assert.equal(r, { x: 10, y: 16, width: 14, height: 34 });
  assert.is(strayPixels(cv2, r.x, r.y, r.x + r.width, r.y + r.height), 0);
  // 'A' is at the bottom (reading upwards): its left column (all but the top row lit) is the bottom row of pixels.
  assert.ok(!isBg(cv2, 12, 49) && !isBg(cv2, 22, 49));
});

test('setClip keeps strokes and text out of everything but the clip box', () => {
  const cv = new Canvas(40, 40);
  cv.setClip(10, 10, 10, 10);
  cv.line(0, 15, 40, 15, { color: '#000000', width: 3 });
  cv.text(0, 0, 'XXXXXXX', { scale: 2 });
  assert.is(strayPixels(cv, 10, 10, 20, 20), 0);
  assert.ok(!isBg(cv, 15, 15));
});

test('clipSegment: Liang–Barsky cuts a segment to a box, or returns null', () => {
  assert.equal(clipSegment(-10, 5, 20, 5, 0, 0, 10, 10), [0, 5, 10, 5]);
  assert.is(clipSegment(-10, 20, 20, 20, 0, 0, 10, 10), null);
});

test('PNG decodes back with the same size and pixels (RGB when opaque, RGBA otherwise)', () => {
  const cv = new Canvas(33, 17);
  cv.line(1, 1, 30, 15, { color: '#1f77b4', width: 2 });
  cv.text(2, 2, 'ok', { color: '#d62728' });
  const png = PNG.sync.read(Buffer.from(cv.toPNG()));
  assert.is(png.width, 33);
  assert.is(png.height, 17);
  assert.ok(Buffer.from(png.data).equals(Buffer.from(cv.data.buffer)));
  const clear = new Canvas(5, 4, '#00000000');
  clear.fillRect(1, 1, 2, 2, '#ff000080');
  const back = PNG.sync.read(Buffer.from(clear.toPNG()));
  assert.ok(Buffer.from(back.data).equals(Buffer.from(clear.data.buffer)));
  assert.equal(clear.pixel(1, 1), [255, 0, 0, 128]);
});

test('same drawing calls give the same PNG bytes', () => {
  const draw = () => {
    const cv = new Canvas(50, 30);
    cv.polyline([1, 1, 20, 28, 49, 3], { color: '#2ca02c', width: 2.5, dash: [5, 3] });
    cv.circle(25, 15, 6, { fill: '#ff7f0e80' });
    cv.text(3, 3, 'e^-3 × 2%', {});
    return cv.toPNG();
  };
  assert.ok(Buffer.from(draw()).equals(Buffer.from(draw())));
});

test('colours: #rgb, #rrggbb, #rrggbbaa, [r,g,b]; bad ones name the argument', () => {
  assert.equal(parseColor('#f80'), [255, 136, 0, 255]);
  assert.equal(parseColor('#10203040'), [16, 32, 48, 64]);
  assert.equal(parseColor([1, 2, 3]), [1, 2, 3, 255]);
  assert.throws(() => new Canvas(10, 10).fillRect(0, 0, 1, 1, 'red'), /Canvas\.fillRect: expected color as '#rgb'/);
  assert.throws(() => parseColor([1, 2, 300], 'lineChart', 'series[0].color'), /lineChart: expected series\[0\]\.color as/);
});

test('errors: canvas size, odd coordinate count, text scale, negative width, bad dash', () => {
  assert.throws(() => new Canvas(0, 10), /Canvas: expected width to be an integer in \[1, 16384\], got 0/);
  assert.throws(() => new Canvas(10, 10).polyline([1, 2, 3]), /Canvas\.polyline: expected an even number of coordinates/);
  assert.throws(() => new Canvas(10, 10).text(0, 0, 'a', { scale: 5 }), /Canvas\.text: expected scale to be an integer in \[1, 4\], got 5/);
  assert.throws(() => new Canvas(10, 10).line(0, 0, 5, 5, { width: -1 }), /Canvas\.polyline: expected width/);
  assert.throws(() => new Canvas(10, 10).line(0, 0, 5, 5, { dash: [0, 0] }), /Canvas\.polyline: expected dash/);
});

test.run();
