// The cluster's own view of its members, read from a plugin probe's data (rgmanager, Pacemaker).
import { z } from 'zod'

/** A membership view: who the cluster manager says is a live member, and whether it has quorum. */
export interface MembershipView {
  members: Map<string, boolean>
  /** false: an inquorate partition, whose view of the others is not evidence. */
  quorate: boolean | undefined
}

const ONLINE = /^(online|up|member|active|true|yes)$/i
const Member = z.union([
  z.string().min(1),
  z.looseObject({
    name: z.string().min(1).optional(),
    node: z.string().min(1).optional(),
    online: z.boolean().optional(),
    state: z.string().optional(),
    status: z.string().optional(),
  }),
])
const View = z.looseObject({
  members: z.array(Member).optional(),
  nodes: z.array(Member).optional(),
  quorate: z.boolean().optional(),
  quorum: z.union([z.boolean(), z.looseObject({ quorate: z.boolean().optional() })]).optional(),
})

/**
 * Reads a membership view from probe data, or undefined when the data is not one. Accepted:
 * `members` (or `nodes`) as names of live members, or as `{ name, online }` / `{ name, state }`
 * objects (state `online`, `member`, `up` ... counts as live), plus `quorate` (or `quorum`).
 *
 * @example
 * membershipOf({ members: [{ name: 'node1', online: true }, { name: 'node2', online: false }], quorate: true })
 */
export function membershipOf(
  data: Record<string, unknown> | undefined,
): MembershipView | undefined {
  if (!data || (data.members === undefined && data.nodes === undefined)) return undefined
  const parsed = View.safeParse(data)
  if (!parsed.success) return undefined
  const members = new Map<string, boolean>()
  for (const member of parsed.data.members ?? parsed.data.nodes ?? []) {
    if (typeof member === 'string') members.set(member, true)
    else {
      const name = member.name ?? member.node
      if (!name) continue
      const state = member.state ?? member.status
      members.set(name, member.online ?? (state !== undefined && ONLINE.test(state)))
    }
  }
  const quorum = parsed.data.quorum
  const quorate = parsed.data.quorate ?? (typeof quorum === 'object' ? quorum.quorate : quorum)
  return { members, quorate }
}
