// @ts-check
// A minimal writer of the cpio "newc" format the kernel unpacks as its initramfs.

/**
 * @typedef {{ path: string, type: 'dir' } | { path: string, type: 'file', data: Buffer, mode?: number }
 *   | { path: string, type: 'symlink', target: string } | { path: string, type: 'char', major: number, minor: number }} CpioEntry
 */

/**
 * One archive holding `entries` in order (parents before children), ending with the trailer.
 * @param {CpioEntry[]} entries
 * @returns {Buffer}
 */
export function cpioArchive(entries) {
  /** @type {Buffer[]} */
  const parts = []
  let inode = 1
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, '')
    const { mode, data, rdev } = describe(entry)
    parts.push(
      header(name, { inode: inode++, mode, size: data.length, rdev }),
      data,
      pad(data.length),
    )
  }
  parts.push(header('TRAILER!!!', { inode: 0, mode: 0, size: 0, rdev: [0, 0] }))
  return Buffer.concat(parts)
}

/** @param {CpioEntry} entry @returns {{ mode: number, data: Buffer, rdev: [number, number] }} */
function describe(entry) {
  switch (entry.type) {
    case 'dir':
      return { mode: 0o040755, data: Buffer.alloc(0), rdev: [0, 0] }
    case 'file':
      return { mode: 0o100000 | (entry.mode ?? 0o644), data: entry.data, rdev: [0, 0] }
    case 'symlink':
      return { mode: 0o120777, data: Buffer.from(entry.target), rdev: [0, 0] }
    case 'char':
      return { mode: 0o020600, data: Buffer.alloc(0), rdev: [entry.major, entry.minor] }
  }
}

/**
 * @param {string} name
 * @param {{ inode: number, mode: number, size: number, rdev: [number, number] }} fields
 */
function header(name, { inode, mode, size, rdev }) {
  const hex = (/** @type {number} */ n) => n.toString(16).padStart(8, '0')
  const nameBytes = Buffer.from(`${name}\0`)
  const fields = [inode, mode, 0, 0, 1, 0, size, 0, 0, rdev[0], rdev[1], nameBytes.length, 0]
  const head = Buffer.from(`070701${fields.map(hex).join('')}`)
  return Buffer.concat([head, nameBytes, pad(head.length + nameBytes.length)])
}

/** @param {number} length */
function pad(length) {
  return Buffer.alloc((4 - (length % 4)) % 4)
}
