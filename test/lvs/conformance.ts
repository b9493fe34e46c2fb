// Runs lists of ipvsadm command lines on the real kernel (one batch inside the lab VM) and on
// the simulator (in process, fresh world), so their outputs can be compared byte for byte.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { shellQuote } from '../lab/ipvs-vm/vm.mjs'
import { runIpvsadm } from '../lab/ipvsadm/run.mjs'

export interface ToolRun {
  command: string
  code: number
  stdout: string
  stderr: string
}

/** The edge-case corpus: argv per line (first word `ipvsadm`), comments dropped. */
export function edgeCases(): string[][] {
  const file = fileURLToPath(new URL('../fixtures/ipvsadm-edge-cases.txt', import.meta.url))
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split(' ').slice(1))
}

/**
 * All commands in one guest script, each one's output in files of its own, then every exit
 * status, every size and all output in three commands: a fork costs milliseconds under TCG.
 */
export async function runInGuest(
  guest: (script: string) => Promise<{ code: number; stdout: string; stderr: string }>,
  commands: string[][],
): Promise<ToolRun[]> {
  const files = commands.map((_, i) => String(i).padStart(4, '0'))
  const script = [
    'rm -rf /tmp/b && mkdir /tmp/b && cd /tmp/b',
    ...commands.map(
      (argv, i) =>
        `ipvsadm ${argv.map(shellQuote).join(' ')} >o${files[i]} 2>e${files[i]}; echo $? >>rc`,
    ),
    `cat rc; wc -c ${files.map((f) => `o${f} e${f}`).join(' ')}; cat ${files.map((f) => `o${f} e${f}`).join(' ')}`,
  ].join('\n')
  const data = Buffer.from((await guest(script)).stdout)
  const lines = (count: number, from: number) => {
    let at = from
    const out: string[] = []
    for (let i = 0; i < count; i++) {
      const end = data.indexOf(10, at)
      out.push(data.subarray(at, end).toString())
      at = end + 1
    }
    return { out, at }
  }
  const codes = lines(commands.length, 0)
  const sizes = lines(commands.length * 2 + 1, codes.at)
  let at = sizes.at
  const next = (line: string | undefined) => {
    const size = Number(line?.trim().split(/\s+/)[0])
    const text = data.subarray(at, at + size).toString()
    at += size
    return text
  }
  return commands.map((argv, i) => ({
    command: argv.join(' '),
    code: Number(codes.out[i]),
    stdout: next(sizes.out[2 * i]),
    stderr: next(sizes.out[2 * i + 1]),
  }))
}

/** The same commands through the simulator's code, on a world of their own. */
export function runInSimulator(commands: string[][]): ToolRun[] {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-conformance-'))
  const previous = process.env.TANDEM_LAB_WORLD
  process.env.TANDEM_LAB_WORLD = join(dir, 'world.json')
  try {
    return commands.map((argv) => ({ command: argv.join(' '), ...runIpvsadm(argv) }))
  } finally {
    process.env.TANDEM_LAB_WORLD = previous
    rmSync(dir, { recursive: true, force: true })
  }
}
