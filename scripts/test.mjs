// Runs the uvu suites in dist/test and ends with one plain line `N passed, N failed, N skipped`.
// Arguments: an optional file pattern (regex), e.g. `npm test -- conv2d`.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const uvu = join(root, 'node_modules', 'uvu', 'bin.js');
const pattern = process.argv[2] ? `${process.argv[2]}[^/]*\\.test\\.js$` : '\\.test\\.js$';
const child = spawn(process.execPath, [uvu, 'dist/test', pattern], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
let out = '';
child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
child.on('close', (code) => {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => Number((plain.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
  const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
  if (Number.isFinite(total)) console.log(`\n${passed} passed, ${total - passed} failed, ${skipped} skipped`);
  else console.log(`\n0 passed, 1 failed (uvu exited with code ${code} before its summary)`);
  process.exit(code ?? 1);
});
