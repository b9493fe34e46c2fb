// The inventory area's public door: schema, loader, lookups, secrets and safe YAML reading.

export { hasLabels, matchesAll } from './labels.ts'
export {
  DEFAULT_CONFIG_FILE,
  type LoadOptions,
  loadConfig,
  parseConfig,
  readSource,
} from './load.ts'
export { createInventory, type Inventory, type RealServerRef } from './model.ts'
export { nearestName, objectKeysAt, unknownKeyMessage } from './nearest.ts'
export {
  compilePattern,
  MAX_PATTERN_CHARS,
  type Pattern,
  PatternError,
  type PatternProblem,
  patternProblem,
} from './re2.ts'
export { createReloadableInventory, type ReloadableInventory } from './reloadable.ts'
export * from './schema.ts'
export { createSecretResolver, redact, type SecretResolver } from './secrets.ts'
export { INCLUDABLE, includedFiles } from './split.ts'
export type { XrefIssue } from './xref.ts'
export {
  fieldPath,
  MAX_FILE_BYTES,
  parseYaml,
  positionOf,
  type YamlSource,
  zodIssues,
} from './yaml-source.ts'
