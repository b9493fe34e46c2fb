// Where a check sits in its interval: a fixed phase on the wall clock, so checks spread out and keep their place.

/**
 * When a check is first due on the `now` clock (`start`): at its phase of the interval, a hash
 * of its id, on the wall clock (`wall`). 10,000 checks with one interval spread evenly instead
 * of firing together, and a check keeps its phase across restarts and hand-overs.
 *
 * @example
 * firstDue('web/node1/http', 10_000, performance.now(), Date.now()) // within the next 10 s
 */
export function firstDue(id: string, interval: number, start: number, wall: number): number {
  const phase = Math.floor((spread(id) / 2 ** 32) * interval)
  return start + ((((phase - wall) % interval) + interval) % interval)
}

/** FNV-1a: a cheap, stable hash so a check keeps its place in the interval across restarts. */
function spread(id: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
