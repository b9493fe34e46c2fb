// Remote quoting: what /bin/sh makes of a quoted command line is exactly the original argv.
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { INJECTION_CORPUS } from '../../test/fixtures/injection-corpus.ts'
import { quoteForShell, shellCommandLine } from './shell-quote.ts'

describe('shell quoting', () => {
  it('round-trips the injection corpus through a real POSIX shell', () => {
    const line = shellCommandLine(['printf', '%s\\0', ...INJECTION_CORPUS])
    const out = execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8' })
    expect(out.split('\0').slice(0, -1)).toEqual(INJECTION_CORPUS)
  })

  it('refuses NUL, which no argv can carry', () => {
    expect(() => quoteForShell('a\0b')).toThrow(/NUL/)
  })
})
