// @ts-check
// The lab's mount(8) for GFS/GFS2 on an imported GNBD device: `mount -t TYPE [-o OPTS] DEV DIR`,
// with util-linux's messages and exit code 32 (mount failure). Other mounts are not simulated.
import { getopt } from '../getopt.mjs'
import { importConnected, nodeStorage, storageOf } from '../storage.mjs'
import { currentNode, updateWorld } from '../world.mjs'

const { opts, rest } = getopt(process.argv.slice(2), 't:o:', 'mount')
const node = currentNode() ?? 'localhost'
const type = opts.find((o) => o.opt === 't')?.arg ?? ''
const options = (opts.find((o) => o.opt === 'o')?.arg ?? '').split(',').filter(Boolean)
const [device = '', dir = ''] = rest
if (!/^gfs2?$/.test(type) || !device || !dir)
  fail(`mount: the lab simulates only -t gfs|gfs2 DEVICE DIR\n`, 1)

const refused = updateWorld((world) => {
  const storage = storageOf(world)
  const mine = nodeStorage(storage, node)
  const name = device.startsWith('/dev/gnbd/') ? device.slice('/dev/gnbd/'.length) : ''
  const imp = mine.imports[name]
  if (!imp) return `mount: ${dir}: special device ${device} does not exist.\n`
  if (mine.mounts[dir]) return `mount: ${dir}: ${device} already mounted on ${dir}.\n`
  if (!importConnected(world, node, name, imp))
    return `mount: ${dir}: can't read superblock on ${device}.\n`
  const rg = /** @type {{ cluster?: { name?: string } } | undefined} */ (world.rgmanager)
  mine.mounts[dir] = {
    device,
    fstype: type,
    options: ['rw', 'relatime', ...options],
    table: `${rg?.cluster?.name ?? 'lab'}:${name}`,
    proto: 'lock_dlm',
  }
  return ''
})
// The world lock is released before exiting: a tool that dies holding it stalls the others.
if (refused) fail(refused)

/** @param {string} text @param {number} [code] @returns {never} */
function fail(text, code = 32) {
  process.stderr.write(text)
  process.exit(code)
}
