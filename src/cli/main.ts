#!/usr/bin/env node
// The facemetric command line: `facemetric <command> [options]`. Exit codes: 0 success, 1 failure,
// 2 bad usage. `--json` prints one machine-readable object on stdout.
import './v8-flags.js'; // first: before the engine's module is compiled
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { UsageError, parse, type Command, type Io } from './args.js';
import { demoCommand } from './demo.js';
import { exampleCommand } from './example.js';
import { trainCommand } from './train.js';
import { enrolCommand } from './enrol.js';
import { identifyCommand } from './identify.js';
import { verifyCommand } from './verify.js';
import { evalCommand } from './eval.js';
import { ensembleCommand } from './ensemble.js';

export const COMMANDS: Command[] = [demoCommand, exampleCommand, trainCommand, enrolCommand, identifyCommand, verifyCommand, evalCommand, ensembleCommand];

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `facemetric — face embeddings with a WebAssembly SIMD tensor engine

usage: facemetric <command> [options]   (facemetric <command> --help for its options)

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

every command takes --json (one JSON object on stdout) and --help.`;
}

/** Runs the CLI on argv (without node and the script); returns the exit code. */
export async function main(argv: string[], io: Io = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  const json = rest.includes('--json');
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const { values, positionals } = parse(cmd, rest);
    if (values.help) { io.out(`usage: ${cmd.usage}`); return 0; }
    return await cmd.run(values, positionals, io);
  } catch (err) {
    const usage = err instanceof UsageError;
    const message = (err as Error).message;
    if (json) io.out(JSON.stringify({ error: message, usage }));
    else io.err(`facemetric: ${message}${usage && cmd ? `\nusage: ${cmd.usage.split('\n')[0]}` : ''}`);
    return usage ? 2 : 1;
  }
}

const isMain = (() => {
  try { return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url)); } catch { return false; }
})();
if (isMain) process.exitCode = await main(process.argv.slice(2));
