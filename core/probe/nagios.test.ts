import { describe, expect, it } from 'vitest'
import { parsePerfData, parsePluginOutput, statusOfExitCode } from './nagios.ts'

describe('Nagios plugin output', () => {
  it('splits text, long text and perfdata over several lines', () => {
    const out = parsePluginOutput(
      'DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n' +
        '/ 15272 MB (77%);\n' +
        '/boot 68 MB (69%); | /boot=68MB;88;93;0;98\n' +
        "'/home dir'=69357MB;253404;253409;0;253414 time=0.5ms\n",
    )
    expect(out.text).toBe('DISK OK - free space: / 3326 MB (56%);')
    expect(out.long).toBe('/ 15272 MB (77%);\n/boot 68 MB (69%);')
    expect(out.perfdata).toEqual([
      { label: '/', value: 2643, unit: 'MB', warn: '5948', crit: '5958', min: 0, max: 5968 },
      { label: '/boot', value: 68, unit: 'MB', warn: '88', crit: '93', min: 0, max: 98 },
      {
        label: '/home dir',
        value: 69357,
        unit: 'MB',
        warn: '253404',
        crit: '253409',
        min: 0,
        max: 253414,
      },
      { label: 'time', value: 0.5, unit: 'ms' },
    ])
  })

  it('keeps ranges as written, reads U as unknown and skips malformed items', () => {
    expect(parsePerfData("load1=0.12;@1:5;~:10 'it''s'=U c=12c junk=abc =5")).toEqual([
      { label: 'load1', value: 0.12, unit: '', warn: '@1:5', crit: '~:10' },
      { label: "it's", value: null, unit: '' },
      { label: 'c', value: 12, unit: 'c' },
    ])
  })

  it('maps exit codes the way Nagios does', () => {
    expect([0, 1, 2, 3, 4, 127, null].map(statusOfExitCode)).toEqual([
      'ok',
      'warning',
      'critical',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ])
  })
})
