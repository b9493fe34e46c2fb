// Reads the location constraints crm_resource --move/--ban leave behind (cli-prefer-*, cli-ban-*) from cibadmin.
import { XMLParser } from 'fast-xml-parser'

/** One constraint left by crm_resource: `cli-prefer-web` → node1, `cli-ban-db-on-node2` → node2. */
export interface CliConstraint {
  id: string
  /** The node it names, from `node=` or from a lifetime rule's `#uname eq <node>` expression. */
  node: string | null
}

type Element = Record<string, unknown>

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  isArray: (name, _path, _leaf, isAttribute) =>
    !isAttribute && ['rsc_location', 'rule', 'expression'].includes(name),
})

/**
 * The cli-* location constraints of `resource` in `cibadmin --query --scope constraints` output.
 * Constraint ids are crm_resource's own: `cli-prefer-<rsc>` and `cli-ban-<rsc>-on-<node>`.
 */
export function cliConstraints(xml: string, resource: string): CliConstraint[] {
  // An empty <constraints/> parses as '' rather than an object.
  const parsed = parser.parse(xml) as { constraints?: { rsc_location?: Element[] } | '' }
  const locations =
    typeof parsed.constraints === 'object' ? (parsed.constraints.rsc_location ?? []) : []
  return locations
    .filter((c) => c.rsc === resource)
    .map((c) => ({ id: String(c.id), node: nodeOf(c) }))
    .filter((c) => c.id === `cli-prefer-${resource}` || c.id.startsWith(`cli-ban-${resource}-on-`))
}

function nodeOf(location: Element): string | null {
  if (typeof location.node === 'string') return location.node
  for (const rule of (location.rule ?? []) as Element[])
    for (const e of (rule.expression ?? []) as Element[])
      if (e.attribute === '#uname' && e.operation === 'eq') return String(e.value)
  return null
}
