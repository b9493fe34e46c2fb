// One send per pooled SMTP connection at a time, so a notice is handed to nodemailer only when a connection is free.
//
// Why: nodemailer's pool queues messages it cannot send yet and sends them later whatever
// happened meanwhile. A notice still in that queue when its attempt timed out was recorded as
// failed, retried, and then arrived twice. Waiting here instead can be given up safely.

interface Slots {
  size: number
  busy: number
  waiting: (() => void)[]
}

const channels = new Map<string, Slots>()

/**
 * Waits for a free connection of `channel` (at most `size` sends at once); resolves to the
 * release function, or to undefined when `signal` aborts first (nothing was sent).
 */
export async function acquireSlot(
  channel: string,
  size: number,
  signal: AbortSignal,
): Promise<(() => void) | undefined> {
  let slots = channels.get(channel)
  if (!slots || slots.size !== size) {
    slots = { size, busy: slots?.busy ?? 0, waiting: slots?.waiting ?? [] }
    channels.set(channel, slots)
  }
  const own = slots
  const release = () => {
    own.busy--
    own.waiting.shift()?.()
  }
  if (own.busy < own.size) {
    own.busy++
    return release
  }
  if (signal.aborted) return undefined
  return new Promise((resolve) => {
    const turn = () => {
      signal.removeEventListener('abort', giveUp)
      own.busy++
      resolve(release)
    }
    const giveUp = () => {
      own.waiting = own.waiting.filter((w) => w !== turn)
      resolve(undefined)
    }
    own.waiting.push(turn)
    signal.addEventListener('abort', giveUp, { once: true })
  })
}
