// @ts-check
// The command line as libpopt hands it to ipvsadm: long options (exact names, `--x=v`), bundled
// short options (`-Lnc`, `-w5`), optional arguments, `--`, and popt's own error strings.

/** @typedef {'none' | 'required' | 'optional'} ArgKind */
/** @typedef {{ long: string, short?: string, arg: ArgKind, tag: string }} OptionSpec */

/** ipvsadm's option table: `tag` is the short letter, or the long name when there is none. */
export const OPTIONS = /** @type {OptionSpec[]} */ (
  [
    ['add-service', 'A'],
    ['edit-service', 'E'],
    ['delete-service', 'D'],
    ['clear', 'C'],
    ['list', 'L'],
    ['list', 'l'],
    ['zero', 'Z'],
    ['add-server', 'a'],
    ['edit-server', 'e'],
    ['delete-server', 'd'],
    ['set', ''],
    ['help', 'h'],
    ['version', 'v'],
    ['restore', 'R'],
    ['save', 'S'],
    ['start-daemon', '', 'required'],
    ['stop-daemon', '', 'required'],
    ['tcp-service', 't', 'required'],
    ['udp-service', 'u', 'required'],
    ['sctp-service', '', 'required'],
    ['fwmark-service', 'f', 'required'],
    ['scheduler', 's', 'required'],
    ['persistent', 'p', 'optional'],
    ['netmask', 'M', 'required'],
    ['real-server', 'r', 'required'],
    ['masquerading', 'm'],
    ['ipip', 'i'],
    ['gatewaying', 'g'],
    ['weight', 'w', 'required'],
    ['u-threshold', 'x', 'required'],
    ['l-threshold', 'y', 'required'],
    ['numeric', 'n'],
    ['connection', 'c'],
    ['mcast-interface', '', 'required'],
    ['syncid', '', 'required'],
    ['timeout', ''],
    ['daemon', ''],
    ['stats', ''],
    ['rate', ''],
    ['thresholds', ''],
    ['persistent-conn', ''],
    ['nosort', ''],
    ['sort', ''],
    ['exact', 'X'],
    ['ipv6', '6'],
    ['ops', 'o'],
    ['pe', '', 'required'],
    ['sched-flags', 'b', 'required'],
    ['mcast-group', '', 'required'],
    ['mcast-port', '', 'required'],
    ['mcast-ttl', '', 'required'],
    ['sync-maxlen', '', 'required'],
    ['tun-info', ''],
    ['tun-type', '', 'required'],
    ['tun-port', '', 'required'],
    ['tun-nocsum', ''],
    ['tun-csum', ''],
    ['tun-remcsum', ''],
  ].map(([long = '', short = '', arg = 'none']) => ({
    long,
    ...(short ? { short } : {}),
    arg,
    tag: short || long,
  }))
)

/**
 * @typedef {{ kind: 'option', tag: string, arg?: string, text: string }
 *   | { kind: 'error', text: string, reason: string }} PoptItem
 */

/**
 * Walks argv (without argv[0]) like poptGetNextOpt: yields options in order, stops at the first
 * error; `args` collects the non-option arguments (poptGetArg) seen on the way.
 * @param {string[]} argv
 */
export function poptContext(argv) {
  /** @type {string[]} */
  const args = []
  let index = 0
  /** @type {{ text: string, rest: string } | undefined} */
  let cluster
  let optionsDone = false

  /** @returns {PoptItem | undefined} */
  function next() {
    if (cluster?.rest) return shortOption(cluster)
    cluster = undefined
    while (index < argv.length) {
      const text = argv[index++] ?? ''
      if (optionsDone || text === '-' || !text.startsWith('-')) {
        args.push(text)
        continue
      }
      if (text === '--') {
        optionsDone = true
        continue
      }
      if (text.startsWith('--')) return longOption(text)
      cluster = { text, rest: text.slice(1) }
      return shortOption(cluster)
    }
    return undefined
  }

  /** @param {string} text @returns {PoptItem} */
  function longOption(text) {
    const eq = text.indexOf('=')
    const name = text.slice(2, eq < 0 ? undefined : eq)
    const spec = OPTIONS.find((o) => o.long === name)
    if (!spec) return { kind: 'error', text, reason: 'unknown option' }
    if (eq >= 0) {
      if (spec.arg === 'none')
        return { kind: 'error', text, reason: 'option does not take an argument' }
      return { kind: 'option', tag: spec.tag, arg: text.slice(eq + 1), text }
    }
    return withArgument(spec, text, text)
  }

  /** @param {{ text: string, rest: string }} c @returns {PoptItem} */
  function shortOption(c) {
    const letter = c.rest[0] ?? ''
    c.rest = c.rest.slice(1)
    const spec = OPTIONS.find((o) => o.short === letter)
    if (!spec) {
      cluster = undefined
      return { kind: 'error', text: c.text, reason: 'unknown option' }
    }
    if (spec.arg !== 'none' && c.rest) {
      const arg = c.rest
      cluster = undefined
      return { kind: 'option', tag: spec.tag, arg, text: `-${letter}` }
    }
    return withArgument(spec, c.text, `-${letter}`)
  }

  /**
   * The option's argument from the next argv element, if it takes one.
   * @param {OptionSpec} spec @param {string} text as popt reports errors @param {string} name as typed
   * @returns {PoptItem}
   */
  function withArgument(spec, text, name) {
    const option = { kind: /** @type {const} */ ('option'), tag: spec.tag, text: name }
    if (spec.arg === 'none') return option
    const candidate = argv[index]
    if (spec.arg === 'optional') {
      if (candidate === undefined || (candidate.startsWith('-') && candidate !== '-')) return option
      index++
      return { ...option, arg: candidate }
    }
    if (candidate === undefined) return { kind: 'error', text, reason: 'missing argument' }
    index++
    return { ...option, arg: candidate }
  }

  return {
    next,
    /** Remaining non-option arguments, in order (only meaningful once `next` is exhausted). */
    args() {
      while (index < argv.length) args.push(argv[index++] ?? '')
      return args
    },
  }
}
