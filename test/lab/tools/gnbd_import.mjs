// @ts-check
// gnbd_import (gnbd/tools/gnbd_import): runs on an importing node. `-l` lists the imported
// devices in the C tool's format (Open/Close, Connected/Disconnected, Pending/Clear); `-i SERVER`
// imports every export of the server as /dev/gnbd/<name>; `-r NAME` removes one.
import { getopt } from '../getopt.mjs'
import { findNode, reachable } from '../reach.mjs'
import { importConnected, nodeStorage, storageOf } from '../storage.mjs'
import { currentNode, readWorld, updateWorld } from '../world.mjs'

const prog = 'gnbd_import'
const { opts } = getopt(process.argv.slice(2), 'ac:e:hi:lnOp:qRr:s:t:u:U:vV', prog)
const node = currentNode() ?? 'localhost'
const flag = (/** @type {string} */ letter) => opts.find((o) => o.opt === letter)
if (opts.some((o) => o.opt === '?')) process.exit(1)

if (flag('i')) importAll(flag('i')?.arg ?? '')
else if (flag('r')) removeOne(flag('r')?.arg ?? '')
else list()

function list() {
  {
    const world = readWorld()
    const mine = nodeStorage(storageOf(world), node)
    const entries = Object.entries(mine.imports).sort((a, b) => a[1].minor - b[1].minor)
    for (const [name, imp] of entries) {
      const connected = importConnected(world, node, name, imp)
      const open = Object.values(mine.mounts).some((m) => m.device === `/dev/gnbd/${name}`)
      const sectors = storageOf(world).exports[imp.server]?.[name]?.sectors ?? 0
      process.stdout.write(
        `Device name : ${name}\n----------------------\n    Minor # : ${imp.minor}\n` +
          ` sysfs name : /block/gnbd${imp.minor}\n     Server : ${imp.server}\n       Port : 14567\n` +
          `      State : ${open ? 'Open' : 'Close'} ${connected ? 'Connected' : 'Disconnected'} ${connected ? 'Clear' : 'Pending'}\n` +
          `   Readonly : No\n    Sectors : ${sectors}\n\n`,
      )
    }
  }
}

/** @param {string} host */
function importAll(host) {
  const created = updateWorld((world) => {
    const found = findNode(world, host)
    if (!found || !reachable(found[1])) return undefined
    const [server] = found
    const storage = storageOf(world)
    const mine = nodeStorage(storage, node)
    /** @type {string[]} */
    const names = []
    for (const name of Object.keys(storage.exports[server] ?? {})) {
      if (mine.imports[name]) continue
      const used = Object.values(mine.imports).map((i) => i.minor)
      let minor = 0
      while (used.includes(minor)) minor++
      mine.imports[name] = { server, minor }
      names.push(name)
    }
    return names
  })
  if (!created) fail(`cannot connect to server ${host} (-1) : Connection refused\n`)
  for (const name of created) process.stdout.write(`${prog}: created gnbd device ${name}\n`)
}

/** @param {string} name */
function removeOne(name) {
  const refused = updateWorld((world) => {
    const mine = nodeStorage(storageOf(world), node)
    if (!mine.imports[name]) return `cannot find gnbd device ${name}\n`
    if (Object.values(mine.mounts).some((m) => m.device === `/dev/gnbd/${name}`))
      return `cannot disconnect device #${mine.imports[name]?.minor} : Device or resource busy\n`
    delete mine.imports[name]
    return ''
  })
  if (refused) fail(refused)
  process.stdout.write(`${prog}: removed gnbd device ${name}\n`)
}

/** @param {string} text @returns {never} */
function fail(text) {
  process.stderr.write(`${prog}: ERROR ${text}`)
  process.exit(1)
}
