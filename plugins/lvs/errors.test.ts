// Every refusal in the ipvsadm 1.31 transcript becomes a typed PluginError with the tool's words.
import { describe, expect, it } from 'vitest'
import type { CommandResult } from '../../core/plugin/index.ts'
import { toolError } from './errors.ts'

const failed = (stderr: string, code: number): CommandResult => ({
  code,
  signal: null,
  stdout: '',
  stderr: `${stderr}\n`,
  durationMs: 3,
  timedOut: false,
  truncated: false,
})

describe('toolError', () => {
  it.each([
    ['Destination already exists', 255, 'DESTINATION_EXISTS'],
    ['Service already exists', 255, 'SERVICE_EXISTS'],
    ['No such destination', 255, 'NO_SUCH_DESTINATION'],
    ['Service not defined', 255, 'NO_SUCH_SERVICE'],
    ['No such service', 1, 'NO_SUCH_SERVICE'],
    ['Scheduler or persistence engine not found', 255, 'BAD_SCHEDULER'],
    ['illegal weight specified', 2, 'BAD_WEIGHT'],
    ['--bogus: unknown option', 255, 'BAD_OPTION'],
    ['Numerical result out of range', 255, 'BAD_THRESHOLDS'],
    ["Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255, 'BAD_OPTION'],
    ['Zero port specified for non-persistent service', 2, 'BAD_ARGUMENT'],
    ['ssh: connect to host 127.0.1.10 port 22: Connection refused', 255, 'UNREACHABLE'],
    ['something new', 255, 'COMMAND_FAILED'],
  ])('"%s" (exit %i) is %s', (message, code, kind) => {
    const error = toolError(failed(message, code), 'ipvsadm -a ... on director')
    expect(error).toMatchObject({
      kind,
      toolMessage: message,
      exitCode: code,
      code: 'PLUGIN_ACTION_FAILED',
    })
    expect(error.message).toBe(`[lvs] ipvsadm -a ... on director: ${message}`)
  })

  it('says a command that never answered timed out', () => {
    const error = toolError(
      { ...failed('', 0), code: null, timedOut: true, durationMs: 10_000 },
      'x',
    )
    expect(error).toMatchObject({ kind: 'TIMEOUT', message: '[lvs] x: no answer within 10000 ms' })
  })
})
