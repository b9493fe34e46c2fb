// `${{ cel }}` templates in step inputs: compiled once, resolved to one typed, inert value each.
import { type CelProgram, type CelVars, compileCel } from './cel.ts'
import { plainValue } from './views.ts'

/** A step input with its templates compiled; literals are kept as they are. */
export type TemplateValue =
  | { kind: 'literal'; value: unknown }
  /** The whole string is one template: the result keeps its type (string, number, bool, list). */
  | { kind: 'expr'; program: CelProgram }
  /** Text with templates inside: always a string; each template must give a scalar. */
  | { kind: 'text'; parts: (string | CelProgram)[] }
  | { kind: 'list'; items: TemplateValue[] }
  | { kind: 'object'; entries: [string, TemplateValue][] }

export type Path = (string | number)[]

/** A template that failed to compile, at `offset` characters into the string at `path`. */
export interface TemplateProblem {
  path: Path
  offset: number
  message: string
}

/** Where a template sits and what CEL says it yields (`dyn` when it cannot tell). */
export interface TemplatedPath {
  path: Path
  type: string
}

/** A resolved value that must not reach a command: the message names the input field. */
export class TemplateError extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message)
    this.name = 'TemplateError'
  }
}

const OPEN = '${{'

/** True when `text` holds at least one `${{ }}`. */
export function hasTemplate(text: unknown): text is string {
  return typeof text === 'string' && text.includes(OPEN)
}

/**
 * Compiles every template inside `value` (strings, lists, mappings at any depth).
 *
 * @example
 * const { value } = compileTemplates({ node: '${{ event.labels.node }}' })
 * resolveTemplates(value, vars) // { node: 'node2' }
 */
export function compileTemplates(
  value: unknown,
  options: { itemType?: string; path?: Path } = {},
): { value: TemplateValue; problems: TemplateProblem[]; typed: TemplatedPath[] } {
  const problems: TemplateProblem[] = []
  const typed: TemplatedPath[] = []
  const compiled = compileAt(value, options.path ?? [], options.itemType, problems, typed)
  return { value: compiled, problems, typed }
}

/** One `${{ expr }}` string compiled on its own (foreach lists, incident keys). */
export function compileOne(
  text: string,
  itemType?: string,
): { program: CelProgram } | { problem: TemplateProblem } {
  const pieces = splitTemplate(text)
  if ('problem' in pieces) return { problem: { path: [], ...pieces.problem } }
  const [only] = pieces.parts
  if (pieces.parts.length !== 1 || only === undefined || typeof only === 'string')
    return {
      problem: { path: [], offset: 0, message: `expected exactly one ${OPEN} expression }}` },
    }
  const compiled = compileCel(only.source, { itemType })
  if ('problem' in compiled)
    return {
      problem: {
        path: [],
        offset: only.offset + compiled.problem.start,
        message: compiled.problem.message,
      },
    }
  return { program: compiled.program }
}

/**
 * Resolves compiled templates against the CEL variables. Every value a template produced is
 * checked to be inert as a single argv element: no control characters or newlines (they would
 * split stdin `key=value` lines), no leading `-` (a tool would read it as an option).
 */
export function resolveTemplates(value: TemplateValue, vars: CelVars, path: Path = []): unknown {
  switch (value.kind) {
    case 'literal':
      return value.value
    case 'expr':
      return inert(runAt(value.program, vars, path), path)
    case 'text':
      return inert(
        value.parts
          .map((part) => (typeof part === 'string' ? part : scalarText(part, vars, path)))
          .join(''),
        path,
      )
    case 'list':
      return value.items.map((item, i) => resolveTemplates(item, vars, [...path, i]))
    case 'object':
      return Object.fromEntries(
        value.entries.map(([key, item]) => [key, resolveTemplates(item, vars, [...path, key])]),
      )
  }
}

/** Runs a program and returns its result as plain data, failures as TemplateError. */
export function runAt(program: CelProgram, vars: CelVars, path: Path): unknown {
  try {
    return plainValue(program.run(vars))
  } catch (error) {
    throw new TemplateError(path, `${shown(program)}: ${(error as Error).message}`)
  }
}

/** `${{ expr }}` on one line, for messages. */
export function shown(program: CelProgram): string {
  return `${OPEN} ${program.display} }}`
}

function compileAt(
  value: unknown,
  path: Path,
  itemType: string | undefined,
  problems: TemplateProblem[],
  typed: TemplatedPath[],
): TemplateValue {
  if (Array.isArray(value))
    return {
      kind: 'list',
      items: value.map((v, i) => compileAt(v, [...path, i], itemType, problems, typed)),
    }
  if (value && typeof value === 'object')
    return {
      kind: 'object',
      entries: Object.entries(value).map(([k, v]) => [
        k,
        compileAt(v, [...path, k], itemType, problems, typed),
      ]),
    }
  if (!hasTemplate(value)) return { kind: 'literal', value }
  const pieces = splitTemplate(value)
  if ('problem' in pieces) {
    problems.push({ path, ...pieces.problem })
    return { kind: 'literal', value }
  }
  const parts: (string | CelProgram)[] = []
  for (const part of pieces.parts) {
    if (typeof part === 'string') {
      parts.push(part)
      continue
    }
    const compiled = compileCel(part.source, { itemType })
    if ('problem' in compiled) {
      problems.push({
        path,
        offset: part.offset + compiled.problem.start,
        message: compiled.problem.message,
      })
      return { kind: 'literal', value }
    }
    if (pieces.parts.length > 1 && !SCALAR.test(compiled.program.type)) {
      problems.push({
        path,
        offset: part.offset,
        message: `a template inside text must give a string, number or bool, not ${compiled.program.type}`,
      })
      return { kind: 'literal', value }
    }
    parts.push(compiled.program)
  }
  if (parts.length === 1 && typeof parts[0] !== 'string') {
    typed.push({ path, type: parts[0]!.type })
    return { kind: 'expr', program: parts[0]! }
  }
  typed.push({ path, type: 'string' })
  return { kind: 'text', parts }
}

const SCALAR = /^(string|int|uint|double|bool|dyn)$/

function scalarText(program: CelProgram, vars: CelVars, path: Path): string {
  const value = runAt(program, vars, path)
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return inertText(String(value), path)
  throw new TemplateError(
    path,
    `${shown(program)} gave ${describe(value)}; inside text only a string, number or bool fits`,
  )
}

function inert(value: unknown, path: Path): unknown {
  if (typeof value === 'string') {
    inertText(value, path)
    if (value.startsWith('-'))
      throw new TemplateError(
        path,
        `template result ${JSON.stringify(value)} starts with "-" and could be read as an option; refused`,
      )
    return value
  }
  if (Array.isArray(value)) return value.map((item, i) => inert(item, [...path, i]))
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inert(v, [...path, k])]))
  return value
}

function inertText(text: string, path: Path): string {
  const control = /[\u0000-\u001f\u007f]/.exec(text)
  if (control)
    throw new TemplateError(
      path,
      `template result ${JSON.stringify(text)} holds a control character (${JSON.stringify(control[0])}); refused`,
    )
  return text
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'a map' : typeof value
}

/**
 * Splits text into literal runs and `${{ … }}` expressions. The closing `}}` is found by
 * scanning CEL tokens, so map literals and strings holding `}}` do not end a template early.
 */
function splitTemplate(
  text: string,
):
  | { parts: (string | { source: string; offset: number })[] }
  | { problem: { offset: number; message: string } } {
  const parts: (string | { source: string; offset: number })[] = []
  let at = 0
  while (at < text.length) {
    const open = text.indexOf(OPEN, at)
    if (open < 0) {
      parts.push(text.slice(at))
      break
    }
    if (open > at) parts.push(text.slice(at, open))
    const start = open + OPEN.length
    const close = closingBraces(text, start)
    if (close < 0) return { problem: { offset: open, message: `unclosed ${OPEN}: expected }}` } }
    const raw = text.slice(start, close)
    const lead = raw.length - raw.trimStart().length
    const source = raw.trim()
    if (!source) return { problem: { offset: open, message: `empty ${OPEN} }}` } }
    parts.push({ source, offset: start + lead })
    at = close + 2
  }
  return { parts }
}

function closingBraces(text: string, from: number): number {
  let depth = 0
  let quote: string | undefined
  for (let i = from; i < text.length; i++) {
    const c = text[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = undefined
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (c === '{') depth++
    else if (c === '}') {
      if (depth === 0) return text[i + 1] === '}' ? i : -1
      depth--
    }
  }
  return -1
}
