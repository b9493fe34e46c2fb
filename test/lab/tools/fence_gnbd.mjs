// @ts-check
// fence_gnbd (Red Hat Cluster Suite 1/2): cuts a node off the GNBD exports of its servers.
//
// Like the real C agent it knows no actions: every run fences (there is no status, on or
// metadata), options come on stdin (`nodename`, `servers`, `ipaddr` with a deprecation
// warning, `agent`, `option`, `wait_time`, `retrys`) or as -s/-t, and it answers on stdout.
// The world keeps the cut in `fence.gnbd[<server>]` (a list of node names).
import { readFileSync } from 'node:fs'
import { findNode, reachable } from '../reach.mjs'
import { readWorld, updateWorld } from '../world.mjs'

let pname = 'fence_gnbd'
let quiet = false
let victim = ''
/** @type {string[]} */
const servers = []

if (process.argv.length > 2) fromArgv(process.argv.slice(2))
else fromStdin(readFileSync(0, 'utf8'))
if (!victim) fail('no IP addr\n')
if (servers.length === 0) fail('missing server list\n')

const world = readWorld()
// `tandem lab fence-broken NODE` (setFenceBehaviour) breaks this agent for that victim too.
const device = /** @type {{ devices?: Record<string, { behaviour?: string }> } | undefined} */ (
  world.fence
)?.devices?.[`gnbd:${victim}`]
if (device?.behaviour === 'hang')
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000)
if (device?.behaviour === 'fail') fail(`${pname}, ${victim}\n`)
const lies = device?.behaviour === 'lie'
// The C agent walks its server list from the last one given to the first.
for (const server of [...servers].reverse()) {
  const found = findNode(world, server)
  if (!found || !reachable(found[1])) fail(`${pname}, ${victim}\n`)
  if (lies) continue
  updateWorld((w) => {
    w.fence ??= {}
    const fence = /** @type {{ gnbd?: Record<string, string[]> }} */ (w.fence)
    fence.gnbd ??= {}
    const cut = fence.gnbd[found[0]] ?? []
    if (!cut.includes(victim)) cut.push(victim)
    fence.gnbd[found[0]] = cut
  })
}
if (!quiet) process.stdout.write(`success: ${pname}, ${victim}\n`)

/** @param {string} text */
function fromStdin(text) {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  else if (lines.length > 0) fail(`line too long: '${lines.at(-1)}'\n`)
  for (const line of lines) {
    const at = line.indexOf('=')
    if (at < 0) fail(`invalid input: '${line}'\n`)
    const [key, value] = [line.slice(0, at), line.slice(at + 1)]
    if (key === 'agent') pname = value
    if (key === 'option' && value !== 'multipath') say(`warning: option ${value} not recognized\n`)
    if (key === 'ipaddr') say("warning: 'ipaddr' key is depricated, please see man page\n")
    if (key === 'ipaddr' || key === 'nodename') victim = value
    if (key === 'server' || key === 'servers') servers.push(...value.split(/\s+/).filter(Boolean))
  }
}

/** @param {string[]} args */
function fromArgv(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '-q') quiet = true
    else if (arg === '-s') victim = args[++i] ?? ''
    else if (arg === '-t') servers.push(args[++i] ?? '')
    else if (arg === '-m') continue
    else {
      process.stderr.write("Please use '-h' for usage.\n")
      process.exit(1)
    }
  }
}

/** @param {string} text */
function say(text) {
  if (!quiet) process.stdout.write(text)
}

/** @param {string} text @returns {never} */
function fail(text) {
  say(`failed: ${text}`)
  process.exit(1)
}
