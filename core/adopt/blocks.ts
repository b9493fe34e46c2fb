// Brace-block configs (keepalived.conf, Piranha lvs.cf) as a tree of positioned statements.
import { access, readdir } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join } from 'node:path'
import type { Origin } from './draft.ts'
import { inputError, MAX_IMPORT_BYTES, readInput } from './input.ts'

/** One statement: `keyword args…`, with children when it opens a `{ … }` block. */
export interface Statement {
  key: string
  args: string[]
  children?: Statement[]
  /** keepalived's `@name` prefix: the statement applies only to that instance (`-i name`). */
  condition?: string
  at: Origin
}

interface Line {
  words: string[]
  at: Origin
}

const MAX_INCLUDE_DEPTH = 8
const MAX_INCLUDED_FILES = 256

/**
 * Reads a brace-block file and, for keepalived, its `include` files (globs allowed; relative
 * paths resolve against the including file's directory, as keepalived does). Every file is
 * size-capped, and the whole set together too.
 */
export async function readBlocks(
  file: string,
  text: string,
  options: { includes: boolean; separators?: RegExp },
): Promise<Statement[]> {
  const budget = { files: 0, bytes: Buffer.byteLength(text) }
  const lines = await expand(file, text, options, 0, budget)
  return buildTree(lines, file)
}

async function expand(
  file: string,
  text: string,
  options: { includes: boolean; separators?: RegExp },
  depth: number,
  budget: { files: number; bytes: number },
): Promise<Line[]> {
  const out: Line[] = []
  const raw = text.split('\n')
  for (let i = 0; i < raw.length; i++) {
    const at = { file, line: i + 1 }
    const words = splitWords(raw[i] ?? '', at, options.separators)
    if (words.length === 0) continue
    if (!options.includes || words[0] !== 'include') {
      out.push({ words, at })
      continue
    }
    if (depth >= MAX_INCLUDE_DEPTH)
      throw inputError(at, `includes nested deeper than ${MAX_INCLUDE_DEPTH} (an include loop?)`)
    if (!words[1]) throw inputError(at, 'include needs a file name')
    const pattern = isAbsolute(words[1]) ? words[1] : join(dirname(file), words[1])
    const matched = await glob(pattern)
    if (matched.length === 0 && !/[*?[]/.test(pattern))
      throw inputError(at, `include ${words[1]}: no such file`)
    for (const included of matched) {
      budget.files += 1
      if (budget.files > MAX_INCLUDED_FILES)
        throw inputError(at, `more than ${MAX_INCLUDED_FILES} included files`)
      const body = await readInput(included)
      budget.bytes += Buffer.byteLength(body)
      if (budget.bytes > MAX_IMPORT_BYTES)
        throw inputError(
          at,
          'the included files together are larger than 8 MB; refusing to read them',
        )
      out.push(...(await expand(included, body, options, depth + 1, budget)))
    }
  }
  return out
}

function buildTree(lines: Line[], file: string): Statement[] {
  const root: Statement = { key: '', args: [], children: [], at: { file, line: 0 } }
  const stack: Statement[] = [root]
  for (const { words, at } of lines) {
    let current: Statement | undefined
    let condition: string | undefined
    for (const word of words) {
      if (!current && word.startsWith('@') && word.length > 1 && condition === undefined) {
        condition = word.slice(1)
        continue
      }
      const parent = stack[stack.length - 1]!
      if (word === '{') {
        // `{` on a line of its own opens the statement of the line before.
        const opener = current ?? parent.children?.[parent.children.length - 1]
        if (!opener || opener.children) throw inputError(at, '"{" without a keyword before it')
        opener.children = []
        stack.push(opener)
        current = undefined
      } else if (word === '}') {
        if (stack.length === 1) throw inputError(at, '"}" closes nothing')
        stack.pop()
        current = undefined
      } else if (current) current.args.push(word)
      else {
        current = { key: word, args: [], at, ...(condition ? { condition } : {}) }
        parent.children!.push(current)
      }
    }
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!
    throw inputError(
      open.at,
      `"${open.key}" block is never closed: the file ends first (truncated?)`,
    )
  }
  return root.children!
}

/** Words of one line: quotes group, `!`/`#` start a comment, braces stand alone. */
function splitWords(line: string, at: Origin, separators?: RegExp): string[] {
  const words: string[] = []
  let word = ''
  let quoted = false
  let wasQuoted = false
  const flush = () => {
    if (word || wasQuoted) words.push(word)
    word = ''
    wasQuoted = false
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === '\\' && line[i + 1] === '"') {
        word += '"'
        i++
      } else if (c === '"') quoted = false
      else word += c
      continue
    }
    if (c === '"') {
      quoted = true
      wasQuoted = true
    } else if (c === '!' || c === '#') break
    else if (c === '{' || c === '}') {
      flush()
      words.push(c)
    } else if (/\s/.test(c) || separators?.test(c)) flush()
    else word += c
  }
  if (quoted) throw inputError(at, 'unterminated quoted string')
  flush()
  return words
}

/** Shell-style globbing of the last path component, sorted, as keepalived's glob(3) does. */
async function glob(pattern: string): Promise<string[]> {
  const name = basename(pattern)
  if (!/[*?[]/.test(name))
    return access(pattern).then(
      () => [pattern],
      () => [],
    )
  const dir = dirname(pattern)
  const re = new RegExp(
    `^${name
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  )
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch {
    return []
  }
  return entries
    .filter((e) => re.test(e))
    .sort()
    .map((e) => join(dir, e))
}
