// @ts-check
// gnbd_export (Red Hat Cluster Suite 1/2, gnbd/tools/gnbd_export): runs on the storage server.
// `-l` prints the export list in the C tool's format; `-d DEV -e NAME` exports; `-r NAME` removes
// (refused while imported unless -O). The exports live in the world's `storage.exports[server]`.
import { getopt } from '../getopt.mjs'
import { storageOf } from '../storage.mjs'
import { currentNode, readWorld, updateWorld } from '../world.mjs'

const prog = 'gnbd_export'
const { opts } = getopt(process.argv.slice(2), 'cd:e:hlOqr:Rt:u:vV', prog)
const server = currentNode() ?? 'localhost'
const flag = (/** @type {string} */ letter) => opts.find((o) => o.opt === letter)
if (opts.some((o) => o.opt === '?')) process.exit(1)

if (flag('l') || opts.length === 0) list()
else if (flag('d') || flag('e')) add(flag('d')?.arg ?? '', flag('e')?.arg ?? '')
else if (flag('r')) remove(flag('r')?.arg ?? '', !!flag('O'))
else fail('no action given\n')

function list() {
  {
    const exports = storageOf(readWorld()).exports[server] ?? {}
    let i = 0
    for (const [name, e] of Object.entries(exports)) {
      i++
      process.stdout.write(
        `Server[${i}] : ${name}\n--------------------------\n      file : ${e.device}\n` +
          `   sectors : ${e.sectors}\n  readonly : ${e.readonly ? 'yes' : 'no'}\n` +
          '    cached : no\n   timeout : 60\n       uid : \n\n',
      )
    }
  }
}

/** @param {string} device @param {string} name */
function add(device, name) {
  if (!device) fail('missing device. You must specify a device with -d\n')
  if (!name) fail('missing name. You must specify a name with -e\n')
  const taken = updateWorld((world) => {
    const storage = storageOf(world)
    storage.exports[server] ??= {}
    const exports = storage.exports[server]
    if (exports[name]) return true
    exports[name] = { device, sectors: 2097152 }
    return false
  })
  if (taken) fail(`There is already a GNBD with the name ${name}\n`)
  process.stdout.write(`${prog}: created GNBD ${name} serving file ${device}\n`)
}

/** @param {string} name @param {boolean} override */
function remove(name, override) {
  const refused = updateWorld((world) => {
    const storage = storageOf(world)
    const exports = storage.exports[server] ?? {}
    if (!exports[name]) return `cannot remove ${name} : No such device\n`
    const users = Object.values(storage.nodes).filter((n) => n.imports[name]?.server === server)
    if (users.length && !override) return `cannot remove ${name} : Device or resource busy\n`
    delete exports[name]
    return ''
  })
  if (refused) fail(refused)
  process.stdout.write(`${prog}: removed GNBD ${name}\n`)
}

/** @param {string} text @returns {never} */
function fail(text) {
  process.stderr.write(`${prog}: ERROR ${text}`)
  process.exit(1)
}
