// `npm run bench [-- --megaface [--scale F]] [-- --quick] [-- --only NAME[,NAME…]] [-- --out FILE] [-- --no-write] [-- --tfjs-cpu-train]`: runs the
// suites, prints one table per suite and the issue-5 targets, and writes bench/RESULTS.md (a run
// with --only writes nothing unless --out is given). Names: the suites below, or the groups
// `kernels` (gemm, conv2d, knn, ops) and `peers` (network, tfjs-kernels, knn-peers). --tfjs-cpu-train
// also times a training step of TF.js's cpu backend (at batch 4: minutes per step). BENCH_WITHOUT=usearch,torch,…
// in the environment treats those peers as absent.
import '../src/cli/v8-flags.js'; // first: before the engine's module is compiled
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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
const USAGE = `npm run bench [-- options]: the benchmark suites side by side with their peers; writes bench/RESULTS.md
  --quick               a short run (fewer samples, smaller peer sizes, no 1M kNN rows)
  --only NAME[,NAME…]   these suites only (${suites.map(([n]) => n).join(', ')}; groups: kernels, peers); writes nothing unless --out
  --out FILE            write the results there instead of bench/RESULTS.md
  --no-write            print only
  --tfjs-cpu-train      also time a training step of TF.js's cpu backend (batch 4, minutes)
  --megaface [--scale F] [--seed N] [--queries N] [--batch N] [--threads N] [--f16] [--keep] [--file F] [--json FILE]
                        the MegaFace-shaped gallery job (4.7 M × 128 at scale 1; see docs/scale.md); its
                        report replaces the MegaFace section of bench/RESULTS.md unless --no-write
  --help                this text
Environment: BENCH_WITHOUT=usearch,torch,… treats those peers as absent; FACEMETRIC_THREADS=n caps the engine's threads.`;
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
if (!args.includes('--megaface')) {
  const flags = new Set(['--quick', '--only', '--out', '--no-write', '--tfjs-cpu-train']);
  const bad = args.find((a, i) => a.startsWith('-') ? !flags.has(a) : !['--only', '--out'].includes(args[i - 1]));
  if (bad !== undefined) {
    console.error(`facemetric bench: unknown argument ${JSON.stringify(bad)}\n\n${USAGE}`);
    process.exit(2);
  }
}
// bench/RESULTS.md keeps the last MegaFace run between these markers; a suite run rewrites the rest.
const MEGA_START = '<!-- megaface:start -->', MEGA_END = '<!-- megaface:end -->';
const resultsFile = `${projectRoot}bench/RESULTS.md`;
function megafaceSection(): string {
  const text = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
  const a = text.indexOf(MEGA_START), b = text.indexOf(MEGA_END);
  return a >= 0 && b > a ? text.slice(a, b + MEGA_END.length) : '';
}
if (args.includes('--megaface')) {
  // The MegaFace-scale job (bench/megaface.ts: 4.7 M × 128 gallery, file, diameters, search) runs on
  // its own: `npm run bench -- --megaface [--scale 0.01] [--json FILE] [--no-write]`; its flags are
  // passed through. Its report is printed as it comes and, unless --no-write, kept in
  // bench/RESULTS.md (replacing the previous MegaFace section, the suites' sections untouched).
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const passed = args.filter((a) => a !== '--megaface' && a !== '--no-write');
  const child = spawn(process.execPath, [fileURLToPath(new URL('./megaface.js', import.meta.url)), ...passed], { stdio: ['ignore', 'pipe', 'inherit'] });
  let report = '';
  child.stdout.on('data', (d: Buffer) => { process.stdout.write(d); report += d.toString(); });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (code === 0 && !args.includes('--no-write')) {
    const section = `${MEGA_START}\n## megaface: the MegaFace-shaped gallery (issue 6)\n\n\`npm run bench -- ${args.join(' ')}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC `
      + `(${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}). Every figure next to the target it serves; `
      + `docs/scale.md reads them.\n\n\`\`\`\n${report.trimEnd()}\n\`\`\`\n${MEGA_END}`;
    const text = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '# facemetric benchmark results\n';
    const old = megafaceSection();
    writeFileSync(resultsFile, old ? text.replace(old, section) : `${text.trimEnd()}\n\n${section}\n`);
    console.log(`\nwrote the MegaFace section of ${resultsFile}`);
  }
  process.exit(code);
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
  // The last MegaFace run's section (written by --megaface) stays at the end of the file.
  const mega = out === resultsFile ? megafaceSection() : '';
  const md = resultsMarkdown({ quick, args, machine, seconds, sections, targets: tg });
  writeFileSync(out, mega ? `${md.trimEnd()}\n\n${mega}\n` : md);
  console.log(`written: ${out}`);
}
