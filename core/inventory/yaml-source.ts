// Safe YAML reading for files people write: positions for every value, and YAML's traps refused.

import type { Document, Pair, Node as YamlNode } from 'yaml'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml'
import type { z } from 'zod'
import { fileIssue, type SourceIssue } from '../errors.ts'
import { unknownKeyMessage } from './nearest.ts'

/** Files larger than this are refused before parsing: a config is never that big. */
export const MAX_FILE_BYTES = 1024 * 1024
const MAX_ALIASES = 20

/** A parsed YAML file that can point back at the line and column of any value. */
export interface YamlSource {
  file: string
  data: unknown
  doc: Document.Parsed
  lines: LineCounter
}

/**
 * Parses YAML text, refusing what people do not mean: duplicate keys, alias bombs,
 * oversize files, and plain scalars YAML 1.1 tools read differently (`yes`, `0644`, `60:00`).
 *
 * @example
 * const parsed = parseYaml('tandem.yaml', text)
 * if ('issues' in parsed) console.error(parsed.issues)
 */
export function parseYaml(file: string, text: string): YamlSource | { issues: SourceIssue[] } {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES)
    return { issues: [fileIssue(file, tooLarge(Buffer.byteLength(text)))] }
  const lines = new LineCounter()
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    version: '1.2',
  })
  const issues: SourceIssue[] = []
  for (const error of [...doc.errors, ...doc.warnings]) {
    const at = lines.linePos(error.pos[0])
    const message =
      error.code === 'DUPLICATE_KEY'
        ? `duplicate key "${/^[^:\n]*/.exec(text.slice(error.pos[0]))?.[0].trim()}": a key may appear once per mapping`
        : firstLine(error.message)
    issues.push({ file, line: at.line, col: at.col, field: '', message })
  }
  if (issues.length > 0) return { issues }
  issues.push(...yaml11Surprises(file, doc, lines))
  if (issues.length > 0) return { issues }
  let data: unknown
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES })
  } catch (cause) {
    const why = `refused: ${(cause as Error).message} (anchors and aliases are limited to ${MAX_ALIASES} expansions)`
    return { issues: [fileIssue(file, why)] }
  }
  return { file, data, doc, lines }
}

/** The message for a file over its limit (MAX_FILE_BYTES unless the reader says otherwise). */
export function tooLarge(bytes: number, limit = MAX_FILE_BYTES): string {
  return `file is larger than ${limit / (1024 * 1024)} MB (${bytes} bytes); refusing to read it`
}

/** Where a field path points in the source: the value's start, or its parent's when missing. */
export function positionOf(
  source: YamlSource,
  path: readonly PropertyKey[],
  keyOnly = false,
): { line: number; col: number } {
  let node: unknown = source.doc.contents
  let best: { line: number; col: number } = { line: 1, col: 1 }
  for (const key of path) {
    const here = rangeStart(node, source.lines)
    if (here) best = here
    const pair = findPair(node, key)
    if (pair) {
      if (keyOnly && key === path[path.length - 1])
        return rangeStart(pair.key, source.lines) ?? best
      node = pair.value
      continue
    }
    if (isSeq(node) && typeof key === 'number') {
      node = node.items[key]
      continue
    }
    return best
  }
  return rangeStart(node, source.lines) ?? best
}

/** Turns zod issues into positioned issues, with "did you mean" for unknown keys. */
export function zodIssues(
  source: YamlSource,
  error: z.ZodError,
  schema: z.ZodType,
  fieldPrefix = '',
): SourceIssue[] {
  const out: SourceIssue[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key]
        const at = positionOf(source, path, true)
        out.push({
          file: source.file,
          ...at,
          field: fieldPath(path, fieldPrefix),
          message: unknownKeyMessage(key, schema, source.data, issue.path),
        })
      }
      continue
    }
    const at = positionOf(source, issue.path)
    out.push({
      file: source.file,
      ...at,
      field: fieldPath(issue.path, fieldPrefix),
      message: describeIssue(issue),
    })
  }
  return out.sort((a, b) => a.line - b.line || a.col - b.col)
}

/** `services[0].real_servers[1].weight` from `['services', 0, 'real_servers', 1, 'weight']`. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out ? `.${String(part)}` : String(part)
  }
  return out
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // A custom (cross-field) issue's input is the whole parent object: not worth echoing.
  const got =
    issue.code !== 'custom' && 'input' in issue && issue.input !== undefined
      ? `, got ${describeValue(issue.input)}`
      : ''
  switch (issue.code) {
    case 'invalid_type':
      return 'input' in issue && issue.input === undefined
        ? `required: expected ${issue.expected}`
        : `expected ${issue.expected}${got}`
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`
    case 'too_big':
      return `must be at most ${issue.maximum}${issue.origin === 'array' ? ' items' : ''}${got}`
    case 'too_small':
      return `must be at least ${issue.minimum}${issue.origin === 'array' ? ' items' : ''}${got}`
    default:
      return `${issue.message}${got}`
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `${typeof value} ${JSON.stringify(value)}`
}

function findPair(node: unknown, key: PropertyKey): Pair | undefined {
  if (!isMap(node)) return undefined
  return node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key) as
    | Pair
    | undefined
}

function rangeStart(node: unknown, lines: LineCounter): { line: number; col: number } | undefined {
  const range = (node as YamlNode | undefined)?.range
  if (!range) return undefined
  return lines.linePos(range[0])
}

const YAML11_BOOL = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/
const YAML11_OCTAL = /^[-+]?0[0-9_]+$/
const YAML11_SEXAGESIMAL = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/

/** The field path of a node from its ancestors (pairs give keys, sequences give indexes). */
function pathOf(chain: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = []
  chain.forEach((node, i) => {
    const next = chain[i + 1]
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value))
    else if (isSeq(node) && next !== undefined) path.push(node.items.indexOf(next as never))
  })
  return path
}

function yaml11Surprises(file: string, doc: Document.Parsed, lines: LineCounter): SourceIssue[] {
  const issues: SourceIssue[] = []
  visit(doc, {
    Scalar(key, node, ancestors) {
      // Keys are always strings to us (`on:` in a policy is fine); only values are ambiguous.
      if (key === 'key' || node.type !== 'PLAIN' || !node.range) return
      const text = node.source ?? String(node.value)
      const why = YAML11_BOOL.test(text)
        ? 'is a boolean in YAML 1.1 and a string in YAML 1.2'
        : YAML11_OCTAL.test(text)
          ? 'is octal in YAML 1.1 and decimal in YAML 1.2'
          : YAML11_SEXAGESIMAL.test(text)
            ? 'is a base-60 number in YAML 1.1 and a string in YAML 1.2'
            : undefined
      if (!why) return
      const at = lines.linePos(node.range[0])
      const hint = YAML11_BOOL.test(text) ? 'quote it, or write true/false' : 'quote it'
      const field = fieldPath(pathOf([...ancestors, node]))
      issues.push({ file, ...at, field, message: `ambiguous value ${text}: it ${why}; ${hint}` })
    },
  })
  return issues
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '')
}
