import { describe, expect, it } from 'vitest'
import { ResponseReader } from './http-response.ts'

const reader = (keepBytes = 1024, headRequest = false) =>
  new ResponseReader({ headRequest, keepBytes, maxBodyBytes: 4096 })

function feed(r: ResponseReader, ...parts: string[]): ResponseReader {
  for (const part of parts) r.push(Buffer.from(part, 'latin1'))
  return r
}

describe('HTTP response reader', () => {
  it('reads a chunked body split at every awkward place, with extensions and trailers', () => {
    const text =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n'
    for (let cut = 1; cut < text.length; cut++) {
      const r = feed(reader(), text.slice(0, cut), text.slice(cut))
      expect(r.error).toBeUndefined()
      expect(r.complete).toBe(true)
      expect(r.bodyText()).toBe('hello world')
      expect(r.head?.keepAlive).toBe(true)
    }
  })

  it('skips interim 100 Continue and 103 responses', () => {
    const r = feed(
      reader(),
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n',
      'HTTP/1.1 204 No Content\r\n\r\n',
    )
    expect(r.head?.status).toBe(204)
    expect(r.complete).toBe(true)
  })

  it('takes no body after HEAD, 204 and 304, whatever Content-Length says', () => {
    expect(feed(reader(0, true), 'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n').complete).toBe(
      true,
    )
    expect(
      feed(reader(), 'HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\n\r\n').complete,
    ).toBe(true)
  })

  it('treats a body without length as ending at close and the connection as single-use', () => {
    const r = feed(reader(), 'HTTP/1.1 200 OK\r\n\r\nsome body')
    expect(r.complete).toBe(false)
    r.end()
    expect(r.complete).toBe(true)
    expect(r.bodyText()).toBe('some body')
    expect(r.head?.keepAlive).toBe(false)
  })

  it('knows HTTP/1.0 keep-alive only when asked for', () => {
    expect(feed(reader(), 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').head?.keepAlive).toBe(
      false,
    )
    expect(
      feed(reader(), 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').head
        ?.keepAlive,
    ).toBe(true)
  })

  it('refuses conflicting lengths, bad chunk sizes, upgrades and oversized heads', () => {
    const cases = [
      [
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
        'invalid Content-Length "5, 6"',
      ],
      ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'invalid Content-Length "-1"'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'malformed chunk size "zz"'],
      ['HTTP/1.1 101 Switching Protocols\r\n\r\n', 'unexpected 101 Switching Protocols'],
      [`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(20_000)}`, 'response head larger than 16 KiB'],
      ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'malformed header line "no colon here"'],
      ['\u0000\u0001garbage\r\n\r\n', 'malformed status line "\\u0000\\u0001garbage"'],
    ]
    for (const [text, error] of cases) expect(feed(reader(), text!).error).toBe(error)
  })

  it('stops at maxBodyBytes instead of reading a huge body', () => {
    const r = feed(
      reader(10),
      'HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n',
      'x'.repeat(5000),
    )
    expect(r.overflow).toBe(true)
    expect(r.bodyText()).toBe('xxxxxxxxxx')
  })
})
