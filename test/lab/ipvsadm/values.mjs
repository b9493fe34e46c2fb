// @ts-check
// ipvsadm's argument parsers: service and server addresses, timeouts, firewall marks, netmasks,
// scheduler flags and numbers, each failing with the tool's own message.
import { parseIPv4, parseIPv6 } from './addr.mjs'
import { fail } from './exit.mjs'

/** @typedef {import('./command.mjs').ServiceSpec} ServiceSpec */

/** parse_service() result bits: an address was read; a port was too. */
export const SERVICE_ADDR = 1
export const SERVICE_PORT = 2

/**
 * parse_service(): `[v6]:port`, bare IPv6, or IPv4 (inet_aton) with an optional `:port`.
 * Host and port names need a resolver the lab does not have, like the lab VM.
 * @param {string} text @param {ServiceSpec} into
 */
export function parseService(text, into) {
  if (/^\d*$/.test(text)) return 0
  let body = text
  /** @type {string | undefined} */
  let port
  if (body.startsWith('[')) {
    const close = body.indexOf(']')
    if (close < 0 || body[close + 1] !== ':') return 0
    port = body.slice(close + 2)
    body = body.slice(1, close)
  }
  const v6 = parseIPv6(body)
  if (v6 !== undefined) {
    Object.assign(into, { af: 6, addr: v6, netmask: 128 })
  } else {
    // Like ipvsadm, a bracketed IPv4 address loses its port here: only a colon inside counts.
    port = body.includes(':') ? body.slice(body.lastIndexOf(':') + 1) : undefined
    if (port !== undefined) body = body.slice(0, body.lastIndexOf(':'))
    const v4 = parseIPv4(body)
    if (v4 === undefined) return 0
    Object.assign(into, { af: 4, addr: v4 })
  }
  if (port === undefined) return SERVICE_ADDR
  const number = toNumber(port, 0, 65535)
  if (number === undefined) return 0
  into.port = number
  return SERVICE_ADDR | SERVICE_PORT
}

/** @param {string} text @param {number} min @param {number} max */
export function parseTimeout(text, min, max) {
  const n = toNumber(text, min, max)
  if (n === undefined) throw fail(`invalid timeout value \`${text}' specified`)
  return n
}

/** @param {string} text */
export function parseFwmark(text) {
  const n = /^\s*[-+]?\d+$/.test(text) ? Number(text.trim()) : Number.NaN
  if (!(n > 0 && n <= 4294967295)) throw fail(`invalid fwmark value \`${text}' specified`)
  return n
}

/** @param {string} text @param {number} af */
export function parseNetmask(text, af) {
  if (af === 6) {
    const n = Number.parseInt(text, 10)
    if (!(n >= 1 && n <= 128)) throw fail('illegal ipv6 netmask specified')
    return n
  }
  const mask = parseIPv4(text)
  if (mask === undefined) throw fail('illegal virtual server persistent mask specified')
  return mask
}

/** @param {string} sched @param {string} text */
export function parseSchedFlags(sched, text) {
  let flags = 0
  for (const flag of text.split(',').filter(Boolean)) {
    const generic = { 'flag-1': 1, 'flag-2': 2, 'flag-3': 4 }[flag]
    const own = {
      'sh-fallback': ['sh', 1],
      'sh-port': ['sh', 2],
      'mh-fallback': ['mh', 1],
      'mh-port': ['mh', 2],
    }[flag]
    if (generic) flags |= generic
    else if (own) {
      flags |= Number(own[1])
      if (sched !== own[0]) throw fail(`incompatible scheduler flag \`${flag}'`)
    } else throw fail(`invalid scheduler flag \`${flag}'`)
  }
  return flags
}

/** string_to_number(): strtol in base 10, whole string, within [min, max]. */
export function toNumber(
  /** @type {string} */ text,
  /** @type {number} */ min,
  /** @type {number} */ max,
) {
  if (!/^\s*[-+]?\d+$/.test(text)) return undefined
  const n = Number(text.trim())
  return n >= min && n <= max ? n : undefined
}
