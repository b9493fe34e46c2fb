// Reads the lab world's history (world.mjs `facts` diffs, fence agent calls) as failure episodes and fences.
import type { World } from '../lab/world.mjs'

/** One changed fact: `node/N/up`, `node/N/power`, `rg/S`, `xen/G`, `ipvs/T/VIP/RS`, `gnbd/S/N`. */
export interface Change {
  at: number
  key: string
  from: string | number | boolean | null
  to: string | number | boolean | null
  by: string
}

/** A fence agent call as fence_lab logged it (before it acted). */
export interface FenceCall {
  at: number
  agent: string
  device: string
  action: string
  plug?: string
}

/** One failure episode of a node: from its crash to its rejoin (or still open). */
export interface Episode {
  node: string
  failedAt: number
  rejoinedAt?: number
}

/** The world's past, with the questions the invariants ask of it. */
export interface WorldHistory {
  changes: Change[]
  fenceCalls: FenceCall[]
  /** The value of `key` just after time `at` (the last change at or before it). */
  valueAt(key: string, at: number): Change['to'] | undefined
  /** True when `key` had `value` at some moment in [from, to]. */
  heldBetween(key: string, from: number, to: number, test: (v: Change['to']) => boolean): boolean
  episodes(node: string): Episode[]
  /** Times the node was confirmed fenced: its power went off, or storage cut it off. */
  fences(node: string): number[]
}

/** Builds the history view of a world snapshot. */
export function historyOf(world: World): WorldHistory {
  const changes = ((world.history as Change[] | undefined) ?? []).slice()
  const fence = world.fence as { calls?: FenceCall[] } | undefined
  const fenceCalls = (fence?.calls ?? []).slice()
  const byKey = new Map<string, Change[]>()
  for (const change of changes) {
    const list = byKey.get(change.key) ?? []
    list.push(change)
    byKey.set(change.key, list)
  }
  const valueAt = (key: string, at: number) => {
    let value: Change['to'] | undefined
    for (const c of byKey.get(key) ?? []) {
      if (c.at > at) break
      value = c.to
    }
    return value
  }
  return {
    changes,
    fenceCalls,
    valueAt,
    heldBetween(key, from, to, test) {
      if (test(valueAt(key, from) ?? null)) return true
      return (byKey.get(key) ?? []).some((c) => c.at >= from && c.at <= to && test(c.to))
    },
    episodes(node) {
      const episodes: Episode[] = []
      for (const c of byKey.get(`node/${node}/up`) ?? []) {
        const open = episodes.at(-1)
        if (c.from === true && c.to === false && !poweredOffAt(node, c.at, c.by)) {
          if (!open || open.rejoinedAt !== undefined) episodes.push({ node, failedAt: c.at })
        } else if (c.to === true && open && open.rejoinedAt === undefined) open.rejoinedAt = c.at
      }
      return episodes
    },
    fences(node) {
      const times = (byKey.get(`node/${node}/power`) ?? [])
        .filter((c) => c.from === 'on' && c.to === 'off')
        .map((c) => c.at)
      for (const [key, list] of byKey)
        if (key.startsWith('gnbd/') && key.endsWith(`/${node}`))
          times.push(...list.filter((c) => c.to === 'cut').map((c) => c.at))
      return times.sort((a, b) => a - b)
    },
  }

  /** A node that went down because a fence agent switched it off did not fail: it was fenced. */
  function poweredOffAt(node: string, at: number, by: string): boolean {
    return (byKey.get(`node/${node}/power`) ?? []).some(
      (c) => c.at === at && c.by === by && c.to === 'off',
    )
  }
}
