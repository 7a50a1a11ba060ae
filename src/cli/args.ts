// Shared command-line plumbing: a usage error (exit code 2), option parsing with util.parseArgs,
// and number options checked with messages that name the argument.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad usage: the CLI prints it with the command's help hint and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], io: Io): Promise<number> | number;
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parse(cmd: Command, argv: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError(`${cmd.name}: ${(err as Error).message}`);
  }
}

/** A number option: undefined when absent, a UsageError naming the option when not a number in range. */
export function numberOption(cmd: string, name: string, raw: string | boolean | undefined, { min = -Infinity, max = Infinity, integer = false } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    const what = integer ? 'an integer' : 'a number';
    const range = min > -Infinity && max < Infinity ? ` in [${min}, ${max}]` : min > -Infinity ? ` >= ${min}` : max < Infinity ? ` <= ${max}` : '';
    throw new UsageError(`${cmd}: expected --${name} to be ${what}${range}, got ${JSON.stringify(raw)}`);
  }
  return v;
}
