// @ts-check
// fence_lab: a controllable power fence agent (fencing.py protocol) that switches world nodes.
//
// World section `fence.devices[<ip>]` sets a device's behaviour: ok (default), fail (power
// actions exit 1), error (nothing works; `exitCode` overrides 1), hang, slow (`delayMs`, default
// 3000), lie (says off, the node keeps running; status says OFF), stuck (off "succeeds", the
// node keeps running; status says ON) or drops (works once, then the device refuses every login
// from its next call on, as `error`: a management port lost right after it switched the power). `password`/`username` there make the login check real.
// Every call is appended to `fence.calls` (never the password).
import { readFileSync } from 'node:fs'
import { createAgentLog, FAIL, metadataXml, parseAgentStdin, sleepSync } from '../fence-agent.mjs'
import { currentNode, readWorld, updateWorld } from '../world.mjs'

/** @typedef {import('../fence-agent.mjs').AgentParam} AgentParam */

const ACTIONS = ['on', 'off', 'reboot', 'status', 'monitor', 'metadata', 'manpage', 'validate-all']
/** @type {AgentParam[]} */
const PARAMS = [
  param('action', '-o, --action=[action]', 'string', 'Fencing action', {
    default: 'reboot',
    required: true,
  }),
  param('ip', '-a, --ip=[ip]', 'string', 'IP address or hostname of fencing device', {
    required: true,
    obsoletes: 'ipaddr',
  }),
  param('ipaddr', '-a, --ip=[ip]', 'string', 'IP address or hostname of fencing device', {
    required: true,
    deprecated: true,
  }),
  param(
    'ipport',
    '-u, --ipport=[port]',
    'integer',
    'TCP/UDP port to use for connection with device',
    { default: '623' },
  ),
  param('login', '-l, --username=[name]', 'string', 'Login name', {
    required: true,
    deprecated: true,
  }),
  param('passwd', '-p, --password=[password]', 'string', 'Login password or passphrase', {
    deprecated: true,
  }),
  param('password', '-p, --password=[password]', 'string', 'Login password or passphrase', {
    obsoletes: 'passwd',
  }),
  param(
    'plug',
    '-n, --plug=[id]',
    'string',
    'Physical plug number on device, UUID or identification of machine',
    { required: true, obsoletes: 'port' },
  ),
  param(
    'port',
    '-n, --plug=[id]',
    'string',
    'Physical plug number on device, UUID or identification of machine',
    { required: true, deprecated: true },
  ),
  param('username', '-l, --username=[name]', 'string', 'Login name', {
    required: true,
    obsoletes: 'login',
  }),
  param(
    'quiet',
    '-q, --quiet',
    'boolean',
    'Disable logging to stderr. Does not affect --verbose or --debug-file or logging to syslog.',
    { flag: true },
  ),
  param(
    'verbose',
    '-v, --verbose',
    'boolean',
    'Verbose mode. Multiple -v flags can be stacked on the command line (e.g., -vvv) to increase verbosity.',
    { flag: true },
  ),
  param('delay', '--delay=[seconds]', 'second', 'Wait X seconds before fencing is started', {
    default: '0',
  }),
  param(
    'login_timeout',
    '--login-timeout=[seconds]',
    'second',
    'Wait X seconds for cmd prompt after login',
    { default: '5' },
  ),
  param(
    'power_timeout',
    '--power-timeout=[seconds]',
    'second',
    'Test X seconds for status change after ON/OFF',
    { default: '20' },
  ),
  param('power_wait', '--power-wait=[seconds]', 'second', 'Wait X seconds after issuing ON/OFF', {
    default: '0',
  }),
  param('retry_on', '--retry-on=[attempts]', 'integer', 'Count of attempts to retry power on', {
    default: '1',
  }),
]

const log = createAgentLog()
const options = parseAgentStdin(readFileSync(0, 'utf8'), PARAMS, log)
const action = (options.action ?? 'reboot').toLowerCase()
if (action === 'metadata' || action === 'manpage') {
  process.stdout.write(
    metadataXml({
      name: 'fence_lab',
      shortdesc: 'Fence agent for the tandem lab',
      longdesc: 'fence_lab switches the power of nodes in the tandem lab world.',
      vendor: 'https://tandem.invalid/lab',
      params: PARAMS,
      actions: ACTIONS,
    }),
  )
  process.exit(0)
}
log.configure()
if (!ACTIONS.includes(action)) log.failUsage(`Failed: Unrecognised action '${action}'`)
if (!options.username) log.failUsage('Failed: You have to set login name')
if (!options.ip) log.failUsage('Failed: You have to enter fence address')
if (options.password === undefined)
  log.failUsage('Failed: You have to enter password or password script')
if (!options.plug) log.failUsage('Failed: You have to enter plug number or machine identification')
if (action === 'validate-all') process.exit(0)

const ip = /** @type {string} */ (options.ip)
const plug = /** @type {string} */ (options.plug)
const device = deviceOf(ip)
updateWorld((world) => {
  const fence = section(world)
  fence.calls.push({
    at: Date.now(),
    agent: 'fence_lab',
    device: ip,
    action,
    plug,
    from: currentNode() ?? null,
  })
})

if (device.behaviour === 'hang') for (;;) sleepSync(60_000)
if (device.behaviour === 'slow') sleepSync(device.delayMs ?? 3000)
if (device.behaviour === 'error') {
  log.error(`${FAIL.LOGIN_DENIED}\n\n`)
  process.exit(device.exitCode ?? 1)
}
if (
  (device.username !== undefined && device.username !== options.username) ||
  (device.password !== undefined && device.password !== options.password)
)
  log.fail(FAIL.LOGIN_DENIED)
if ((action === 'off' || action === 'reboot') && Number(options.delay ?? 0) > 0)
  sleepSync(Number(options.delay) * 1000)
const node = readWorld().nodes[plug]
if (!node) log.fail(FAIL.STATUS)
const power = device.behaviour === 'lie' || node?.power === 'off' ? 'off' : 'on'

if (action === 'status' || action === 'monitor') {
  if (action === 'status') process.stdout.write(`Status: ${power.toUpperCase()}\n`)
  process.exit(action === 'status' && power === 'off' ? 2 : 0)
}
if (action === power) {
  process.stdout.write(`Success: Already ${power.toUpperCase()}\n`)
  process.exit(0)
}
if (device.behaviour === 'fail') log.fail(action === 'on' ? FAIL.WAITING_ON : FAIL.WAITING_OFF)
if (device.behaviour !== 'lie' && device.behaviour !== 'stuck')
  switchPower(plug, /** @type {'on' | 'off' | 'reboot'} */ (action))
if (device.behaviour === 'drops')
  updateWorld((world) => {
    const devices = /** @type {Record<string, Record<string, unknown>>} */ (section(world).devices)
    devices[ip] = { ...devices[ip], behaviour: 'error' }
  })
process.stdout.write(
  action === 'on'
    ? 'Success: Powered ON\n'
    : action === 'off'
      ? 'Success: Powered OFF\n'
      : 'Success: Rebooted\n',
)

/**
 * @param {string} name
 * @param {'on' | 'off' | 'reboot'} how
 */
function switchPower(name, how) {
  updateWorld((world) => {
    const target = world.nodes[name]
    if (!target) return
    if (how === 'off') Object.assign(target, { power: 'off', up: false })
    // A node powered on (or cycled) boots afresh: whatever ran on it before is gone.
    else Object.assign(target, { power: 'on', up: true, bootedAt: Date.now() })
  })
}

/**
 * @param {string} key
 * @returns {{ behaviour: string, delayMs?: number, exitCode?: number, username?: string, password?: string }}
 */
function deviceOf(key) {
  const fence = /** @type {{ devices?: Record<string, any> } | undefined} */ (readWorld().fence)
  return { behaviour: 'ok', ...(fence?.devices?.[key] ?? {}) }
}

/** @param {import('../world.mjs').World} world */
function section(world) {
  world.fence ??= {}
  const fence = /** @type {{ devices: Record<string, unknown>, calls: unknown[] }} */ (world.fence)
  fence.devices ??= {}
  fence.calls ??= []
  return fence
}

/**
 * @param {string} name @param {string} getopt @param {string} type @param {string} shortdesc
 * @param {Partial<AgentParam>} [more]
 * @returns {AgentParam}
 */
function param(name, getopt, type, shortdesc, more = {}) {
  return { name, getopt, type, shortdesc, ...more }
}
