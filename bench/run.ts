// `npm run bench [-- --megaface [--scale F]] [-- --quick] [-- --only NAME[,NAME…]] [-- --out FILE] [-- --no-write] [-- --tfjs-cpu-train]`: runs the
// suites, prints one table per suite and the issue-5 targets, and writes bench/RESULTS.md (a run
// with --only writes nothing unless --out is given). Names: the suites below, or the groups
// `kernels` (gemm, conv2d, knn, ops) and `peers` (network, tfjs-kernels, knn-peers). --tfjs-cpu-train
// also times a training step of TF.js's cpu backend (at batch 4: minutes per step). BENCH_WITHOUT=usearch,torch,…
// in the environment treats those peers as absent.
import { writeFileSync } from 'node:fs';
import { engineSingleThread, engineThreadCounts, projectRoot, type BenchRow, type SuiteOptions } from './common.js';
import { machineInfo, resultsMarkdown, rowsText, targets, targetsText } from './report.js';
import { findTorchPython } from './peers/torch.js';

type Suite = (o: SuiteOptions) => Promise<BenchRow[]>;
type Load = () => Promise<{ suite: Suite }>;
const suites: Array<[string, string, Load]> = [
  ['gemm', 'gemm (packed GEMM, micro-kernel peak, dense shapes)', () => import('./gemm.js') as Promise<{ suite: Suite }>],
  ['conv2d', 'conv2d (forward and both backwards at the network\'s shapes)', () => import('./conv2d.js') as Promise<{ suite: Suite }>],
  ['knn', 'kNN kernel (100,000 × 128)', () => import('./knn.js') as Promise<{ suite: Suite }>],
  ['ops', 'ceilings, pooling, L2-normalise, triplet loss, diameter', () => import('./ops.js') as Promise<{ suite: Suite }>],
  ['network', 'the reference network: training step and inference, facemetric vs PyTorch and TensorFlow.js', () => import('./network.js') as Promise<{ suite: Suite }>],
  ['tfjs-kernels', 'matMul and conv2d: facemetric vs TensorFlow.js', () => import('./peers/tfjs-kernels.js') as Promise<{ suite: Suite }>],
  ['knn-peers', 'exact kNN: facemetric vs usearch, hnswlib-node, plain JS', () => import('./peers/knn.js') as Promise<{ suite: Suite }>],
];
const groups: Record<string, string[]> = { kernels: ['gemm', 'conv2d', 'knn', 'ops'], peers: ['network', 'tfjs-kernels', 'knn-peers'] };

const args = process.argv.slice(2);
if (args.includes('--megaface')) {
  // The MegaFace-scale job (bench/megaface.ts: 4.7 M × 128 gallery, file, diameters, search) runs on
  // its own: `npm run bench -- --megaface [--scale 0.01] [--json FILE]`; its flags are passed through.
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./megaface.js', import.meta.url)), ...args.filter((a) => a !== '--megaface')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const quick = args.includes('--quick');
const value = (flag: string) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
const onlyArg = value('--only');
const only = onlyArg ? new Set(onlyArg.split(',').flatMap((n) => groups[n] ?? [n])) : undefined;
const unknown = only ? [...only].filter((n) => !suites.some((s) => s[0] === n)) : [];
if (unknown.length) {
  console.log(`no suite named ${unknown.join(', ')}; suites: ${suites.map((s) => s[0]).join(', ')}; groups: ${Object.keys(groups).join(', ')}`);
  process.exit(1);
}
const out = value('--out') ?? (only || args.includes('--no-write') ? undefined : `${projectRoot}bench/RESULTS.md`);

const py = findTorchPython();
let torchVersion = 'not installed';
if (py) {
  const { execFileSync } = await import('node:child_process');
  try { torchVersion = `${execFileSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim()} (${py})`; } catch { /* keep */ }
}
const hasThreads = await engineSingleThread();
const machine = machineInfo([['torch', torchVersion]]);
console.log(`facemetric bench${quick ? ' --quick' : ''}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.load}`);
console.log(machine.versions.map(([k, v]) => `${k} ${v}`).join(', '));
console.log(hasThreads ? `engine threads: rows on 1 thread unless labelled; facemetric also at ${(await engineThreadCounts()).join(' and ')} threads where a suite says so` : 'engine threads: this engine has no setThreads(): every row is on 1 thread');

const t0 = performance.now();
const sections: Array<[string, BenchRow[]]> = [];
for (const [name, title, load] of suites) {
  if (only && !only.has(name)) continue;
  const s = performance.now();
  let rows: BenchRow[];
  try {
    const { suite } = await load();
    rows = await suite({ quick, flags: args });
  } catch (e) {
    rows = [{ name, impl: '(suite)', ms: NaN, note: `failed: ${(e as Error).message.split('\n')[0]}` }];
  }
  // Rows of the older suites (gemm, conv2d, knn) carry no thread count: the engine and plain JS run on one.
  for (const r of rows) if (r.threads === undefined && !r.impl.startsWith('(')) r.threads = 1;
  sections.push([`${name}: ${title}`, rows]);
  console.log(`\n## ${name}: ${title} (${((performance.now() - s) / 1000).toFixed(0)} s)\n${rowsText(rows)}`);
}
const all = sections.flatMap(([, r]) => r);
const tg = targets(all);
console.log(`\n## Issue 5 targets\n${targetsText(tg)}`);
const seconds = (performance.now() - t0) / 1000;
console.log(`\n${(seconds / 60).toFixed(1)} min`);
if (out) {
  writeFileSync(out, resultsMarkdown({ quick, args, machine, seconds, sections, targets: tg }));
  console.log(`written: ${out}`);
}
