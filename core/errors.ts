// The one error hierarchy of tandem: every error carries a string-literal code and keeps its cause.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'POLICY_INVALID'
  | 'SECRET_UNRESOLVED'
  | 'STORE_UNAVAILABLE'
  | 'STORE_CONFLICT'
  | 'PLUGIN_INVALID'
  | 'PLUGIN_ACTION_FAILED'
  | 'ACTION_TIMEOUT'
  | 'ACTION_BLOCKED'
  | 'FENCE_UNCONFIRMED'
  | 'COMMAND_FAILED'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'BAD_REQUEST'
  | 'STALE_LEADER'

/**
 * Base class of every error tandem raises on purpose.
 *
 * @example
 * throw new TandemError('FENCE_UNCONFIRMED', '[fence] node2 still answers after off', { cause })
 */
export class TandemError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TandemError'
    this.code = code
  }
}

/** One problem found in a user's file, positioned so an editor can jump to it. */
export interface SourceIssue {
  file: string
  line: number
  col: number
  /** Field path in the operator's words, e.g. `services[0].real_servers[1].weight`. */
  field: string
  message: string
}

/** A file (config or policy) that failed to load; `issues` lists every problem found. */
export class ConfigError extends TandemError {
  readonly issues: SourceIssue[]

  constructor(issues: SourceIssue[], code: 'CONFIG_INVALID' | 'POLICY_INVALID' = 'CONFIG_INVALID') {
    super(code, issues.map(formatIssue).join('\n'))
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** `file:line:col: field: message`, the format editors and CI annotators understand. */
export function formatIssue(issue: SourceIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}`
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`
}

/** An issue about a file as a whole (unreadable, too large): positioned at its start. */
export function fileIssue(file: string, message: string): SourceIssue {
  return { file, line: 1, col: 1, field: '', message }
}
