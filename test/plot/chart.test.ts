import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PNG } from 'pngjs';
import { lineChart, type LineChartOptions } from '../../src/plot/chart.js';

/** Checks that every tag is closed in order (XML-ish well-formedness) and returns the element names seen. */
function balancedTags(svg: string): string[] {
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  const names: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, close, name, , self] = m;
    names.push(name);
    if (close) assert.is(stack.pop(), name, `closing </${name}>`);
    else if (!self) stack.push(name);
  }
  assert.equal(stack, [], 'unclosed tags');
  // No stray '<' or '&' outside tags and entities.
  const text = body.replace(/<[^>]*>/g, '');
  assert.not.match(text, /<|&(?!(amp|lt|gt|quot|#39);)/);
  return names;
}

function decode(png: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(png));
}

const small = (extra: Partial<LineChartOptions> = {}): LineChartOptions => ({
  width: 400, height: 300, series: [{ name: 'a', x: [0, 1, 2, 3], y: [0, 1, 4, 9] }], ...extra,
});

test('lineChart default 800×500: the PNG decodes to 800×500 and the SVG says so', () => {
  const p = lineChart({ series: [{ name: 'loss', x: [1, 2, 3], y: [0.3, 0.2, 0.15] }] });
  const png = decode(p.png);
  assert.equal([png.width, png.height, p.width, p.height], [800, 500, 800, 500]);
  assert.match(p.svg, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="500" viewBox="0 0 800 500">/);
});

test('SVG: title and labels escaped as <text>, tags balanced', () => {
  const p = lineChart(small({ title: 'a <b> & "c"', xLabel: "x's", yLabel: 'y<1>', series: [{ name: 'n&m', x: [0, 1], y: [0, 1] }] }));
  assert.ok(p.svg.includes('>a &lt;b&gt; &amp; &quot;c&quot;</text>'));
  assert.ok(p.svg.includes('>x&#39;s</text>'));
  assert.ok(p.svg.includes('>y&lt;1&gt;</text>'));
  assert.ok(p.svg.includes('>n&amp;m</text>'));
  assert.not.ok(p.svg.includes('<b>'));
  const names = balancedTags(p.svg);
  assert.ok(names.includes('polyline') && names.includes('text') && names.includes('clipPath'));
});

test('ticks: y data 0..37 → labels 0, 10, 20, 30, 40; x 0..1 → 0, 0.2, …, 1.0', () => {
  const p = lineChart(small({ series: [{ name: 's', x: [0, 0.5, 1], y: [0, 37, 12] }] }));
  const labels = [...p.svg.matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const l of ['0', '10', '20', '30', '40', '0.2', '0.4', '0.6', '0.8', '1.0']) assert.ok(labels.includes(l), `label ${l} in ${labels.join(' ')}`);
  assert.not.ok(labels.includes('50'));
});

test('log x axis 1e-3..1: decade labels 1e-3, 0.01, 0.1, 1; points at x ≤ 0 are left out', () => {
  const p = lineChart(small({ xLog: true, xMin: 1e-3, xMax: 1, series: [{ name: 'roc', x: [0, 1e-3, 0.01, 0.1, 1], y: [0, 0.5, 0.7, 0.9, 1] }] }));
  const labels = [...p.svg.matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const l of ['1e-3', '0.01', '0.1', '1']) assert.ok(labels.includes(l), `label ${l}`);
  // The data line (clipped to the plot), not the legend's sample.
  const roc = [...p.svg.matchAll(/<polyline points="([^"]*)"[^>]*stroke="#1f77b4"[^>]*clip-path/g)];
  assert.is(roc.length, 1);
  assert.is(roc[0][1].split(' ').length, 4);
  assert.throws(() => lineChart(small({ xLog: true, xMin: 0 })), /lineChart: expected xMin > 0 on a log axis, got 0/);
});

test('NaN breaks the line: two runs in the SVG, the PNG is blank between them', () => {
  const p = lineChart(small({ xMin: 0, xMax: 4, yMin: -1, yMax: 1, legend: 'none', series: [{ name: 'g', x: [0, 1, 2, 3, 4], y: [0, 0, NaN, 0, 0], color: '#ff0000' }] }));
  const runs = [...p.svg.matchAll(/<polyline points="([^"]*)"[^>]*stroke="#ff0000"/g)].map((m) => m[1].split(' ').map((xy) => xy.split(',').map(Number)));
  assert.is(runs.length, 2);
  const [a, b] = runs;
  assert.is(a.length, 2);
  const y = Math.floor(a[0][1]);
  const png = decode(p.png);
  const red = (x: number) => { const i = (y * png.width + Math.floor(x)) * 4; return png.data[i] > 200 && png.data[i + 1] < 60 && png.data[i + 2] < 60; };
  assert.ok(red((a[0][0] + a[1][0]) / 2), 'inside the first run');
  assert.ok(red((b[0][0] + b[1][0]) / 2), 'inside the second run');
  assert.not.ok(red((a[1][0] + b[0][0]) / 2), 'in the gap');
});

test('same options → identical PNG bytes and SVG text', () => {
  const o = small({ title: 'same', series: [{ name: 'a', x: [0, 1, 2], y: [3, 1, 2], dashed: true, dots: true }], markers: [{ x: 1, label: 'm' }], points: [{ x: 2, y: 2, label: 'p' }] });
  const a = lineChart(o), b = lineChart(o);
  assert.ok(Buffer.from(a.png).equals(Buffer.from(b.png)));
  assert.is(a.svg, b.svg);
});

test('dashed series get a stroke-dasharray; dots draw circles; markers and a labelled point appear', () => {
  const p = lineChart(small({
    series: [{ name: 'd', x: [0, 1, 2], y: [0, 1, 0], dashed: true, dots: true, color: '#123456' }],
    markers: [{ x: 1, label: 'x marker' }, { y: 0.5, label: 'y marker' }], points: [{ x: 2, y: 0, label: 'chosen', color: '#00aa00' }],
  }));
  assert.match(p.svg, /<polyline [^>]*stroke="#123456"[^>]*stroke-dasharray="7 6"/);
  assert.is([...p.svg.matchAll(/<circle [^>]*fill="#123456"/g)].length, 3 + 1);
  for (const t of ['x marker', 'y marker', 'chosen']) assert.ok(p.svg.includes(`>${t}</text>`), t);
  assert.match(p.svg, /<circle [^>]*fill="#00aa00"/);
});

test('legend auto: a line through the top-right corner sends the legend to the top-left', () => {
  const o = small({ xMin: 0, xMax: 10, yMin: 0, yMax: 10, series: [{ name: 'rising', x: [0, 10], y: [0, 10] }, { name: 'flat', x: [0, 10], y: [0.5, 0.5] }] });
  const legendX = (svg: string) => Number(/<rect x="([\d.]+)" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#ffffff" fill-opacity="0.94" stroke="#bbbbbb"/.exec(svg)![1]);
  assert.ok(legendX(lineChart(o).svg) < 200, 'left half');
  assert.ok(legendX(lineChart({ ...o, legend: 'bottom-right' }).svg) > 200, 'placed as asked');
  assert.not.ok(lineChart({ ...o, legend: 'none' }).svg.includes('#bbbbbb'));
});

test('given limits clip the data: the SVG clip path is the plot area', () => {
  const p = lineChart(small({ yMin: 0, yMax: 5 }));
  assert.match(p.svg, /<clipPath id="clip0"><rect /);
  assert.match(p.svg, /<polyline [^>]*clip-path="url\(#clip0\)"/);
});

test('errors name the argument: empty series, mismatched lengths, no points, bad colour, bad limits, bad marker', () => {
  assert.throws(() => lineChart({ series: [] }), /lineChart: expected series to be a non-empty array of \{ name, x, y \}, got an array of length 0/);
  assert.throws(() => lineChart({ series: [{ name: 'a', x: [1, 2, 3], y: [1, 2] }] }), /lineChart: expected series\[0\]\.x and series\[0\]\.y of the same length, got 3 and 2/);
  assert.throws(() => lineChart({ series: [{ name: 'a', x: [], y: [] }] }), /lineChart: expected series\[0\] to have at least one point/);
  assert.throws(() => lineChart({ series: [{ name: 'a', x: [1], y: [1] }, { name: 'b', x: [1], y: [1], color: 'blue' }] }), /lineChart: expected series\[1\]\.color/);
  assert.throws(() => lineChart({ series: [{ name: 'a', x: [1, '2' as unknown as number], y: [1, 2] }] }), /lineChart: expected series\[0\]\.x\[1\] to be a number, got "2"/);
  assert.throws(() => lineChart(small({ yMin: 2, yMax: 1 })), /lineChart: expected yMin < yMax, got 2 and 1/);
  assert.throws(() => lineChart(small({ markers: [{ x: 1, y: 1 }] })), /lineChart: expected markers\[0\] to have exactly one of x, y/);
  assert.throws(() => lineChart(small({ width: 50 })), /lineChart: expected width to be an integer in \[100, 8192\], got 50/);
  assert.throws(() => lineChart(small({ legend: 'middle' as 'none' })), /lineChart: expected legend to be one of 'auto'/);
});

test.run();
