// The registry of module types: config.type → a function that builds the module from its config.
// Every built-in module registers itself when src/nn/index.ts is loaded; a user's own module
// registers with registerModuleType so that model files can name it too. Registering a type twice
// is an error (two classes claiming one name would load the wrong one silently).
import { describe, rangeError, typeError } from '../errors.js';
import type { Module, ModuleConfig } from './module.js';

const builders = new Map<string, (config: ModuleConfig) => Module>();

/** Registers a module type under `type` (the `type` of its configs). */
export function registerModuleType(type: string, fromConfig: (config: ModuleConfig) => Module): void {
  if (typeof type !== 'string' || type.length === 0) throw typeError('registerModuleType', 'a non-empty type name', describe(type));
  if (typeof fromConfig !== 'function') throw typeError('registerModuleType', 'a function (config) => Module', describe(fromConfig));
  if (builders.has(type)) throw new Error(`registerModuleType: the module type '${type}' is already registered`);
  builders.set(type, fromConfig);
}

/** The registered module types. */
export function moduleTypes(): string[] {
  return [...builders.keys()];
}

/** Builds a module from its config (architecture only: load the weights with loadStateDict). */
export function moduleFromConfig(config: ModuleConfig): Module {
  const where = 'moduleFromConfig';
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw typeError(where, 'a module config { type, … }', describe(config));
  const build = builders.get(config.type);
  if (build === undefined) {
    throw rangeError(where, `config.type to be one of ${moduleTypes().map((t) => `'${t}'`).join(', ')}`, describe(config.type),
      'register your own types with registerModuleType');
  }
  return build(config);
}
