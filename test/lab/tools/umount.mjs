// @ts-check
// The lab's umount(8): `umount DIR` for the lab's GFS mounts (a withdrawn one unmounts too), with
// util-linux's "not mounted." and exit code 32.
import { nodeStorage, storageOf } from '../storage.mjs'
import { currentNode, updateWorld } from '../world.mjs'

const node = currentNode() ?? 'localhost'
const dir = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? ''
const mounted = updateWorld((world) => {
  const mine = nodeStorage(storageOf(world), node)
  if (!mine.mounts[dir]) return false
  delete mine.mounts[dir]
  return true
})
if (!mounted) {
  process.stderr.write(`umount: ${dir}: not mounted.\n`)
  process.exit(32)
}
