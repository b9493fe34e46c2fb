// Points inside a YAML string value: the line and column of a CEL error within `if:` or `${{ }}`.
import { isScalar } from 'yaml'
import { positionOf, type YamlSource } from '../inventory/index.ts'

/**
 * The file position of character `offset` of the string value at `path`. Quotes, block headers,
 * indentation and line folding are walked over; when the text cannot be aligned (escapes), the
 * start of the value is returned.
 *
 * @example
 * positionInValue(source, text, ['if'], 12) // { line: 4, col: 17 }
 */
export function positionInValue(
  source: YamlSource,
  text: string,
  path: readonly (string | number)[],
  offset: number,
): { line: number; col: number } {
  const start = positionOf(source, path)
  const node = source.doc.getIn(path, true)
  if (!isScalar(node) || !node.range || typeof node.value !== 'string') return start
  const value = node.value
  const raw = text.slice(node.range[0], node.range[1])
  let j = bodyStart(raw, node.type)
  for (let i = 0; i < Math.min(offset, value.length); i++) {
    const found = raw.indexOf(value[i]!, j)
    if (found < 0 || found - j > 200) return start
    j = found + 1
  }
  while (j < raw.length && /\s/.test(raw[j]!) && /\S/.test(value[offset] ?? '')) j++
  const at = source.lines.linePos(node.range[0] + j)
  return { line: at.line, col: at.col }
}

function bodyStart(raw: string, type: string | undefined): number {
  if (type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE') return 1
  if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') {
    const newline = raw.indexOf('\n')
    return newline < 0 ? raw.length : newline + 1
  }
  return 0
}
