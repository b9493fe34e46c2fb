// @ts-check
// The lab's ssh: runs the remote command "on" a world node, or fails exactly like OpenSSH cannot.
import { spawn } from 'node:child_process'
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
// sshd runs the joined command line through the user's shell, as `$SHELL -c`.
const child = spawn('/bin/sh', ['-c', command], {
  stdio: 'inherit',
  env: { ...process.env, TANDEM_LAB_NODE: name },
})
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT', 'SIGHUP']))
  process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(signal ? 255 : (code ?? 255)))

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
