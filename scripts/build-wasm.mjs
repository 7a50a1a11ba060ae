// Compiles assembly/ to three builds of the engine, each written to a temporary file first and then
// renamed, so a process that is loading the module while another one rebuilds it never reads half
// a file:
//   build/facemetric.wasm          release, -O3, SIMD128 (every runtime with WebAssembly SIMD)
//   build/facemetric.relaxed.wasm  release, -O3, SIMD128 + relaxed SIMD (fused multiply-add in the
//                                  register tiles; see assembly/simd.ts), loaded where the runtime
//                                  validates it
//   build/facemetric.debug.wasm    SIMD128 with assertions and names
// `--release-only` skips the debug build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
mkdirSync(join(root, 'build'), { recursive: true });
const builds = [
  { file: 'facemetric.wasm', target: 'release', extra: [] },
  { file: 'facemetric.relaxed.wasm', target: 'release', extra: ['--enable', 'relaxed-simd'] },
  { file: 'facemetric.debug.wasm', target: 'debug', extra: [] },
].filter((b) => b.target === 'release' || !process.argv.includes('--release-only'));
for (const { file, target, extra } of builds) {
  const final = join(root, 'build', file);
  const tmp = `${final}.${process.pid}.tmp`;
  try {
    execFileSync(process.execPath, [asc, '--config', 'asconfig.json', '--target', target, ...extra, '--outFile', tmp], { cwd: root, stdio: 'inherit' });
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { force: true });
    console.error(`build-wasm: asc failed for ${file}`);
    process.exit(1);
  }
}
