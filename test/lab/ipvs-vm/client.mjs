// @ts-check
// The host-side `ipvsadm` of the IPVS lab VM: sends argv (and stdin for -R) to the VM's broker and
// reproduces the guest ipvsadm's stdout, stderr and exit status. Usage: client.mjs SOCKET ARGS...
import { connect } from 'node:net'

const [socketPath = '', ...argv] = process.argv.slice(2)

/** Real ipvsadm reads stdin only when restoring (-R must be the first option). */
const restoring = /^(-R|--restore$)/.test(argv[0] ?? '')
const stdin = restoring ? await readStdin() : ''

const socket = connect(socketPath)
let reply = ''
socket.setEncoding('utf8')
socket.on('data', (chunk) => {
  reply += chunk
})
socket.on('connect', () => socket.end(JSON.stringify({ argv, stdin })))
socket.on('error', (error) => {
  process.stderr.write(`[ipvs-vm] cannot reach the VM at ${socketPath}: ${error.message}\n`)
  process.exit(125)
})
socket.on('close', () => {
  if (!reply) return
  const { code, stdout, stderr } = JSON.parse(reply)
  process.stdout.write(stdout)
  process.stderr.write(stderr, () => process.exit(code))
})

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString()
}
