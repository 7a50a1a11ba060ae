// The bench report's pure helpers: recall@k, the targets computed from keyed rows, and the tables.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { recallAtK, jsSearch } from '../../bench/peers/knn.js';
import { markdownTable, ratioCell, targets, textTable } from '../../bench/report.js';
import type { BenchRow } from '../../bench/common.js';

test('recallAtK: 2 queries, 3 of 4 reference neighbours found → 0.75', () => {
  assert.is(recallAtK([[1, 2], [3, 9]], [[2, 1], [3, 4]]), 0.75);
  assert.is(recallAtK([[5]], [[5]]), 1);
  assert.is(recallAtK([[6]], [[5]]), 0);
});

test('recallAtK: mismatched or empty lists are refused', () => {
  assert.throws(() => recallAtK([[1]], [[1], [2]]), /recallAtK: expected as many/);
  assert.throws(() => recallAtK([], []), /recallAtK: expected/);
});

test('jsSearch: n=5 d=2 k=3 nearest first, ties to the lower index', () => {
  const g = new Float32Array([0, 0, 3, 0, 1, 0, 1, 0, 10, 10]);
  assert.equal(jsSearch(g, 5, 2, new Float32Array([0.9, 0]), 0, 3), [2, 3, 0]);
});

const row = (key: string, rate: number): BenchRow => ({ name: key, impl: 'x', ms: 1, rate, key });

test('targets: ratios from keyed rows, met/missed, and not measured without the rows', () => {
  const t = targets([row('train.facemetric.1', 300), row('train.torch.1', 100), row('infer.facemetric.1', 100), row('infer.tfjs-wasm', 50)]);
  const train = t.find((x) => x.target.startsWith('training images/s ≥ 2.5× PyTorch, 1 thread'))!;
  assert.is(train.ratio, 3);
  assert.is(train.status, 'met');
  const inf = t.find((x) => x.target.startsWith('inference ≥ 4× TensorFlow.js wasm'))!;
  assert.is(inf.ratio, 2);
  assert.is(inf.status, 'missed');
  const knn = t.find((x) => x.target.startsWith('kNN single query at 1M ≥ hnswlib'))!;
  assert.is(knn.status, 'not measured');
  assert.ok(Number.isNaN(knn.ratio));
});

test('tables: text columns padded, markdown pipes escaped', () => {
  assert.is(textTable(['a', 'bb'], [['xyz', '1']]), 'a    bb\n---  --\nxyz  1');
  assert.is(markdownTable(['h'], [['a|b']]), '| h |\n| --- |\n| a\\|b |');
});

test('ratioCell: 2 decimals, 3 when rounding would show a miss as the needed value', () => {
  assert.is(ratioCell(1.7986, 1.8), '1.799×');
  assert.is(ratioCell(1.8, 1.8), '1.80×');
  assert.is(ratioCell(2.6712, 4), '2.67×');
  assert.is(ratioCell(0.8496, 0.85), '0.850×');
  assert.is(ratioCell(NaN, 1), '');
});

test.run();
