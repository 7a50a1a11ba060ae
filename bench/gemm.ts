import type { BenchRow, SuiteOptions } from './common.js';
export async function suite(_o: SuiteOptions): Promise<BenchRow[]> { return []; }
