// @ts-check
// stonith_admin (Pacemaker 2.1.5): asks the cluster's fencer to fence, unfence or reboot a node
// through the levels of its topology (`fence.topology[<node>].methods` in the world), and reads
// the fencing history back (`--history`, text or `--output-as=xml`).

import { recordFenceEvent, topologyOf, walkMethods } from '../cluster-fencing.mjs'
import { currentNode, readWorld } from '../world.mjs'

const args = process.argv.slice(2)
const xml = args.includes('--output-as=xml') || pairValue('--output-as') === 'xml'
const timeoutS = Number(value('-t', '--timeout') ?? 120)
const fence = value('-F', '--fence')
const unfence = value('-U', '--unfence')
const reboot = value('-B', '--reboot')
const history = value('-H', '--history')
const here = currentNode()
const origin = here ?? 'localhost'
if (here && readWorld().nodes[here]?.up === false)
  finish(102, 'Not connected', 'Could not connect to fencer: Transport endpoint is not connected')

if (fence || unfence || reboot) {
  const target = /** @type {string} */ (fence ?? unfence ?? reboot)
  const action = fence ? 'off' : unfence ? 'on' : 'reboot'
  const methods = topologyOf(target)?.methods ?? []
  if (methods.length === 0) failed(target, action, 105, 'No such device')
  const { ok, runs } = walkMethods(
    methods,
    (device) =>
      `action=${action}\n${device.options?.plug === undefined ? `plug=${target}\n` : ''}nodename=${target}\n`,
    timeoutS * 1000,
  )
  const client = `stonith_admin.${process.pid}`
  const last = runs.at(-1)
  const reason = last?.stderr ?? ''
  recordFenceEvent({
    target,
    action,
    state: ok ? 'done' : 'failed',
    origin,
    client,
    ...(ok ? {} : { exitReason: reason.trim().split('\n').pop() ?? '' }),
  })
  if (ok) finish(0, 'OK')
  // The fencer maps a failed agent to a return code by what its stderr says (stonith__result2rc).
  if (last?.timedOut || /timed out|timeout/i.test(reason))
    failed(target, action, 124, 'Timer expired')
  failed(target, action, 1, 'Error')
}
if (history) {
  showHistory(history)
  finish(0, 'OK')
}
process.stderr.write('stonith_admin: Please specify a valid command\n')
process.exit(64)

/** @param {string} target */
function showHistory(target) {
  const fenceSection = /** @type {{ history?: any[] } | undefined} */ (readWorld().fence)
  const events = (fenceSection?.history ?? []).filter((e) => target === '*' || e.target === target)
  const latest = events.filter((e) => e.state === 'done').at(-1)
  if (xml) {
    const lines = ['  <list name="fencing history">']
    if (latest)
      lines.push(
        `    <fence_event action="${latest.action}" target="${latest.target}" client="${latest.client}" origin="${latest.origin}" status="success" delegate="${latest.delegate}" completed="${when(latest.completed)}"/>`,
      )
    lines.push('  </list>')
    process.stdout.write(`${header()}\n${lines.join('\n')}\n`)
  } else if (latest) {
    const what =
      latest.action === 'on' ? 'unfencing' : latest.action === 'off' ? 'turning off' : latest.action
    process.stdout.write(
      `${what} of ${latest.target} successful: delegate=${latest.delegate}, client=${latest.client}, origin=${latest.origin}, last-successful='${when(latest.completed)}'\n`,
    )
  }
}

/** @param {string} target @param {string} action @param {number} code @param {string} text @returns {never} */
function failed(target, action, code, text) {
  const what = action === 'on' ? 'unfence' : 'fence'
  finish(code, text, `Couldn't ${what} ${target}: ${text}`)
}

/** @param {number} code @param {string} message @param {string} [error] @returns {never} */
function finish(code, message, error) {
  if (xml) {
    const errors = error ? `\n    <errors>\n      <error>${error}</error>\n    </errors>\n  ` : ''
    const status = error
      ? `  <status code="${code}" message="${message}">${errors}</status>`
      : `  <status code="${code}" message="${message}"/>`
    const opened = history && code === 0 ? '' : `${header()}\n`
    process.stdout.write(`${opened}${status}\n</pacemaker-result>\n`)
  } else if (error) process.stderr.write(`stonith_admin: ${error}\n`)
  process.exit(code)
}

function header() {
  return `<pacemaker-result api-version="2.25" request="stonith_admin ${args.join(' ')}">`
}

/** @param {number} seconds */
function when(seconds) {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/** @param {string} short @param {string} long */
function value(short, long) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (arg === short || arg === long) return args[i + 1]
    if (arg.startsWith(`${long}=`)) return arg.slice(long.length + 1)
  }
  return undefined
}

/** @param {string} long */
function pairValue(long) {
  return value(long, long)
}
