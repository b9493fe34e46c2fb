// The imported inventory as readable YAML: each entry says in a comment which file:line it came from.
import { Document, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml'
import type { Origin } from './draft.ts'
import { where } from './draft.ts'

/** Renders config input with `# from file:line` comments above every entry that has an origin. */
export function writeYaml(
  config: Record<string, unknown>,
  origins: Map<object, Origin[]>,
  header: string[],
): string {
  const doc = new Document(config)
  annotate(config, doc.contents as YamlNode, origins)
  doc.commentBefore = header.map((l) => (l ? ` ${l}` : '')).join('\n')
  // Short entries stay on one line where they fit: a real server, a check, a node.
  return doc.toString({ lineWidth: 100, flowCollectionPadding: true })
}

function annotate(
  value: unknown,
  node: YamlNode | undefined,
  origins: Map<object, Origin[]>,
): void {
  if (!node || value === null || typeof value !== 'object') return
  const from = origins.get(value)
  if (from?.length) node.commentBefore = ` from ${from.map(where).join(', ')}`
  if (isSeq(node) && node.items.every(isScalar)) node.flow = true
  if (isMap(node) && node.items.length <= 4 && node.items.every((p) => isScalar(p.value)))
    node.flow = true
  if (Array.isArray(value) && isSeq(node)) {
    value.forEach((item, i) => void annotate(item, node.items[i] as YamlNode, origins))
    return
  }
  if (isMap(node))
    for (const pair of node.items) {
      const key = (pair.key as { value?: unknown } | null)?.value
      annotate((value as Record<string, unknown>)[String(key)], pair.value as YamlNode, origins)
    }
}
