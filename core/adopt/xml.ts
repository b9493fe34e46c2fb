// Safe XML for cluster.conf and CIBs: no entities, syntax errors positioned, elements findable by line.
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { Origin } from './draft.ts'
import { inputError } from './input.ts'

/** An element as parsed: attributes (no prefix) and child elements, always as arrays. */
export type XmlElement = { [key: string]: string | XmlElement[] | undefined }

/** A parsed XML file that can say on which line an element with a given id starts. */
export interface XmlSource {
  file: string
  root: XmlElement
  rootName: string
  /** The line of the first `<tag … attr="value"`, or of the root when not found. */
  lineOf(tag: string, attr?: string, value?: string): Origin
  /** Every start tag in document order, for duplicate-id checks. */
  tags: { tag: string; attrs: Record<string, string>; at: Origin }[]
}

const TAG =
  /<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g
const ATTR = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
})

/**
 * Parses XML an administrator hands in. A DTD with entity declarations is refused outright:
 * entities are how "billion laughs" bombs expand a kilobyte into gigabytes.
 */
export function parseXml(file: string, text: string): XmlSource {
  const starts = lineStarts(text)
  const lineAt = (offset: number) => ({ file, line: lineIndex(starts, offset) })
  const entity = /<!ENTITY\b/.exec(text)
  if (entity)
    throw inputError(
      lineAt(entity.index),
      'XML entity declarations are refused (an entity bomb can expand to gigabytes); remove the DOCTYPE',
    )
  const doctype = /<!DOCTYPE\b/.exec(text)
  if (doctype)
    throw inputError(lineAt(doctype.index), 'a DOCTYPE is refused: cluster configs have none')
  const tags: XmlSource['tags'] = []
  const open: { tag: string; at: Origin }[] = []
  let mismatched = false
  const withoutComments = text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '))
  for (const m of withoutComments.matchAll(TAG)) {
    const at = lineAt(m.index)
    if (m[1]) {
      mismatched = open.pop()?.tag !== m[1]
      if (mismatched) break // the validator below says where
      continue
    }
    const attrs: Record<string, string> = {}
    for (const a of m[3]!.matchAll(ATTR)) attrs[a[1]!] = a[2] ?? a[3] ?? ''
    tags.push({ tag: m[2]!, attrs, at })
    if (!m[4]) open.push({ tag: m[2]!, at })
  }
  const unclosed = mismatched ? undefined : open[open.length - 1]
  const valid = XMLValidator.validate(text)
  if (valid !== true && unclosed)
    throw inputError(
      unclosed.at,
      `<${unclosed.tag}> is never closed: the file ends first (truncated?)`,
    )
  if (valid !== true)
    throw inputError({ file, line: valid.err.line }, `not well-formed XML: ${valid.err.msg}`)
  const parsed = parser.parse(text) as XmlElement
  const rootName = Object.keys(parsed).find((k) => Array.isArray(parsed[k]))
  if (!rootName) throw inputError({ file, line: 1 }, 'no root element')
  const root = (parsed[rootName] as XmlElement[])[0] ?? {}
  return {
    file,
    root,
    rootName,
    tags,
    lineOf(tag, attr, value) {
      const hit = tags.find((t) => t.tag === tag && (attr === undefined || t.attrs[attr] === value))
      return hit?.at ?? { file, line: 1 }
    },
  }
}

/** Child elements of `el` named `tag` (none: empty). */
export function children(el: XmlElement | undefined, tag: string): XmlElement[] {
  const list = el?.[tag]
  return Array.isArray(list) ? list : []
}

export function attr(el: XmlElement, name: string): string | undefined {
  const v = el[name]
  return typeof v === 'string' ? v : undefined
}

function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1)
  return starts
}

function lineIndex(starts: number[], offset: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return lo + 1
}
