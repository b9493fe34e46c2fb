// The cluster's own view of its members, read from a plugin probe's data (rgmanager, Pacemaker).
import { z } from 'zod'

/** A membership view: who the cluster manager counts as a live member, and whether it has quorum. */
export interface MembershipView {
  /** Node name → live member (true) or known but not a live member (false). */
  members: Map<string, boolean>
  /** false: an inquorate partition, whose view of the others is not evidence. */
  quorate: boolean | undefined
}

const ALIVE = /^(online|up|member|active)$/i
const Node = z.looseObject({
  name: z.string().min(1).optional(),
  node: z.string().min(1).optional(),
  online: z.boolean().optional(),
  unclean: z.boolean().optional(),
  state: z.string().optional(),
})
const View = z.looseObject({
  members: z.array(z.union([z.string().min(1), Node])).optional(),
  nodes: z.array(Node).optional(),
  quorate: z.boolean().nullable().optional(),
  quorum: z
    .union([z.boolean(), z.looseObject({ quorate: z.boolean().nullable().optional() })])
    .nullable()
    .optional(),
})

/**
 * Reads a membership view from probe data, or undefined when the data is not one. The shapes
 * of rgmanager.membership and pacemaker.status: `members` (names of live, clean members) and
 * `nodes` (every node, `{ name, online, unclean? }`), plus `quorate`. With both, a node listed
 * in `nodes` but not in `members` is not a live member (offline, or unclean); with `members`
 * alone, unlisted nodes get no verdict. `{ name, online }` / `{ name, state }` objects in
 * `members` work too.
 *
 * @example
 * membershipOf({ quorate: true, members: ['node1'], nodes: [{ name: 'node1', online: true }, { name: 'node2', online: false }] })
 * // { members: Map { node1 → true, node2 → false }, quorate: true }
 */
export function membershipOf(
  data: Record<string, unknown> | undefined,
): MembershipView | undefined {
  if (!data || (data.members === undefined && data.nodes === undefined)) return undefined
  const parsed = View.safeParse(data)
  if (!parsed.success) return undefined
  const members = new Map<string, boolean>()
  const live = new Set<string>()
  for (const member of parsed.data.members ?? []) {
    if (typeof member === 'string') live.add(member)
    else {
      const name = member.name ?? member.node
      if (name) members.set(name, alive(member))
    }
  }
  for (const name of live) members.set(name, true)
  for (const node of parsed.data.nodes ?? []) {
    const name = node.name ?? node.node
    if (!name || members.has(name)) continue
    members.set(name, parsed.data.members ? live.has(name) && !node.unclean : alive(node))
  }
  const quorum = parsed.data.quorum
  const quorate =
    parsed.data.quorate ?? (typeof quorum === 'object' && quorum ? quorum.quorate : quorum)
  return { members, quorate: quorate ?? undefined }
}

function alive(node: z.output<typeof Node>): boolean {
  if (node.unclean) return false
  return node.online ?? (node.state !== undefined && ALIVE.test(node.state))
}
