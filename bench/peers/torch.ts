// PyTorch, the peer a user of Python would pick: bench/torch_ref.py runs the same network and
// training step in a child process (same run, one after the other with facemetric's rows) at
// each thread count. Found through `python3` with torch importable (PYTHON overrides the
// interpreter; Debian's /usr/bin/python3 is tried too, where `apt-get install python3-torch`
// puts it while a pyenv python3 may shadow it); otherwise its rows say "not installed".
import { execFileSync } from 'node:child_process';
import { projectRoot, without } from '../common.js';

export interface TorchThreads { train_ips: number; infer_ips: number; train_ms: number; infer_ms: number; torch_threads: number }
export interface TorchResult { torch: string; mkldnn: boolean; batch: number; python: string; threads: Record<string, TorchThreads> }

/** The first interpreter that imports torch, or undefined. */
export function findTorchPython(): string | undefined {
  if (without('torch')) return undefined;
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const py of candidates) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
      return py;
    } catch { /* try the next */ }
  }
  return undefined;
}

/** Runs bench/torch_ref.py at the given thread counts; an error message when it cannot. */
export function runTorch(threads: number[], quick: boolean): TorchResult | { error: string } {
  const py = findTorchPython();
  if (!py) return { error: 'not installed (no python3 that can `import torch`; e.g. apt-get install python3-torch)' };
  try {
    const args = [`${projectRoot}bench/torch_ref.py`, '--threads', threads.join(','), ...(quick ? ['--quick'] : [])];
    const out = execFileSync(py, args, { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const line = out.trim().split('\n').pop() ?? '';
    return { ...(JSON.parse(line) as Omit<TorchResult, 'python'>), python: py };
  } catch (e) {
    return { error: `failed: ${(e as Error).message.split('\n')[0]}` };
  }
}
