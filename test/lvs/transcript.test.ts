// Replays the reference transcript of ipvsadm 1.31 against the lab simulator through a real
// shell (pipes, redirections and all) and compares output and exit status byte for byte.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { closeConnection, openConnection, recordTraffic } from '../lab/ipvsadm/traffic.mjs'
import { kernelListing, readTranscript, WEIGHT_70000_STEP } from './transcript.ts'

const bin = fileURLToPath(new URL('../lab/bin', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'tandem-transcript-'))
process.env.TANDEM_LAB_WORLD = join(dir, 'world.json')

/** The shell step with ipvsadm on PATH being the simulator. */
function shell(command: string) {
  const result = spawnSync('/bin/sh', ['-c', command], {
    env: { PATH: `${bin}:${process.env.PATH}`, TANDEM_LAB_WORLD: process.env.TANDEM_LAB_WORLD },
    encoding: 'utf8',
  })
  return { output: result.stdout + result.stderr, rc: result.status }
}

const service = { protocol: 'tcp' as const, address: '192.0.2.20', port: 8080 }
const dest = { address: '127.0.0.1', port: 8080 }
const CLIENT_PORTS = [36700, 36710, 36720, 36740, 36730, 36774]

/**
 * The traffic step ran httpd and six wget downloads through 192.0.2.20:8080 on the real
 * machine. The simulator has no network: the step's ipvsadm commands run, then the lab records
 * the same six connections and the counters the transcript shows. Client ports and the
 * TIME_WAIT age (01:56 left when listed, see ageConnections) are the transcript's, so `-Lnc`
 * matches byte for byte.
 */
function downloads() {
  const commands = shell(
    'ipvsadm -A -t 192.0.2.20:8080 -s rr; ipvsadm -a -t 192.0.2.20:8080 -r 127.0.0.1:8080 -m',
  )
  for (const port of CLIENT_PORTS) {
    openConnection({ service, dest, client: `192.0.2.20:${port}` })
    closeConnection(`192.0.2.20:${port}`, undefined, { lingerMs: 116_900 })
  }
  const stats = { inpkts: 115, outpkts: 105, inbytes: 6514, outbytes: 1849854 }
  const rate = { cps: 1, inpps: 14, outpps: 13, inbps: 814, outbps: 231232 }
  recordTraffic({ service, dest, stats, rate })
  const done = shell('echo done')
  return { output: commands.output + done.output, rc: done.rc }
}

/**
 * The connections closed 01:56.9 before they expire, again, just before `-Lnc` lists them: the
 * steps in between spawn processes, which on a loaded machine can take longer than the second
 * the listing's whole-second expiry leaves.
 */
function ageConnections() {
  for (const port of CLIENT_PORTS)
    closeConnection(`192.0.2.20:${port}`, undefined, { lingerMs: 116_900 })
}

/** Runs a step; where the simulator cannot do what the real machine did, the lab's equivalent. */
function replay(command: string) {
  if (command.includes('wget')) return downloads()
  if (command.includes('-Lnc')) ageConnections()
  // -Z zeroes at once; the real run slept so the rate estimator settles. Nothing to wait for here.
  return shell(command.replaceAll('sleep 2.5; ', '').replaceAll('/tmp/r', join(dir, 'rules')))
}

describe('the ipvsadm simulator replays the real ipvsadm 1.31 transcript', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const steps = readTranscript()

  it('has every step of the transcript to replay', () => {
    expect(steps).toHaveLength(30)
  })

  for (const step of steps) {
    it(step.command, () => {
      const expected = step.command.startsWith(WEIGHT_70000_STEP)
        ? kernelListing(step)
        : step.output
      expect(replay(step.command)).toEqual({ output: expected, rc: step.rc })
    })
  }

  it('differs from the transcript only where the kernel does (the .11 weight after -w 70000)', () => {
    const step = steps.find((s) => s.command.startsWith(WEIGHT_70000_STEP))
    expect(step && kernelListing(step)).not.toBe(step?.output)
  })
})
