import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tensor, zeros, randn } from '../../src/tensor.js';
import { tidy, memoryStats } from '../../src/memory.js';
import { Rng } from '../../src/random.js';
import { dense } from '../../src/ops/dense.js';
import {
  Module, Sequential, Dense, ReLU, BatchNorm, Dropout, Conv2d, ConvBlock, Flatten,
  moduleFromConfig, registerModuleType, moduleTypes, type ModuleConfig, type ModuleStateDict,
} from '../../src/nn/index.js';

const net = () => new Sequential(
  new ConvBlock({ inChannels: 1, outChannels: 2, batchNorm: true, seed: 1 }),
  new Flatten(),
  new Dense({ inFeatures: 8, outFeatures: 3, seed: 2 }),
);

test('dotted names of parameters and buffers follow the registration order', () => {
  const m = net();
  assert.equal(m.namedParameters().map(([n, t]) => `${n}[${t.shape}]`), ['0.conv.w[3,3,1,2]', '0.bn.gamma[2]', '0.bn.beta[2]', '2.w[8,3]', '2.b[3]']);
  assert.equal(m.namedBuffers().map(([n]) => n), ['0.bn.runningMean', '0.bn.runningVar']);
  assert.equal(Object.keys(m.stateDict()), ['0.conv.w', '0.bn.gamma', '0.bn.beta', '0.bn.runningMean', '0.bn.runningVar', '2.w', '2.b']);
  // The tensors carry their full names (an optimizer's error messages use them).
  assert.equal(m.parameters().map((t) => t.name), ['0.conv.w', '0.bn.gamma', '0.bn.beta', '2.w', '2.b']);
  assert.ok(m.parameters().every((t) => t.requiresGrad));
  assert.ok(m.namedBuffers().every(([, t]) => !t.requiresGrad));
  assert.is(m.numParameters(), 18 + 2 + 2 + 24 + 3);
  m.dispose();
});

test('train() / eval() reach every submodule; a module added later takes its parent\'s mode', () => {
  const m = net();
  assert.ok(m.training);
  m.eval();
  const all = (x: Module): Module[] => [x, ...x.namedChildren().flatMap(([, c]) => all(c))];
  assert.ok(all(m).every((x) => !x.training));
  assert.is(m.train(), m);
  assert.ok(all(m).every((x) => x.training));
  m.train(false);
  assert.ok(all(m).every((x) => !x.training));
  m.dispose();
});

test('stateDict holds copies; loadStateDict puts values back into the same tensors', () => tidy(() => {
  const m = net();
  const sd = m.stateDict();
  const w = m.namedParameters()[0][1];
  sd['0.conv.w'].data[0] = 42;
  assert.is.not(w.data[0], 42);
  const before = w;
  m.loadStateDict(sd);
  assert.is(w.data[0], 42);
  assert.is(m.namedParameters()[0][1], before);
  m.dispose();
}));

test('loadStateDict names what is missing, unexpected and mismatched, and changes nothing', () => {
  const m = net();
  const good = m.stateDict();
  const snapshot = JSON.stringify(Array.from(m.parameters()[3].data));
  const bad: ModuleStateDict = { ...good, extra: { shape: [1], data: new Float32Array(1) } };
  delete bad['0.bn.runningVar'];
  bad['2.w'] = { shape: [3, 8], data: new Float32Array(24) };
  bad['2.b'] = { shape: [3], data: new Float32Array(2) };
  try {
    m.loadStateDict(bad);
    assert.unreachable('should have thrown');
  } catch (err) {
    const msg = (err as Error).message;
    assert.instance(err, RangeError);
    assert.match(msg, /^Sequential\.loadStateDict: expected the 7 tensors of this Sequential with their shapes, got /);
    assert.match(msg, /missing 0\.bn\.runningVar/);
    assert.match(msg, /unexpected extra/);
    assert.match(msg, /2\.w: shape \[3,8\], the module has \[8,3\]/);
    assert.match(msg, /2\.b: 2 values for shape \[3\]/);
  }
  assert.is(JSON.stringify(Array.from(m.parameters()[3].data)), snapshot);
  assert.throws(() => m.loadStateDict(null as never), /Sequential\.loadStateDict: expected a state dict/);
  assert.throws(() => m.loadStateDict({ ...good, '2.b': { shape: [3] } as never }), /mismatched 2\.b: data is undefined/);
  m.dispose();
});

test('loadStateDict refuses NaN and Inf, naming the tensor, and loads nothing', () => {
  const m = net();
  const sd = m.stateDict();
  sd['0.conv.w'].data.fill(7);
  sd['2.b'].data[1] = NaN;
  sd['2.b'].data[2] = -Infinity;
  assert.throws(() => m.loadStateDict(sd), /Sequential\.loadStateDict: expected finite values, got 2 NaN\/Inf values in '2\.b'; nothing was loaded/);
  assert.is.not(m.parameters()[0].data[0], 7);
  m.dispose();
});

test('a state dict made of plain arrays (e.g. from JSON) loads too', () => tidy(() => {
  const a = new Dense({ inFeatures: 2, outFeatures: 2, seed: 3 });
  const b = new Dense({ inFeatures: 2, outFeatures: 2, seed: 4 });
  const sd = JSON.parse(JSON.stringify(a.stateDict(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
  b.loadStateDict(sd);
  assert.equal(b.w.toArray(), a.w.toArray());
  a.dispose(); b.dispose();
}));

test('dispose frees every parameter, buffer and gradient', () => {
  const run = () => {
    const m = net();
    tidy(() => {
      const y = m.forward(randn([2, 4, 4, 1], new Rng(1)));
      y.backward(zeros(y.shape));
    });
    assert.ok(m.parameters()[0].grad);
    m.dispose();
    return m;
  };
  run(); // the ops' persistent workspaces are allocated once
  const live = memoryStats().liveBytes;
  const m = run();
  assert.is(memoryStats().liveBytes, live);
  assert.ok(m.parameters().every((t) => t.disposed));
  assert.ok(m.namedBuffers().every(([, t]) => t.disposed));
});

class Scale extends Module {
  readonly k: number;
  readonly s: Tensor;
  constructor(opts: { k: number }) {
    super();
    this.k = opts.k;
    this.s = this.addParameter('s', tensor(Array(opts.k).fill(2), [opts.k]));
  }
  forward(x: Tensor): Tensor { return dense(x, zeros([this.k, this.k])); }
  config(): ModuleConfig { return { type: 'Scale', k: this.k }; }
}

test('a user module registers its type and rebuilds from its config inside a Sequential', () => {
  registerModuleType('Scale', (c) => new Scale({ k: c.k as number }));
  assert.ok(moduleTypes().includes('Scale'));
  const m = new Sequential(new Scale({ k: 3 }), new ReLU());
  const copy = moduleFromConfig(JSON.parse(JSON.stringify(m.config())));
  assert.instance((copy as Sequential).layers[0], Scale);
  assert.equal(Object.keys(copy.stateDict()), ['0.s']);
  assert.throws(() => registerModuleType('Scale', () => new ReLU()), /registerModuleType: the module type 'Scale' is already registered/);
  m.dispose(); copy.dispose();
});

test('registry and naming errors', () => {
  assert.throws(() => moduleFromConfig({ type: 'Conv3d' }), /moduleFromConfig: expected config\.type to be one of 'Conv2d', 'Dense', .*got "Conv3d"; register your own types with registerModuleType/);
  assert.throws(() => moduleFromConfig(null as never), /moduleFromConfig: expected a module config \{ type, … \}, got null/);
  assert.throws(() => moduleFromConfig({ type: 'Sequential', layers: 3 }), /Sequential: expected config\.layers to be an array/);
  assert.throws(() => new Sequential(new ReLU(), 3 as never), /Sequential: expected argument 1 to be a Module, got 3/);
  class Twice extends Module {
    constructor() { super(); this.addModule('a', new ReLU()); this.addParameter('a', zeros([1])); }
    forward(x: Tensor): Tensor { return x; }
    config(): ModuleConfig { return { type: 'Twice' }; }
  }
  assert.throws(() => new Twice(), /Twice\.addParameter: expected a name not used yet in this module, got 'a', already taken/);
});

test('BatchNorm and Dropout in a Sequential follow train()/eval()', () => tidy(() => {
  const m = new Sequential(new BatchNorm({ numFeatures: 3 }), new Dropout({ rate: 0.5, seed: 1 }));
  const x = randn([4, 3], new Rng(2));
  const a = m.forward(x).toArray();
  m.eval();
  const b = m.forward(x).toArray();
  const c = m.forward(x).toArray();
  assert.not.equal(a, b);
  assert.equal(b, c);
  m.dispose();
}));

test('Conv2d weights named w and b; parameter count of a layer', () => {
  const c = new Conv2d({ inChannels: 3, outChannels: 5, kernelSize: 3, seed: 1 });
  assert.equal(c.namedParameters().map(([n]) => n), ['w', 'b']);
  assert.is(c.numParameters(), 3 * 3 * 3 * 5 + 5);
  c.dispose();
});

test.run();
