// The logger speaks to people on a terminal and to machines elsewhere, and never leaks a secret.
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger, logFormat } from './log.ts'

function capture(isTTY: boolean) {
  const stream = new PassThrough()
  Object.assign(stream, { isTTY })
  const chunks: string[] = []
  stream.on('data', (chunk) => chunks.push(String(chunk)))
  return { stream, text: () => chunks.join('') }
}

describe('log format', () => {
  it('writes readable lines to a terminal and JSON lines to a pipe', () => {
    const tty = capture(true)
    createLogger({ destination: tty.stream, format: undefined }).warn('[act] node2 refused', {
      runId: 'run-1',
    })
    const pipe = capture(false)
    createLogger({ destination: pipe.stream }).warn('[act] node2 refused', { runId: 'run-1' })
    expect(tty.text()).toMatch(/WARN.*\[act\] node2 refused/)
    expect(tty.text()).toContain('runId: "run-1"')
    expect(() => JSON.parse(tty.text())).toThrow()
    expect(JSON.parse(pipe.text())).toMatchObject({ level: 40, msg: '[act] node2 refused' })
  })

  it('scrubs secrets in pretty output too', () => {
    const tty = capture(true)
    createLogger({ destination: tty.stream, redactValues: () => ['hunter2'] }).info(
      'password hunter2 rejected',
      { detail: 'hunter2' },
    )
    expect(tty.text()).toContain('password *** rejected')
    expect(tty.text()).not.toContain('hunter2')
  })

  it('lets TANDEM_LOG_FORMAT or the caller override the terminal guess', () => {
    const tty = capture(true).stream
    expect(logFormat('json', tty)).toBe('json')
    expect(logFormat('pretty', capture(false).stream)).toBe('pretty')
    process.env.TANDEM_LOG_FORMAT = 'json'
    try {
      expect(logFormat(undefined, tty)).toBe('json')
    } finally {
      delete process.env.TANDEM_LOG_FORMAT
    }
  })
})
