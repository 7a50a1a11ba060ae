// `npm run bench [-- --quick] [-- --only NAME]`: runs every suite and prints one table.
import type { BenchRow, SuiteOptions } from './common.js';

type Suite = (o: SuiteOptions) => Promise<BenchRow[]>;
const suites: Array<[string, () => Promise<{ suite: Suite }>]> = [
  ['gemm', () => import('./gemm.js') as Promise<{ suite: Suite }>],
  ['conv2d', () => import('./conv2d.js') as Promise<{ suite: Suite }>],
  ['knn', () => import('./knn.js') as Promise<{ suite: Suite }>],
];

function table(rows: BenchRow[]): string {
  const head = ['benchmark', 'implementation', 'ms', 'GFLOP/s', 'GB/s', 'note'];
  const body = rows.map((r) => [r.name, r.impl, r.ms.toFixed(3), r.gflops?.toFixed(2) ?? '', r.gbps?.toFixed(2) ?? '', r.note ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const all: BenchRow[] = [];
for (const [name, load] of suites) {
  if (only && name !== only) continue;
  const { suite } = await load();
  const rows = await suite({ quick });
  all.push(...rows);
  console.log(`\n## ${name}\n${table(rows)}`);
}
if (only && all.length === 0) console.log(`no suite named ${only}; suites: ${suites.map((s) => s[0]).join(', ')}`);
