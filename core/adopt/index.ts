// The adopt area's public door: import a running site's configs, export LVS configs back out.

export { type ImportOptions, type ImportResult, importSite } from './adopt.ts'
export { type Exported, exportKeepalived } from './export-keepalived.ts'
export { exportLdirectord } from './export-ldirectord.ts'
export { type Finding, type FindingKind, formatReport } from './findings.ts'
export { MAX_IMPORT_BYTES } from './input.ts'
