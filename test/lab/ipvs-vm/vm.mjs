// @ts-check
// Boots the kernel lab VM under qemu (TCG, no KVM needed) and lends its real kernel to the host:
// generated wrappers (`ipvsadm`, `mount`, `nbd-client`, ...) forward argv and stdin to the guest's
// real tool and return its output exactly.
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildLab, GUEST_TOOLS } from './build.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const REQUEST_TIMEOUT_MS = 60_000

/**
 * @typedef {{ code: number, stdout: string, stderr: string }} GuestResult
 * @typedef {keyof typeof GUEST_TOOLS} GuestTool
 * @typedef {{
 *   ipvsadm: string,
 *   tools: Record<GuestTool, string>,
 *   kernel: string,
 *   bootMs: number,
 *   sh(script: string, stdin?: string): Promise<GuestResult>,
 *   console(): string,
 *   stop(): Promise<void>,
 * }} IpvsVm
 */

/**
 * Builds (cached) and boots the VM; resolves once its kernel has its modules loaded and it takes
 * commands. `tools[name]` is the path of a host executable that runs the guest's real tool
 * (`ipvsadm` is `tools.ipvsadm`).
 * @param {{ log?: (line: string) => void, bootTimeoutMs?: number }} [options]
 * @returns {Promise<IpvsVm>}
 */
export async function startIpvsVm({ log = () => {}, bootTimeoutMs = 90_000 } = {}) {
  const lab = await buildLab({ log })
  const dir = mkdtempSync(join(tmpdir(), 'tandem-ipvs-vm-'))
  const consoleLog = join(dir, 'console.log')
  const started = Date.now()
  // setpriv --pdeathsig: the VM dies with the process that started it, even on SIGKILL.
  const argv = [process.env.TANDEM_IPVS_QEMU ?? 'qemu-system-x86_64', ...qemuArgs(lab, consoleLog)]
  const [file = '', ...args] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', ...argv]
    : argv
  const qemu = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const killOnExit = () => qemu.kill('SIGKILL')
  process.once('exit', killOnExit)
  const channel = guestChannel(qemu, () => readConsole(consoleLog))
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    process.removeListener('exit', killOnExit)
    await channel.close()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const release = await channel.ready(bootTimeoutMs)
    log(`VM up (kernel ${release}) in ${Date.now() - started} ms`)
  } catch (error) {
    await stop()
    throw error
  }
  const bootMs = Date.now() - started
  const sh = (/** @type {string} */ script, stdin = '') => channel.request(script, stdin)
  const socket = join(dir, 'broker.sock')
  const broker = await serveBroker(socket, sh)
  const tools = /** @type {Record<GuestTool, string>} */ (
    Object.fromEntries(
      Object.keys(GUEST_TOOLS).map((tool) => [tool, writeWrapper(dir, socket, tool)]),
    )
  )
  return {
    ipvsadm: tools.ipvsadm,
    tools,
    kernel: lab.kernelPackage,
    bootMs,
    sh,
    console: () => readConsole(consoleLog),
    stop: async () => {
      broker.close()
      await stop()
    },
  }
}

/** Quotes one argument for the guest's shell. @param {string} arg */
export function shellQuote(arg) {
  return `'${arg.replaceAll("'", `'\\''`)}'`
}

/** @param {{ kernel: string, initrd: string }} lab @param {string} consoleLog */
function qemuArgs(lab, consoleLog) {
  return [
    ...['-nodefaults', '-no-reboot', '-display', 'none', '-machine', 'q35', '-accel', 'tcg'],
    ...[
      '-cpu',
      process.env.TANDEM_IPVS_CPU ?? 'max',
      '-m',
      '256',
      '-smp',
      '1',
      '-kernel',
      lab.kernel,
      '-initrd',
      lab.initrd,
    ],
    ...['-append', 'console=ttyS0 panic=-1 quiet mitigations=off'],
    // ttyS0: the kernel console, kept for diagnostics; ttyS1: the command channel (our stdio).
    ...['-serial', `file:${consoleLog}`, '-serial', 'stdio'],
  ]
}

/**
 * The line protocol of guest/serve.sh over qemu's stdio, one request in flight at a time.
 * @param {import('node:child_process').ChildProcessWithoutNullStreams} qemu
 * @param {() => string} consoleTail
 */
function guestChannel(qemu, consoleTail) {
  /** @type {{ id: number, script: string, stdin: string, resolve: (r: GuestResult) => void, reject: (e: Error) => void }[]} */
  const queue = []
  /** @type {((line: string) => void) | undefined} */
  let onReady
  let exited = false
  let stderr = ''
  let nextId = 1
  let buffer = ''
  const failAll = (/** @type {Error} */ error) => {
    for (const pending of queue.splice(0)) pending.reject(error)
  }
  const send = () => {
    const head = queue[0]
    if (!head || exited) return
    const encode = (/** @type {string} */ text) => `.${Buffer.from(text).toString('base64')}`
    qemu.stdin.write(`${head.id} ${encode(head.script)} ${encode(head.stdin)}\n`)
  }
  qemu.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  qemu.stdout.on('data', (chunk) => {
    buffer += chunk
    for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
      const line = buffer.slice(0, at).replace(/\r$/, '')
      buffer = buffer.slice(at + 1)
      if (/^(READY|FAIL) /.test(line)) onReady?.(line)
      else if (line.startsWith('RES ')) answer(line)
    }
  })
  const answer = (/** @type {string} */ line) => {
    const [, id, code, out = '.', err = '.'] = line.split(' ')
    const head = queue[0]
    if (!head || String(head.id) !== id) return
    queue.shift()
    const decode = (/** @type {string} */ field) => Buffer.from(field.slice(1), 'base64').toString()
    head.resolve({ code: Number(code), stdout: decode(out), stderr: decode(err) })
    send()
  }
  const exitedPromise = new Promise((resolve) => {
    qemu.on('exit', (code, signal) => {
      exited = true
      const why = `qemu exited (${signal ?? code})${stderr ? `: ${stderr.trim()}` : ''}`
      failAll(new Error(`[ipvs-vm] ${why}`))
      onReady?.(`FAIL ${why}`)
      resolve(undefined)
    })
    qemu.on('error', (error) => {
      exited = true
      failAll(error)
      onReady?.(`FAIL cannot start qemu-system-x86_64: ${error.message}`)
      resolve(undefined)
    })
  })
  return {
    /** @param {number} timeoutMs @returns {Promise<string>} */
    ready(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          onReady = undefined
          reject(new Error(`[ipvs-vm] no READY within ${timeoutMs} ms; console:\n${consoleTail()}`))
        }, timeoutMs)
        onReady = (line) => {
          clearTimeout(timer)
          onReady = undefined
          if (line.startsWith('READY ')) resolve(line.slice(6))
          else reject(new Error(`[ipvs-vm] ${line.slice(5)}\nconsole:\n${consoleTail()}`))
        }
      })
    },
    /** @param {string} script @param {string} stdin @returns {Promise<GuestResult>} */
    request(script, stdin) {
      if (exited) return Promise.reject(new Error('[ipvs-vm] the VM is not running'))
      return new Promise((resolve, reject) => {
        const id = nextId++
        // A lost answer desynchronises the line protocol: give up on this VM rather than guess.
        const timer = setTimeout(() => {
          failAll(
            new Error(
              `[ipvs-vm] no answer to request ${id} in ${REQUEST_TIMEOUT_MS} ms: ${script.trim()}\nconsole:\n${consoleTail()}`,
            ),
          )
          qemu.kill('SIGKILL')
        }, REQUEST_TIMEOUT_MS)
        const done = (/** @type {() => void} */ settle) => {
          clearTimeout(timer)
          settle()
        }
        queue.push({
          id,
          script,
          stdin,
          resolve: (result) => done(() => resolve(result)),
          reject: (error) => done(() => reject(error)),
        })
        if (queue.length === 1) send()
      })
    },
    async close() {
      if (!exited) qemu.kill('SIGKILL')
      await exitedPromise
    },
  }
}

/**
 * A Unix socket the wrappers (client.pl) talk to: one request per connection, framed as a count
 * then `<byte length>\n<bytes>` fields; tool and argv then stdin in, exit status then stdout,
 * stderr out. Only the tools of GUEST_TOOLS run.
 * @param {string} path
 * @param {(script: string, stdin?: string) => Promise<GuestResult>} sh
 */
function serveBroker(path, sh) {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    /** @type {Buffer[]} */
    const chunks = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', async () => {
      let reply
      try {
        const [argc = 0, ...fields] = readFrames(Buffer.concat(chunks))
        const [tool = '', ...argv] = fields.slice(0, Number(argc))
        const stdin = fields[Number(argc)] ?? ''
        reply = await sh(`${guestCommand(tool)} ${argv.map(shellQuote).join(' ')}\n`, stdin)
      } catch (error) {
        reply = { code: 125, stdout: '', stderr: `${/** @type {Error} */ (error).message}\n` }
      }
      const field = (/** @type {string} */ text) => `${Buffer.byteLength(text)}\n${text}`
      socket.end(`${reply.code}\n${field(reply.stdout)}${field(reply.stderr)}`)
    })
    socket.on('error', () => {})
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve(server))
  })
}

/** The request's fields: the count line, then each length-prefixed field, as strings. */
function readFrames(/** @type {Buffer} */ data) {
  const newline = data.indexOf(10)
  const fields = [data.subarray(0, newline).toString()]
  let at = newline + 1
  while (at < data.length) {
    const end = data.indexOf(10, at)
    const length = Number(data.subarray(at, end).toString())
    fields.push(data.subarray(end + 1, end + 1 + length).toString())
    at = end + 1 + length
  }
  return fields
}

/**
 * How the guest's shell names a tool. Busybox runs its own applet for a bare `grep`, `mount`,
 * `umount` or `nbd-client` (its shell prefers applets): those go by path. ipvsadm keeps its bare
 * name, which it prints in its usage text.
 * @param {string} tool
 */
function guestCommand(tool) {
  if (!Object.hasOwn(GUEST_TOOLS, tool)) throw new Error(`[ipvs-vm] no tool ${tool} in the VM`)
  return tool === 'ipvsadm' ? tool : GUEST_TOOLS[/** @type {GuestTool} */ (tool)]
}

/** An executable `TOOL` whose every run is the guest's TOOL with the same argv and stdin. */
/** @param {string} dir @param {string} socket @param {string} tool */
function writeWrapper(dir, socket, tool) {
  const path = join(dir, tool)
  const client = join(here, 'client.pl')
  const q = shellQuote
  writeFileSync(path, `#!/bin/sh\nexec perl ${q(client)} ${q(socket)} ${q(tool)} "$@"\n`)
  chmodSync(path, 0o755)
  return path
}

/** @param {string} path */
function readConsole(path) {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-30).join('\n')
  } catch {
    return '(no console output)'
  }
}
