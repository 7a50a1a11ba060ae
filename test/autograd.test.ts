import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, Tensor } from '../src/tensor.js';
import { defineOp, noGrad, isGradEnabled } from '../src/autograd.js';
import { add, mul, sum, scale } from '../src/ops/elementwise.js';
import { close } from './helpers/close.js';

test('noGrad records nothing and nests', () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const y = noGrad(() => { assert.is(isGradEnabled(), false); return noGrad(() => mul(x, x)); });
  assert.is(isGradEnabled(), true);
  assert.is(y.requiresGrad, false);
  assert.is(y.node, null);
  assert.throws(() => y.backward(), /backward: expected a tensor that requires grad/);
});

test('detach cuts the graph and shares memory', () => {
  const x = tensor([3], [1], { requiresGrad: true });
  const d = mul(x, x).detach();
  assert.is(d.requiresGrad, false);
  const y = sum(mul(x, d)); // dy/dx = d = 9 (d treated as a constant)
  y.backward();
  close((x.grad as Tensor).data, [9]);
});

test('inputs that need no gradient are skipped', () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const c = tensor([5, 7]);
  sum(mul(x, c)).backward();
  close((x.grad as Tensor).data, [5, 7]);
  assert.is(c.grad, null);
});

test('a diamond graph sums both paths', () => {
  const x = tensor([2], [1], { requiresGrad: true });
  const a = scale(x, 3), b = mul(x, x);
  sum(add(a, b)).backward(); // 3 + 2x = 7
  close((x.grad as Tensor).data, [7]);
});

test('a non-scalar root needs its gradient, of its shape', () => {
  const x = tensor([1, 2, 3], [3], { requiresGrad: true });
  const y = scale(x, 2);
  assert.throws(() => y.backward(), /backward: expected a scalar root, or the gradient of a non-scalar root, got root of shape \[3\]/);
  assert.throws(() => y.backward(tensor([1, 1])), /backward: expected a gradient of the root's shape \[3\], got \[2\]/);
  y.backward(tensor([1, 10, 100]));
  close((x.grad as Tensor).data, [2, 20, 200]);
});

test('a backward that returns a gradient of the wrong shape is named', () => {
  const bad = defineOp<undefined>({
    name: 'badop',
    forward: ({ inputs: [x] }) => { const y = new Tensor(x.shape); y.data.set(x.data); return y; },
    backward: () => [tensor([1, 2, 3, 4])],
  });
  const x = tensor([1, 2], [2], { requiresGrad: true });
  assert.throws(() => sum(bad([x], undefined)).backward(), /badop backward: expected the gradient of input 0 to have the input's shape \[2\], got \[4\]/);
});

test('ops refuse non-tensors and disposed tensors', () => {
  assert.throws(() => add([1, 2] as unknown as Tensor, tensor([1, 2])), /add: expected input 0 to be a Tensor/);
  const t = tensor([1]);
  t.dispose();
  assert.throws(() => add(t, t), /disposed/);
});

test('a deep chain does not overflow the stack', () => {
  const x = tensor([1], [1], { requiresGrad: true });
  let y = x;
  for (let i = 0; i < 20000; i++) y = scale(y, 1);
  sum(y).backward();
  close((x.grad as Tensor).data, [1]);
});

test('needsInputGrad: which inputs want a gradient while recording, none inside noGrad (forward saves nothing then)', () => {
  let seen: readonly boolean[] = [];
  const probe = defineOp<undefined>({
    name: 'probe',
    forward(ctx) { seen = ctx.needsInputGrad; return tensor([...ctx.inputs[0].data], [...ctx.inputs[0].shape]); },
    backward(_ctx, dy) { return [dy, null]; },
  });
  const a = tensor([1, 2], [2], { requiresGrad: true }), b = tensor([3, 4], [2]);
  const y = probe([a, b], undefined);
  assert.equal(seen, [true, false]);
  assert.ok(y.requiresGrad && y.node !== null, 'recorded');
  const z = noGrad(() => probe([a, b], undefined));
  assert.equal(seen, [false, false]);
  assert.ok(!z.requiresGrad && !z.node, 'not recorded inside noGrad');
  for (const t of [a, b, y, z]) t.dispose();
});

test.run();
