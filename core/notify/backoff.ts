// When to try a failed delivery again: exponential backoff with jitter, and the receiver's Retry-After.

/** A Retry-After longer than this is treated as this (a day): a notice must not wait forever. */
export const MAX_RETRY_AFTER_MS = 86_400_000

/**
 * Milliseconds to wait after failed attempt number `attempt` (1-based): `initial · 2^(attempt-1)`
 * capped at `max`, then "equal jitter" (half fixed, half random) so many notices failing together
 * do not retry together. A server's Retry-After is a floor.
 *
 * @example
 * retryDelayMs(3, { initial: 5_000, max: 900_000 }, Math.random) // between 10 s and 20 s
 */
export function retryDelayMs(
  attempt: number,
  retry: { initial: number; max: number },
  random: () => number,
  retryAfterMs?: number,
): number {
  const base = Math.min(retry.max, retry.initial * 2 ** Math.max(0, attempt - 1))
  const delay = base / 2 + (random() * base) / 2
  const floor = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, MAX_RETRY_AFTER_MS)
  return Math.round(Math.max(delay, floor))
}
