// Parsers of what the kernel and the block-export tools print: /proc/mounts, sysfs, gnbd_*, nbd-client.

/** One line of /proc/mounts. */
export interface MountEntry {
  device: string
  mountpoint: string
  fstype: string
  options: string[]
}

/** /proc/mounts (fstab format): octal escapes (`\040` for a space) are decoded. */
export function parseProcMounts(text: string): MountEntry[] {
  const out: MountEntry[] = []
  for (const line of text.split('\n')) {
    const [device, mountpoint, fstype, options] = line.trim().split(/\s+/)
    if (!device || !mountpoint || !fstype) continue
    out.push({
      device: unescapeOctal(device),
      mountpoint: unescapeOctal(mountpoint),
      fstype,
      options: (options ?? '').split(',').filter(Boolean),
    })
  }
  return out
}

/**
 * /proc/self/mountinfo: mount point → the device's `major:minor` (proc(5): field 3 is the
 * device, field 5 the mount point). GFS2's sysfs `id` names the device that way on current
 * kernels.
 */
export function parseMountInfo(text: string): Map<string, string> {
  const devices = new Map<string, string>()
  for (const line of text.split('\n')) {
    const [, , device, , mountpoint] = line.trim().split(/\s+/)
    if (device && mountpoint && /^\d+:\d+$/.test(device))
      devices.set(unescapeOctal(mountpoint), device)
  }
  return devices
}

/**
 * `grep -rsH '' PATH...` output: file path → its lines. A GFS2 sysfs directory is named after
 * the lock table (`cluster:fs`), so under /sys/fs/gfs* the path ends at the first colon after
 * `<dir>/<attribute>`; elsewhere (/proc, /sys/block) at the first colon.
 */
export function parseGrepFiles(text: string): Map<string, string[]> {
  const files = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const colon = pathEnd(line)
    if (colon <= 0) continue
    const path = line.slice(0, colon)
    const lines = files.get(path) ?? []
    lines.push(line.slice(colon + 1))
    files.set(path, lines)
  }
  return files
}

/** What /sys/fs/gfs2/<fsname>/ says of one mounted GFS2 filesystem. */
export interface Gfs2Sysfs {
  /** The directory name: the lock table with `/` made `:` (or the device for lock_nolock). */
  dir: string
  /**
   * The device: `major:minor` on current kernels (fs/gfs2/sys.c `id_show`, checked on Linux
   * 6.1); the superblock's s_id (`nbd0`, `gnbd0`) on the 2.6 kernels of GFS's RHEL 5 days.
   */
  id?: string
  fsname?: string
  /** `withdraw` reads 1 once the filesystem withdrew (I/O or lock error, or forced). */
  withdrawn: boolean
  /** lock_module/proto_name: `lock_dlm` or `lock_nolock`. */
  proto?: string
}

/** Every /sys/fs/gfs2/<dir> seen in a parseGrepFiles map. */
export function gfs2Sysfs(files: Map<string, string[]>, root = '/sys/fs/gfs2'): Gfs2Sysfs[] {
  const dirs = new Map<string, Gfs2Sysfs>()
  for (const [path, lines] of files) {
    if (!path.startsWith(`${root}/`)) continue
    const [dir, ...rest] = path.slice(root.length + 1).split('/')
    if (!dir) continue
    const entry = dirs.get(dir) ?? { dir, withdrawn: false }
    const attr = rest.join('/')
    const value = (lines[0] ?? '').trim()
    if (attr === 'id') entry.id = value
    else if (attr === 'fsname') entry.fsname = value
    else if (attr === 'withdraw') entry.withdrawn = value === '1'
    else if (attr === 'lock_module/proto_name') entry.proto = value
    dirs.set(dir, entry)
  }
  return [...dirs.values()]
}

/** One export of `gnbd_export -l` (gnbd/tools/gnbd_export). */
export interface GnbdExport {
  name: string
  file: string
  sectors: number
  readonly: boolean
  cached: boolean
  timeout: number
}

/** `gnbd_export -l`: `Server[N] : name`, a dashed line, then `key : value` lines. */
export function parseGnbdExportList(text: string): GnbdExport[] {
  return blocks(text, /^Server\[\d+\]\s*:\s*(.+)$/).map(({ name, fields }) => ({
    name,
    file: fields.file ?? '',
    sectors: Number(fields.sectors ?? 0),
    readonly: fields.readonly === 'yes',
    cached: fields.cached === 'yes',
    timeout: Number(fields.timeout ?? 0),
  }))
}

/** One device of `gnbd_import -l` (gnbd/tools/gnbd_import, list()). */
export interface GnbdImport {
  name: string
  minor: number
  /** `gnbd<minor>`: the kernel's name of the device. */
  kernelName: string
  server: string
  port: number
  open: boolean
  connected: boolean
  pending: boolean
  readonly: boolean
  sectors: number
}

/** `gnbd_import -l`: `Device name : x`, dashes, then `key : value` lines. */
export function parseGnbdImportList(text: string): GnbdImport[] {
  return blocks(text, /^Device name\s*:\s*(.+)$/).map(({ name, fields }) => {
    const state = (fields.State ?? '').split(/\s+/)
    const minor = Number(fields['Minor #'] ?? -1)
    return {
      name,
      minor,
      kernelName: (fields['sysfs name'] ?? `/block/gnbd${minor}`).replace(/^\/block\//, ''),
      server: fields.Server ?? '',
      port: Number(fields.Port ?? 14567),
      open: state[0] === 'Open',
      connected: state[1] === 'Connected',
      pending: state[2] === 'Pending',
      readonly: fields.Readonly === 'Yes',
      sectors: Number(fields.Sectors ?? 0),
    }
  })
}

/** `nbd-client -l HOST -p PORT`: a `Negotiation: ..` line, then one export per line. */
export function parseNbdList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Negotiation:'))
    .map((l) => l.split(': ')[0] ?? l)
}

function blocks(text: string, head: RegExp): { name: string; fields: Record<string, string> }[] {
  const out: { name: string; fields: Record<string, string> }[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    const start = head.exec(line)
    if (start) {
      out.push({ name: start[1]!.trim(), fields: {} })
      continue
    }
    const colon = line.indexOf(' : ')
    const current = out.at(-1)
    if (current && colon > 0) current.fields[line.slice(0, colon).trim()] = line.slice(colon + 3)
  }
  return out
}

const GFS_ATTRIBUTE = /^\/sys\/fs\/gfs2?\/[^/]+\/[^:]+$/

function pathEnd(line: string): number {
  if (!line.startsWith('/sys/fs/gfs')) return line.indexOf(':')
  for (let at = line.indexOf(':'); at > 0; at = line.indexOf(':', at + 1))
    if (GFS_ATTRIBUTE.test(line.slice(0, at))) return at
  return -1
}

function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) =>
    String.fromCharCode(Number.parseInt(oct, 8)),
  )
}
