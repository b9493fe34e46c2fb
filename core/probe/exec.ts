// The exec probe: a Nagios-compatible plugin run as an argv array, killed as a group at its timeout.
import { TandemError } from '../errors.ts'
import { parsePluginOutput, statusOfExitCode } from './nagios.ts'
import { type ProbeResult, result, timedOut } from './result.ts'
import { runCaptured } from './spawn-capture.ts'
import type { CheckTarget } from './targets.ts'

/** Plugins write a line or a few; more than this per stream is cut. */
export const MAX_PLUGIN_OUTPUT = 8 * 1024
const MAX_TEXT = 300

/** The environment plugins run with: nothing of tandem's own (secrets live in env vars). */
export function pluginEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', LC_ALL: 'C' }
}

/**
 * Compiles an exec target: `{address}` and `{port}` in the argv are replaced by the target's
 * values (inventory data, never probe output); the argv goes to the kernel as is, no shell.
 *
 * @example
 * const run = createExecProbe(target) // command: [/usr/lib/nagios/plugins/check_tcp, -H, '{address}', -p, '{port}']
 * await run(2000) // { status: 'ok', detail: 'TCP OK - 0.000 second response time on port 22', data: { perfdata } }
 */
export function createExecProbe(target: CheckTarget): (timeoutMs: number) => Promise<ProbeResult> {
  const argv = target.check.command!.map((arg) => {
    if (arg.includes('{port}') && target.port === undefined)
      throw new TandemError(
        'CONFIG_INVALID',
        `[probe] ${target.id}: the command uses {port} but neither the check nor the real server has one`,
      )
    return arg.replaceAll('{address}', target.address).replaceAll('{port}', String(target.port))
  })
  return async (timeoutMs) => {
    const startedAt = performance.now()
    const out = await runCaptured(argv, {
      timeoutMs,
      maxOutputBytes: MAX_PLUGIN_OUTPUT,
      env: pluginEnv(),
    })
    if (out.spawnError)
      return result('unknown', startedAt, `cannot run ${argv[0]}: ${out.spawnError}`)
    if (out.timedOut) return timedOut(startedAt, timeoutMs, 'process group killed', out.stalledMs)
    const parsed = parsePluginOutput(out.stdout)
    const data: Record<string, unknown> = { exitCode: out.code, perfdata: parsed.perfdata }
    if (parsed.long) data.long = parsed.long.slice(0, MAX_PLUGIN_OUTPUT)
    if (out.truncated) data.truncated = true
    if (out.signal) return result('unknown', startedAt, `killed by ${out.signal}`, data)
    const text = parsed.text || out.stderr.trim().split('\n')[0] || `(no output, exit ${out.code})`
    return result(statusOfExitCode(out.code), startedAt, clip(text), data)
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text
}
