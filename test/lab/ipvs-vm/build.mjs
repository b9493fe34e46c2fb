// @ts-check
// Builds the kernel lab VM once and caches it: Debian's kernel with its IPVS, GFS2/DLM and NBD
// modules, busybox and the host's ipvsadm, gfs2-utils and nbd tools (with their libraries) in a
// small initramfs. Nothing is installed on the host.
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { cpioArchive } from './cpio.mjs'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))

/** The Debian package whose dependency names the kernel to boot. */
export const KERNEL_METAPACKAGE = 'linux-image-amd64'

/** Loaded in this order by the guest's init (insmod, no modprobe): dependencies first. */
export const MODULES = [
  'crypto/crc32c_generic',
  'lib/libcrc32c',
  'net/ipv4/netfilter/nf_defrag_ipv4',
  'net/ipv6/netfilter/nf_defrag_ipv6',
  'net/netfilter/nf_conntrack',
  'net/netfilter/ipvs/ip_vs',
  ...['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'].map(
    (scheduler) => `net/netfilter/ipvs/ip_vs_${scheduler}`,
  ),
  'net/netfilter/nf_conntrack_sip',
  'net/netfilter/ipvs/ip_vs_pe_sip',
  // Shared storage: GFS2 needs DLM (even with lock_nolock), DLM needs configfs.
  'fs/configfs/configfs',
  'fs/dlm/dlm',
  'fs/gfs2/gfs2',
  'drivers/block/nbd',
]

/** Host binaries copied into the guest (their shared libraries follow, found with ldd). */
const BUSYBOX = '/bin/busybox'

/**
 * The real tools the guest runs, by the name the host calls them, at their host path (Debian's
 * ipvsadm, gfs2-utils, nbd-server, nbd-client, and GNU grep and util-linux mount/umount as a real
 * node has them; busybox has its own applets by those names, so the guest calls these by path).
 */
export const GUEST_TOOLS = {
  ipvsadm: '/usr/sbin/ipvsadm',
  'mkfs.gfs2': '/usr/sbin/mkfs.gfs2',
  tunegfs2: '/usr/sbin/tunegfs2',
  'fsck.gfs2': '/usr/sbin/fsck.gfs2',
  'nbd-server': '/usr/bin/nbd-server',
  'nbd-client': '/usr/sbin/nbd-client',
  grep: '/usr/bin/grep',
  mount: '/usr/bin/mount',
  umount: '/usr/bin/umount',
}

/** $TANDEM_IPVS_CACHE, else ~/.cache/tandem-ipvs (shared by every checkout on the machine). */
export function cacheDir() {
  if (process.env.TANDEM_IPVS_CACHE) return process.env.TANDEM_IPVS_CACHE
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'tandem-ipvs')
}

/**
 * The kernel and initramfs to boot, building whatever the cache lacks.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ kernel: string, initrd: string, kernelPackage: string }>}
 */
export async function buildLab({ log = () => {} } = {}) {
  const cache = cacheDir()
  mkdirSync(cache, { recursive: true })
  const kernelPackage = await resolveKernelPackage(cache)
  const kernelDir = join(cache, kernelPackage)
  if (!existsSync(join(kernelDir, 'done')) || missingModules(kernelDir).length > 0)
    await fetchKernel(kernelPackage, kernelDir, log)
  const initrd = await buildInitrd(kernelDir, log)
  return { kernel: join(kernelDir, 'vmlinuz'), initrd, kernelPackage }
}

/** `linux-image-6.1.0-NN-amd64_VERSION` as apt sees it now, or the last one fetched when offline. */
/** @param {string} cache */
async function resolveKernelPackage(cache) {
  try {
    const { stdout } = await run('apt-cache', ['depends', KERNEL_METAPACKAGE])
    const name = /Depends: (linux-image-\S+)/.exec(stdout)?.[1]
    if (!name) throw new Error(`apt-cache names no kernel for ${KERNEL_METAPACKAGE}`)
    const policy = await run('apt-cache', ['policy', name])
    const version = /Candidate: (\S+)/.exec(policy.stdout)?.[1]
    if (!version || version === '(none)') throw new Error(`apt has no candidate for ${name}`)
    return `${name}_${version}`
  } catch (error) {
    const built = readdirSync(cache).filter((d) => existsSync(join(cache, d, 'done')))
    if (built.length > 0) return built.sort().at(-1) ?? ''
    throw new Error(`cannot resolve ${KERNEL_METAPACKAGE} with apt and nothing is cached`, {
      cause: error,
    })
  }
}

/** Modules of MODULES the cached kernel lacks (a cache made before the list grew). */
/** @param {string} kernelDir */
function missingModules(kernelDir) {
  return MODULES.filter((m) => !existsSync(join(kernelDir, 'modules', `${moduleName(m)}.ko`)))
}

/** @param {string} module */
function moduleName(module) {
  return module.split('/').at(-1) ?? module
}

/**
 * Downloads the kernel package (apt-get download) and keeps vmlinuz and the modules we load. A
 * cache that lacks modules gets them file by file: other checkouts may be booting it right now.
 */
/** @param {string} kernelPackage @param {string} kernelDir @param {(line: string) => void} log */
async function fetchKernel(kernelPackage, kernelDir, log) {
  const [name, version] = kernelPackage.split('_')
  const work = mkdtempSync(join(dirname(kernelDir), 'download-'))
  try {
    log(`downloading ${name}=${version}`)
    await run('apt-get', ['download', `${name}=${version}`], { cwd: work, maxBuffer: 1 << 24 })
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'))
    if (!deb) throw new Error(`apt-get download ${name} left no .deb`)
    const tree = join(work, 'tree')
    mkdirSync(tree)
    log(`extracting ${deb}`)
    await extract(join(work, deb), tree)
    const release = readdirSync(join(tree, 'lib/modules'))[0] ?? ''
    const modulesOf = (/** @type {string} */ dir) => {
      for (const module of MODULES) {
        const file = join(tree, 'lib/modules', release, 'kernel', `${module}.ko`)
        const into = join(dir, 'modules', `${moduleName(module)}.ko`)
        if (!existsSync(into)) renameSync(file, into)
      }
    }
    if (existsSync(join(kernelDir, 'done'))) return modulesOf(kernelDir)
    const staging = join(work, 'kernel')
    mkdirSync(join(staging, 'modules'), { recursive: true })
    renameSync(join(tree, 'boot', `vmlinuz-${release}`), join(staging, 'vmlinuz'))
    modulesOf(staging)
    writeFileSync(join(staging, 'done'), `${release}\n`)
    try {
      renameSync(staging, kernelDir)
    } catch (error) {
      // Another test process fetched the same kernel first: use theirs.
      if (!existsSync(join(kernelDir, 'done'))) throw error
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** `dpkg-deb --fsys-tarfile DEB | tar -x` of only vmlinuz and the needed modules. */
/** @param {string} deb @param {string} into */
function extract(deb, into) {
  const wanted = ['./boot/vmlinuz-*', ...MODULES.map((m) => `./lib/modules/*/kernel/${m}.ko`)]
  return new Promise((resolve, reject) => {
    const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const tar = spawn('tar', ['-x', '-C', into, '--wildcards', ...wanted], {
      stdio: ['pipe', 'inherit', 'inherit'],
    })
    dpkg.stdout.pipe(tar.stdin)
    dpkg.on('error', reject)
    tar.on('error', reject)
    tar.on('close', (code) =>
      code === 0 ? resolve(undefined) : reject(new Error(`tar exited ${code} extracting ${deb}`)),
    )
  })
}

/** The initramfs for this kernel, rebuilt whenever the guest scripts or host binaries change. */
/** @param {string} kernelDir @param {(line: string) => void} log */
async function buildInitrd(kernelDir, log) {
  const entries = await initrdEntries(kernelDir)
  const hash = createHash('sha256')
  for (const entry of entries) {
    hash.update(entry.path)
    if (entry.type === 'file') hash.update(entry.data)
  }
  const initrd = join(kernelDir, `initrd-${hash.digest('hex').slice(0, 16)}.cpio.gz`)
  if (existsSync(initrd)) return initrd
  log(`writing ${initrd}`)
  // Other checkouts may boot other versions right now: only week-old ones go.
  for (const old of readdirSync(kernelDir).filter((f) => f.startsWith('initrd-'))) {
    const path = join(kernelDir, old)
    if (Date.now() - statSync(path).mtimeMs > 7 * 86_400_000) rmSync(path, { force: true })
  }
  const temp = `${initrd}.${process.pid}.tmp`
  writeFileSync(temp, gzipSync(cpioArchive(entries), { level: 6 }))
  renameSync(temp, initrd)
  return initrd
}

/** @param {string} kernelDir @returns {Promise<import('./cpio.mjs').CpioEntry[]>} */
async function initrdEntries(kernelDir) {
  const dirs = ['bin', 'sbin', 'dev', 'etc', 'lib', 'lib/modules', 'lib64', 'proc', 'sys', 'tmp']
  /** @type {import('./cpio.mjs').CpioEntry[]} */
  const entries = [...dirs, 'usr', 'usr/bin', 'usr/sbin'].map((path) => ({ path, type: 'dir' }))
  entries.push(
    { path: 'dev/console', type: 'char', major: 5, minor: 1 },
    { path: 'dev/null', type: 'char', major: 1, minor: 3 },
    { path: 'dev/ttyS0', type: 'char', major: 4, minor: 64 },
    { path: 'dev/ttyS1', type: 'char', major: 4, minor: 65 },
    { path: 'init', type: 'file', mode: 0o755, data: readFileSync(join(here, 'guest/init.sh')) },
    {
      path: 'serve.sh',
      type: 'file',
      mode: 0o755,
      data: readFileSync(join(here, 'guest/serve.sh')),
    },
    { path: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(BUSYBOX) },
    { path: 'bin/sh', type: 'symlink', target: 'busybox' },
  )
  const tools = Object.values(GUEST_TOOLS)
  for (const tool of tools)
    entries.push({ path: tool.slice(1), type: 'file', mode: 0o755, data: readFileSync(tool) })
  const libDirs = new Set()
  const libraries = new Set((await Promise.all(tools.map(sharedLibraries))).flat())
  for (const library of [...libraries].sort()) {
    const dir = dirname(library).slice(1)
    if (!dirs.includes(dir) && !libDirs.has(dir)) {
      libDirs.add(dir)
      entries.push({ path: dir, type: 'dir' })
    }
    entries.push({ path: library.slice(1), type: 'file', mode: 0o755, data: readFileSync(library) })
  }
  const names = MODULES.map(moduleName)
  for (const name of names) {
    const data = readFileSync(join(kernelDir, 'modules', `${name}.ko`))
    entries.push({ path: `lib/modules/${name}.ko`, type: 'file', data })
  }
  entries.push({
    path: 'lib/modules/load-order',
    type: 'file',
    data: Buffer.from(names.join('\n')),
  })
  return entries
}

/** Absolute paths of the shared objects `binary` loads, as ldd lists them. */
/** @param {string} binary @returns {Promise<string[]>} */
async function sharedLibraries(binary) {
  const { stdout } = await run('ldd', [binary])
  return stdout
    .split('\n')
    .map((line) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1])
    .filter((path) => path !== undefined)
}
