// @ts-check
// fence_node (cman, cluster 3): fences or unfences a node with the agents of its cluster.conf
// methods, kept in the world as `fence.topology[<node>]` ({ methods, unfence }).

import { recordFenceEvent, topologyOf, walkMethods } from '../cluster-fencing.mjs'
import { currentNode, readWorld } from '../world.mjs'

const prog = process.argv[1]?.split('/').pop() ?? 'fence_node'
let unfence = false
let verbose = 0
/** @type {string | undefined} */
let victim
for (const arg of process.argv.slice(2)) {
  if (arg === '-U') unfence = true
  else if (/^-v+$/.test(arg)) verbose += arg.length - 1
  else if (arg === '-h') usage()
  else if (arg.startsWith('-')) {
    process.stderr.write("Please use '-h' for usage.\n")
    process.exit(1)
  } else if (victim) die(`unknown option ${arg}`)
  else victim = arg
}
if (!victim && !unfence) die('no node name specified')
const here = currentNode()
const self = here ? readWorld().nodes[here] : undefined
if (here && (!self || self.up === false)) die('cannot connect to cman')
const target = victim ?? here ?? ''
const action = unfence ? 'unfence' : 'fence'
const topology = topologyOf(target)
const methods = unfence ? (topology?.unfence ? [topology.unfence] : []) : (topology?.methods ?? [])
if (methods.length === 0) {
  process.stderr.write(`${action} ${target} undefined\n`)
  process.exit(2)
}
// libfence hands the agent its name, the victim and the device's cluster.conf attributes.
const { ok, runs } = walkMethods(
  methods,
  (device) => `agent=${device.agent}\nnodename=${target}\n${unfence ? 'action=on\n' : ''}`,
  2_147_483_647,
)
if (verbose > 0)
  for (const run of runs)
    process.stderr.write(
      `${action} ${target} dev ${run.method}.${run.device} agent ${run.agent} result: ${run.code === 0 ? 'success' : 'error from agent'}\n`,
    )
if (!unfence)
  recordFenceEvent({
    target,
    action: 'reboot',
    state: ok ? 'done' : 'failed',
    origin: here ?? 'localhost',
    client: `fence_node.${process.pid}`,
  })
process.stderr.write(`${action} ${target} ${ok ? 'success' : 'failed'}\n`)
process.exit(ok ? 0 : 1)

/** @param {string} message @returns {never} */
function die(message) {
  process.stderr.write(`${prog}: ${message}\n`)
  process.exit(1)
}

/** @returns {never} */
function usage() {
  process.stdout.write(
    `Usage:\n\n${prog} [options] node_name\n\nOptions:\n\n  -U    Unfence the node, default local node name\n  -v    Show fence agent results, -vv for agent args\n  -h    Print this help, then exit\n  -V    Print program version information, then exit\n\n`,
  )
  process.exit(0)
}
