// The editor area's public door: open the config, apply a change set, preview its impact, save.
export { ChangeError, ConfigChange } from './changes.ts'
export { unifiedDiff } from './diff.ts'
export { type Impact, previewImpact } from './impact.ts'
export { ConfigConflict, type SaveRequest, type SaveResult, saveConfig } from './save.ts'
export {
  buildCandidate,
  type Candidate,
  type ConfigFile,
  type ConfigSnapshot,
  openConfig,
  versionOf,
} from './session.ts'
