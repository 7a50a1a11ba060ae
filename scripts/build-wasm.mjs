// Compiles assembly/ to build/facemetric.wasm (release: -O3, SIMD128) and build/facemetric.debug.wasm.
// Each target is written to a temporary file first and then renamed, so a process that is loading
// the module while another one rebuilds it never reads half a file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
mkdirSync(join(root, 'build'), { recursive: true });
const targets = process.argv.includes('--release-only') ? ['release'] : ['release', 'debug'];
for (const target of targets) {
  const final = join(root, 'build', target === 'release' ? 'facemetric.wasm' : 'facemetric.debug.wasm');
  const tmp = `${final}.${process.pid}.tmp`;
  try {
    execFileSync(process.execPath, [asc, '--config', 'asconfig.json', '--target', target, '--outFile', tmp], { cwd: root, stdio: 'inherit' });
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { force: true });
    console.error(`build-wasm: asc failed for target "${target}"`);
    process.exit(1);
  }
}
