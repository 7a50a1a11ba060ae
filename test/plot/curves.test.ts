import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { historyFromReports, rocPlot, trainingCurvesPlot } from '../../src/plot/curves.js';
import { writePlot } from '../../src/plot/write.js';
import type { EpochReport } from '../../src/metric/train.js';

// The same check as in chart.test.ts (a test file cannot import another without running it).
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

const texts = (svg: string) => [...svg.matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]);

const history = Array.from({ length: 6 }, (_, i) => ({ epoch: i + 1, loss: 0.3 / (i + 1), activeFraction: 0.9 - 0.1 * i, valAccuracy: 0.6 + 0.05 * i }));

test('trainingCurvesPlot: two stacked panels (800×700) with loss, active triplets and validation accuracy', () => {
  const p = trainingCurvesPlot(history, { width: 600, height: 520 });
  const png = PNG.sync.read(Buffer.from(p.png));
  assert.equal([png.width, png.height], [600, 520]);
  const t = texts(p.svg);
  for (const l of ['Training', 'loss', 'training loss', 'active triplets', 'validation accuracy', 'fraction', 'epoch']) assert.ok(t.includes(l), l);
  balancedTags(p.svg);
  assert.equal([trainingCurvesPlot(history).width, trainingCurvesPlot(history).height], [800, 700]);
});

test('trainingCurvesPlot: loss only → one panel, 800×500 by default; a NaN loss leaves a gap', () => {
  const p = trainingCurvesPlot([{ epoch: 1, loss: 0.3 }, { epoch: 2, loss: NaN }, { epoch: 3, loss: 0.1 }, { epoch: 4, loss: 0.05 }]);
  assert.equal([p.width, p.height], [800, 500]);
  assert.not.ok(texts(p.svg).includes('fraction'));
  // Epoch 1 alone (a dot), then epochs 3–4.
  assert.is([...p.svg.matchAll(/<polyline [^>]*stroke="#1f77b4"[^>]*clip-path/g)].length, 1);
});

test('trainingCurvesPlot: one epoch still draws (x axis widened around it)', () => {
  const p = trainingCurvesPlot([{ epoch: 1, loss: 0.2, activeFraction: 0.5 }], { width: 400, height: 400 });
  assert.is(p.height, 400);
  assert.ok(texts(p.svg).includes('active triplets'));
});

test('trainingCurvesPlot errors name the entry', () => {
  assert.throws(() => trainingCurvesPlot([]), /trainingCurvesPlot: expected history to be a non-empty array of \{ epoch, loss \}, got an array of length 0/);
  assert.throws(() => trainingCurvesPlot([{ epoch: 1, loss: 1 }, { epoch: NaN, loss: 1 }]), /trainingCurvesPlot: expected history\[1\]\.epoch to be a finite number, got NaN/);
  assert.throws(() => trainingCurvesPlot([{ epoch: 1, loss: '1' as unknown as number }]), /trainingCurvesPlot: expected history\[0\]\.loss to be a number, got "1"/);
});

test('historyFromReports takes loss, health.activeFraction and validation.accuracy', () => {
  const reports = [
    { epoch: 1, loss: 0.5, health: { activeFraction: 0.8 }, validation: { accuracy: 0.7 } },
    { epoch: 2, loss: 0.4 },
  ] as unknown as EpochReport[];
  assert.equal(historyFromReports(reports), [
    { epoch: 1, loss: 0.5, activeFraction: 0.8, valAccuracy: 0.7 },
    { epoch: 2, loss: 0.4, activeFraction: undefined, valAccuracy: undefined },
  ]);
});

const roc = [{ fpr: 0, tpr: 0 }, { fpr: 0, tpr: 0.4 }, { fpr: 0.002, tpr: 0.6 }, { fpr: 0.01, tpr: 0.8 }, { fpr: 0.1, tpr: 0.9 }, { fpr: 0.5, tpr: 0.98 }, { fpr: 1, tpr: 1 }];

test('rocPlot: chance line, AUC in title and legend, EER and marked point labelled', () => {
  const p = rocPlot(roc, { auc: 0.95, eer: 0.1, marked: { fpr: 0.01, tpr: 0.8, label: 'threshold 0.62' }, width: 400, height: 360 });
  const t = texts(p.svg);
  assert.ok(t.includes('ROC curve (AUC 0.9500, EER 10.00%)'), t.join('|'));
  assert.ok(t.includes('ROC (AUC 0.9500)') && t.includes('chance'));
  assert.ok(t.includes('EER 10.00%') && t.includes('threshold 0.62'));
  // The chance line is the dashed diagonal from (0,0) to (1,1): two points, dashed.
  assert.match(p.svg, /<polyline points="[\d.,]+ [\d.,]+" [^>]*stroke="#888888"[^>]*stroke-dasharray/);
  assert.equal([p.width, p.height], [400, 360]);
  balancedTags(p.svg);
});

test('rocPlot logFar: decade ticks from the decade below the smallest FAR > 0; points at FAR 0 left out', () => {
  const p = rocPlot(roc, { logFar: true, width: 400, height: 360 });
  const t = texts(p.svg);
  for (const l of ['1e-3', '0.01', '0.1', '1']) assert.ok(t.includes(l), l);
  const curve = /<polyline points="([^"]*)" [^>]*stroke="#1f77b4"[^>]*clip-path/.exec(p.svg)!;
  assert.is(curve[1].split(' ').length, 5);
  assert.ok(texts(rocPlot(roc, { logFar: true, farMin: 1e-5, width: 400, height: 360 }).svg).includes('1e-5'));
});

test('rocPlot errors name the point or option', () => {
  assert.throws(() => rocPlot([]), /rocPlot: expected points to be a non-empty array of \{ fpr, tpr \}/);
  assert.throws(() => rocPlot([{ fpr: 1.5, tpr: 1 }]), /rocPlot: expected points\[0\]\.fpr to be a finite number in \[0, 1\], got 1\.5/);
  assert.throws(() => rocPlot(roc, { auc: 2 }), /rocPlot: expected auc to be a finite number in \[0, 1\], got 2/);
  assert.throws(() => rocPlot(roc, { marked: { fpr: 0.1, tpr: NaN } }), /rocPlot: expected marked\.tpr/);
});

test('writePlot: no extension → .png and .svg; .png or .svg → that one; atomically (no temporary files left)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'facemetric-plot-'));
  try {
    const p = rocPlot(roc, { width: 300, height: 260 });
    assert.equal(writePlot(join(dir, 'roc'), p), [join(dir, 'roc.png'), join(dir, 'roc.svg')]);
    assert.is(PNG.sync.read(readFileSync(join(dir, 'roc.png'))).width, 300);
    assert.is(readFileSync(join(dir, 'roc.svg'), 'utf8'), p.svg);
    assert.equal(writePlot(join(dir, 'sub', 'only.svg'), p), [join(dir, 'sub', 'only.svg')]);
    assert.not.ok(existsSync(join(dir, 'sub', 'only.svg.png')));
    writePlot(join(dir, 'x.PNG'), p);
    assert.equal(readdirSync(dir).sort(), ['roc.png', 'roc.svg', 'sub', 'x.PNG']);
    writeFileSync(join(dir, 'file'), 'not a directory');
    assert.throws(() => writePlot(join(dir, 'file', 'plot'), p), /writePlot: cannot write .*file[/\\]plot\.png/);
    assert.throws(() => writePlot(join(dir, 'y'), { png: 'x' } as never), /writePlot: expected plot as/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
