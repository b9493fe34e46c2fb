// @ts-check
// Which options each ipvsadm command (and each tunnel type) requires, allows or refuses, checked
// in ipvsadm's option order so the first complaint is the one the real tool prints.
import { fail } from './exit.mjs'

/** ipvsadm's option names, in the order its checks walk them. */
const OPTION_ORDER = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
]

/**
 * Per command: `required`, `optional`, and `oneOf` (at most one of them); anything else is illegal.
 * @typedef {{ required?: string[], optional?: string[], oneOf?: string[] }} Rule
 */
const SERVICE_EDIT = {
  required: ['service-address'],
  optional: ['scheduler', 'persistent', 'netmask', 'ops', 'pe', 'sched-flags'],
}
const TUNNEL_OPTIONS = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum']
const SERVER_EDIT = {
  required: ['service-address', 'real-server'],
  optional: ['forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'tun-type'].concat(
    TUNNEL_OPTIONS,
  ),
}

/** @type {Record<string, Rule>} */
const COMMAND_RULES = {
  'add-service': SERVICE_EDIT,
  'edit-service': SERVICE_EDIT,
  'delete-service': { required: ['service-address'] },
  flush: {},
  list: {
    optional: [
      'numeric',
      'stats',
      'rate',
      'thresholds',
      'persistent-conn',
      'nosort',
      'syncid',
    ].concat(['exact', 'tun-info']),
    oneOf: ['connection', 'service-address', 'timeout', 'daemon'],
  },
  'add-server': SERVER_EDIT,
  'delete-server': { required: ['service-address', 'real-server'] },
  'edit-server': SERVER_EDIT,
  set: {},
  'start-daemon': {
    optional: [
      'mcast-interface',
      'syncid',
      'mcast-group',
      'mcast-port',
      'mcast-ttl',
      'sync-maxlen',
    ],
  },
  'stop-daemon': { optional: ['syncid'] },
  restore: {},
  save: { optional: ['numeric'] },
  zero: { optional: ['service-address'] },
}

/** @type {Record<string, Rule>} */
const TUNNEL_RULES = {
  ipip: {},
  gue: { required: ['tun-port'], oneOf: ['tun-nocsum', 'tun-csum', 'tun-remcsum'] },
  gre: { oneOf: ['tun-nocsum', 'tun-csum'] },
}

/** generic_opt_check(): throws ipvsadm's complaint about the first misplaced option. */
export function checkOptions(/** @type {string} */ command, /** @type {Set<string>} */ options) {
  walk(COMMAND_RULES[command] ?? {}, OPTION_ORDER, options, `the '${command}' command`)
}

/** tunnel_opt_check(): the tunnel options a tunnel type needs or refuses. */
export function checkTunnelOptions(/** @type {string} */ type, /** @type {Set<string>} */ options) {
  walk(TUNNEL_RULES[type] ?? {}, TUNNEL_OPTIONS, options, `the '${type}' tunnel type`)
}

/**
 * @param {Rule} rule @param {string[]} order @param {Set<string>} options @param {string} where
 */
function walk(rule, order, options, where) {
  let previous = ''
  for (const name of order) {
    if (!options.has(name)) {
      if (rule.required?.includes(name))
        throw fail(`You need to supply the '${name}' option for ${where}`)
      continue
    }
    if (rule.oneOf?.includes(name)) {
      if (previous)
        throw fail(`The option '${name}' conflicts with the '${previous}' option in ${where}`)
      previous = name
    } else if (!rule.required?.includes(name) && !rule.optional?.includes(name)) {
      throw fail(`Illegal '${name}' option with ${where}`)
    }
  }
}
