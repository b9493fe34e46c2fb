// @ts-check
// The lab's grep: `grep -rsH '' PATH...` over /proc and /sys reads the node's simulated kernel
// files (test/lab/storage.mjs), in GNU grep's `path:line` format and exit codes; anything else is
// handed to the real grep unchanged.
import { spawnSync } from 'node:child_process'
import { nodeFiles } from '../storage.mjs'
import { currentNode, readWorld } from '../world.mjs'

const args = process.argv.slice(2)
const paths = args.slice(2)
const kernelRead =
  args[0] === '-rsH' &&
  args[1] === '' &&
  paths.length > 0 &&
  paths.every((p) => p === '/proc/mounts' || p === '/proc/self/mountinfo' || p.startsWith('/sys/'))
if (!kernelRead) passThrough()

const files = nodeFiles(readWorld(), currentNode() ?? 'localhost')
let printed = 0
let missing = false
for (const path of paths) {
  const under = [...files.keys()].filter((f) => f === path || f.startsWith(`${path}/`)).sort()
  if (under.length === 0) missing = true
  for (const file of under)
    for (const line of (files.get(file) ?? '').split('\n').slice(0, -1)) {
      process.stdout.write(`${file}:${line}\n`)
      printed++
    }
}
// GNU grep: 2 when a file could not be read (even with -s), else 0 on a match, 1 on none.
process.exit(missing ? 2 : printed > 0 ? 0 : 1)

function passThrough() {
  const real = ['/usr/bin/grep', '/bin/grep'].find((p) => spawnSync(p, ['--version']).status === 0)
  const result = spawnSync(real ?? 'grep', args, { stdio: 'inherit' })
  process.exit(result.status ?? 2)
}
