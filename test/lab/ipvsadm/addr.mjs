// @ts-check
// Addresses as ipvsadm and the kernel see them: inet_aton/inet_pton parsing, inet_ntop printing,
// and the 32-bit word comparisons ipvsadm sorts by (wrap-around included).

/**
 * @typedef {4 | 6} Family
 * @typedef {{ family: Family, text: string }} Address
 */

/**
 * IPv4 as inet_aton reads it (a.b.c.d, a.b.c, a.b, a; decimal, 0x hex or 0 octal parts).
 * @param {string} text @returns {string | undefined}
 */
export function parseIPv4(text) {
  const parts = text.split('.')
  if (parts.length > 4 || parts.some((p) => !/^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i.test(p)))
    return undefined
  const values = parts.map((p) =>
    /^0x/i.test(p)
      ? Number.parseInt(p.slice(2) || '0', 16)
      : /^0/.test(p)
        ? Number.parseInt(p, 8)
        : Number(p),
  )
  const last = values.pop() ?? 0
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined
  let number = 0
  for (const v of values) number = number * 256 + v
  number = number * 2 ** (8 * (4 - values.length)) + last
  return [24, 16, 8, 0].map((shift) => Math.floor(number / 2 ** shift) % 256).join('.')
}

/**
 * IPv6 as inet_pton reads it, printed back as inet_ntop does; undefined when malformed.
 * @param {string} text @returns {string | undefined}
 */
export function parseIPv6(text) {
  const words = ipv6Words(text)
  return words ? formatIPv6(words) : undefined
}

/** The eight 16-bit groups of an IPv6 address. @param {string} text */
function ipv6Words(text) {
  let hex = text
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const parts = (dotted[2] ?? '').split('.')
    if (parts.some((p) => Number(p) > 255 || /^0\d/.test(p))) return undefined
    const [a = 0, b = 0, c = 0, d = 0] = parts.map(Number)
    hex = `${dotted[1]}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`
  }
  const halves = hex.split('::')
  if (halves.length > 2) return undefined
  const groups = (/** @type {string} */ s) => (s === '' ? [] : s.split(':'))
  const left = groups(halves[0] ?? '')
  const right = halves.length === 2 ? groups(halves[1] ?? '') : []
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined
  const count = left.length + right.length
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined
  const all = [...left, ...new Array(8 - count).fill('0'), ...right]
  return all.map((g) => Number.parseInt(g, 16))
}

/** inet_ntop(AF_INET6): longest run (≥ 2) of zero groups as "::", IPv4-mapped/compatible dotted. */
/** @param {number[]} words */
function formatIPv6(words) {
  const dotted = (/** @type {number} */ hi, /** @type {number} */ lo) =>
    `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  const hi6 = words.slice(0, 6)
  const [w6 = 0, w7 = 0] = words.slice(6)
  if (hi6.every((w, i) => (i === 5 ? w === 0xffff : w === 0))) return `::ffff:${dotted(w6, w7)}`
  if (hi6.every((w) => w === 0) && (w6 !== 0 || w7 > 1)) return `::${dotted(w6, w7)}`
  let best = { at: -1, length: 0 }
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > best.length) best = { at: i, length: j - i }
    i = j === i ? i + 1 : j
  }
  const hex = (/** @type {number[]} */ ws) => ws.map((w) => w.toString(16)).join(':')
  if (best.length < 2) return hex(words)
  return `${hex(words.slice(0, best.at))}::${hex(words.slice(best.at + best.length))}`
}

/** The address as four big-endian 32-bit words (IPv4: one word, then zeros). @param {Address} a */
export function addressWords(a) {
  if (a.family === 4) {
    const [x = 0, y = 0, z = 0, w = 0] = a.text.split('.').map(Number)
    return [((x << 24) | (y << 16) | (z << 8) | w) >>> 0, 0, 0, 0]
  }
  const g = ipv6Words(a.text) ?? []
  return [0, 2, 4, 6].map((i) => (((g[i] ?? 0) << 16) | (g[i + 1] ?? 0)) >>> 0)
}

/**
 * ipvsadm compares addresses as `ntohl(a) - ntohl(b)` in a C int: the difference wraps, so
 * 192.0.2.1 sorts before 10.0.0.1. Compares IPv6 word by word when `a` is IPv6.
 * @param {Address} a @param {Address} b
 */
export function compareAddresses(a, b) {
  const x = addressWords(a)
  const y = addressWords(b)
  const words = a.family === 6 ? 4 : 1
  for (let i = 0; i < words; i++) {
    const r = ((x[i] ?? 0) - (y[i] ?? 0)) | 0
    if (r !== 0) return r
  }
  return 0
}

/** `a.b.c.d:port` or `[v6]:port`, as ipvsadm prints with -n. @param {Address} a @param {number} port */
export function addressPort(a, port) {
  return a.family === 6 ? `[${a.text}]:${port}` : `${a.text}:${port}`
}

/** RTN_UNICAST or RTN_LOCAL for the kernel: not zeronet, multicast or limited broadcast. */
export function isUnicast(/** @type {Address} */ a) {
  if (a.family === 6) {
    const [w0 = 0] = addressWords(a)
    const link = w0 >>> 22 === 0x3fa
    const multicast = w0 >>> 24 === 0xff
    const unspecified = addressWords(a).every((w) => w === 0)
    return !link && !multicast && !unspecified
  }
  const [first = 0] = a.text.split('.').map(Number)
  return first !== 0 && (first < 224 || first > 239) && a.text !== '255.255.255.255'
}
