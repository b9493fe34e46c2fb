// The reference transcript of ipvsadm 1.31 on a real kernel (test/fixtures/ipvsadm-1.31.txt),
// read into steps: the shell command, what it printed (stdout and stderr together) and its status.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface TranscriptStep {
  command: string
  output: string
  rc: number
}

/** A copy of shared/reference/ipvsadm-1.31.txt, kept in the repository so CI has it. */
export const TRANSCRIPT = fileURLToPath(new URL('../fixtures/ipvsadm-1.31.txt', import.meta.url))

export function readTranscript(path = TRANSCRIPT): TranscriptStep[] {
  const steps: TranscriptStep[] = []
  let current: { command: string; lines: string[] } | undefined
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const rc = /^### rc=(\d+)$/.exec(line)
    if (rc && current) {
      const output = current.lines.length > 0 ? `${current.lines.join('\n')}\n` : ''
      steps.push({ command: current.command, output, rc: Number(rc[1]) })
      current = undefined
    } else if (line.startsWith('### ')) {
      current = { command: line.slice(4), lines: [] }
    } else if (current) {
      current.lines.push(line)
    }
  }
  return steps
}

/**
 * The one step the real kernel does not reproduce: after `-e ... -r 198.51.100.12:80 -w 70000`
 * the transcript lists 198.51.100.11 with weight 0, yet that command names .12 only. ipvsadm
 * sends one destination, the kernel edits one (Debian's ipvsadm accepts weights up to INT_MAX,
 * hence 70000), and nothing earlier in the transcript touched .11: the lab VM shows it at 5.
 * A change made outside the transcript is the likely cause; we follow the kernel.
 */
export const WEIGHT_70000_STEP = 'ipvsadm -e -t 192.0.2.10:80 -r 198.51.100.12:80 -w 70000'

/** The transcript's listing for that step, corrected to what the kernel prints. */
export function kernelListing(step: TranscriptStep): string {
  return step.output.replace(
    '  -> 198.51.100.11:80             Masq    0      ',
    '  -> 198.51.100.11:80             Masq    5      ',
  )
}
