// @ts-check
// The lab's ssh: runs the remote command "on" a world node, or fails exactly like OpenSSH cannot.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { findNode, sshFailure } from '../reach.mjs'
import { readWorld } from '../world.mjs'

// OpenSSH options that take a value (ssh(1)); every other letter is a flag.
const WITH_VALUE = new Set('BbcDEeFIiJLlmOopQRSWw'.split(''))

const { host, port, command } = parse(process.argv.slice(2))
if (!host) usage()
const world = readWorld()
const failure = sshFailure(world, host, port)
if (failure) {
  process.stderr.write(`${failure}\r\n`)
  process.exit(255)
}
if (!command) {
  process.stderr.write('lab ssh: an interactive shell is not simulated; give a command\r\n')
  process.exit(255)
}
const [name] = /** @type {[string, unknown]} */ (findNode(world, host))
const tool = labTool(command)
if (tool) {
  // A plain quoted argv naming a lab tool means the same as `sh -c` would run, without two more
  // node start-ups per remote command: those dominated the lab's CPU on a loaded 2-core machine.
  Object.assign(process.env, tool.env, { TANDEM_LAB_NODE: name })
  process.argv = [process.execPath, tool.bin, ...tool.args]
  await import(tool.module)
} else runInShell(command, name)

/**
 * sshd runs the joined command line through the user's shell, as `$SHELL -c`.
 * @param {string} command
 * @param {string} name
 */
function runInShell(command, name) {
  const child = spawn('/bin/sh', ['-c', command], {
    stdio: 'inherit',
    env: { ...process.env, TANDEM_LAB_NODE: name },
  })
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT', 'SIGHUP']))
    process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(signal ? 255 : (code ?? 255)))
}

/**
 * The lab tool a command line runs, when the line is nothing but single-quoted words (as
 * tandem's ssh runner writes it), optionally after `env NAME=value ...`.
 * @param {string} line
 * @returns {{ bin: string, module: string, args: string[], env: Record<string, string> } | undefined}
 */
function labTool(line) {
  const words = quotedWords(line)
  if (!words) return undefined
  /** @type {Record<string, string>} */
  const env = {}
  if (words[0] === 'env')
    for (words.shift(); words[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]); ) {
      const assignment = /** @type {string} */ (words.shift())
      const at = assignment.indexOf('=')
      env[assignment.slice(0, at)] = assignment.slice(at + 1)
    }
  const [program, ...args] = words
  if (!program || !/^[a-z_][a-z0-9_.-]*$/.test(program)) return undefined
  // Only where the remote shell's PATH lookup would find the lab's own tool.
  const bin = new URL(`../bin/${program}`, import.meta.url)
  const found = (env.PATH ?? process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir || '.', program))
    .find((path) => existsSync(path))
  if (!found || realpathSync(found) !== realpathSync(bin)) return undefined
  const target = /^import '(\.\.\/tools\/[\w.-]+\.mjs)'$/m.exec(readFileSync(bin, 'utf8'))?.[1]
  if (!target) return undefined
  return { bin: bin.pathname, module: new URL(target, bin).href, args, env }
}

/**
 * `'a' 'b'\''c'` → ['a', "b'c"]; undefined for anything else, which a shell would interpret.
 * @param {string} line
 */
function quotedWords(line) {
  const words = []
  let i = 0
  while (i < line.length) {
    if (line[i] !== "'") return undefined
    let word = ''
    for (;;) {
      const end = line.indexOf("'", i + 1)
      if (end < 0) return undefined
      word += line.slice(i + 1, end)
      i = end + 1
      // '\'' : close, an escaped quote, open again.
      if (!line.startsWith("\\''", i)) break
      word += "'"
      i += 2
    }
    words.push(word)
    if (i < line.length && line[i++] !== ' ') return undefined
  }
  return words
}

/**
 * Options may come before and after the destination, as with OpenSSH; `--` ends them.
 * @param {string[]} args
 */
function parse(args) {
  let port = '22'
  let host = ''
  let i = 0
  for (; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (arg === '--') {
      i++
      if (!host) host = args[i++] ?? ''
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (host) break
      host = arg
      continue
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] ?? ''
      if (!WITH_VALUE.has(letter)) continue
      const value = j + 1 < arg.length ? arg.slice(j + 1) : (args[++i] ?? '')
      if (letter === 'p') port = value
      if (letter === 'o' && /^port[= ]/i.test(value)) port = value.slice(5).trim()
      break
    }
  }
  return { host, port, command: args.slice(i).join(' ') }
}

function usage() {
  process.stderr.write(
    'usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]\n' +
      '           [-b bind_address] [-c cipher_spec] [-D [bind_address:]port]\n' +
      '           [-E log_file] [-e escape_char] [-F configfile] [-I pkcs11]\n' +
      '           [-i identity_file] [-J [user@]host[:port]] [-L address]\n' +
      '           [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option] [-p port]\n' +
      '           [-Q query_option] [-R address] [-S ctl_path] [-W host:port]\n' +
      '           [-w local_tun[:remote_tun]] destination [command [argument ...]]\n',
  )
  process.exit(255)
}
