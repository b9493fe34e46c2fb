// An incremental HTTP/1.1 response reader for health checks: strict framing, bounded memory.
const CRLF2 = Buffer.from('\r\n\r\n')
const LF2 = Buffer.from('\n\n')
const MAX_HEAD_BYTES = 16 * 1024
const MAX_CHUNK_LINE = 1024

/** The parts of a response head a health check needs. */
export interface ResponseHead {
  status: number
  reason: string
  /** The connection may carry another request after this response. */
  keepAlive: boolean
}

type Framing = 'none' | 'length' | 'chunked' | 'close'
type ChunkPhase = 'size' | 'data' | 'data-end' | 'trailers'

/**
 * Reads one response from pushed bytes. After each `push`, look at `head`, `complete` and
 * `error`. At most `keepBytes` of the body are kept (for body matching); a body longer than
 * `maxBodyBytes` sets `overflow` and the connection must be dropped, never drained.
 *
 * @example
 * const reader = new ResponseReader({ headRequest: false, keepBytes: 0, maxBodyBytes: 65536 })
 * reader.push(chunk)
 * if (reader.error) ...; else if (reader.head) reader.head.status
 */
export class ResponseReader {
  head: ResponseHead | undefined
  complete = false
  overflow = false
  error: string | undefined
  private pending: Buffer | undefined
  private framing: Framing = 'none'
  private remaining = 0
  private bodyBytes = 0
  private kept: Buffer[] = []
  private keptBytes = 0
  private chunkPhase: ChunkPhase = 'size'
  private line = ''

  constructor(
    private readonly options: { headRequest: boolean; keepBytes: number; maxBodyBytes: number },
  ) {}

  /** Feeds bytes as they arrive (they may be overwritten after the call: whatever is kept is
   * copied); returns false once reading must stop (done or failed). */
  push(chunk: Buffer): boolean {
    if (this.complete || this.error || this.overflow) return false
    let data = chunk
    if (!this.head) {
      const body = this.readHead(data)
      if (body === undefined) return !this.error
      data = body
    }
    if (!this.complete) this.readBody(data)
    return !(this.complete || this.error || this.overflow)
  }

  /** The peer closed the connection: a close-delimited body ends here, anything else is cut. */
  end(): void {
    if (this.complete || this.error) return
    if (this.head && this.framing === 'close') this.complete = true
    else
      this.error = this.head ? 'connection closed mid-body' : 'connection closed before a response'
  }

  /** The kept start of the body, decoded as UTF-8. */
  bodyText(): string {
    return Buffer.concat(this.kept, this.keptBytes).toString('utf8')
  }

  /** Whether any response byte arrived (a reused connection that died silently has none). */
  get started(): boolean {
    return this.head !== undefined || this.pending !== undefined
  }

  private readHead(chunk: Buffer): Buffer | undefined {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
    for (;;) {
      let end = data.indexOf(CRLF2)
      let sep = 4
      if (end < 0) {
        end = data.indexOf(LF2)
        sep = 2
      }
      if (end < 0) {
        if (data.length > MAX_HEAD_BYTES) this.error = 'response head larger than 16 KiB'
        // A copy: the caller's buffer may be reused for the next read.
        else this.pending = Buffer.from(data)
        return undefined
      }
      const head = this.parseHead(data.toString('latin1', 0, end))
      if (!head) return undefined
      data = data.subarray(end + sep)
      // 1xx interim responses (100 Continue, 103 Early Hints) precede the real one.
      if (head.status >= 100 && head.status < 200) {
        if (head.status === 101) {
          this.error = 'unexpected 101 Switching Protocols'
          return undefined
        }
        this.head = undefined
        continue
      }
      this.pending = undefined
      if (this.framing === 'none') this.complete = true
      return data
    }
  }

  private parseHead(text: string): ResponseHead | undefined {
    const lines = text.split(/\r?\n/)
    const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '')
    if (!status) {
      this.error = `malformed status line ${JSON.stringify(printable(lines[0] ?? ''))}`
      return undefined
    }
    const fields = new Map<string, string>()
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!
      const colon = line.indexOf(':')
      if (colon <= 0) {
        this.error = `malformed header line ${JSON.stringify(printable(line))}`
        return undefined
      }
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      fields.set(name, fields.has(name) ? `${fields.get(name)}, ${value}` : value)
    }
    const code = Number(status[2])
    const connection = (fields.get('connection') ?? '').toLowerCase()
    const keepAlive =
      status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive')
    this.head = { status: code, reason: status[3] ?? '', keepAlive }
    if (code >= 200) this.frame(code, fields)
    return this.error ? undefined : this.head
  }

  private frame(code: number, fields: Map<string, string>): void {
    const head = this.head!
    const encoding = fields.get('transfer-encoding')
    const length = fields.get('content-length')
    if (this.options.headRequest || code === 204 || code === 304) this.framing = 'none'
    else if (encoding !== undefined) {
      const chunked = /(^|,)\s*chunked\s*$/i.test(encoding)
      this.framing = chunked ? 'chunked' : 'close'
    } else if (length !== undefined) {
      const values = new Set(length.split(',').map((v) => v.trim()))
      const [only] = values
      if (values.size !== 1 || !/^\d{1,15}$/.test(only ?? '')) {
        this.error = `invalid Content-Length ${JSON.stringify(printable(length))}`
        return
      }
      this.remaining = Number(only)
      this.framing = this.remaining === 0 ? 'none' : 'length'
    } else this.framing = 'close'
    if (this.framing === 'close') head.keepAlive = false
  }

  private readBody(data: Buffer): void {
    if (this.framing === 'chunked') this.readChunked(data)
    else if (this.framing === 'length') {
      const take = Math.min(this.remaining, data.length)
      this.consume(data.subarray(0, take))
      this.remaining -= take
      if (this.remaining === 0) this.complete = true
      // Bytes after the body on a one-request connection are a protocol error.
      else if (take < data.length) this.error = 'bytes after the response body'
    } else if (this.framing === 'close') this.consume(data)
  }

  private readChunked(data: Buffer): void {
    let at = 0
    while (at < data.length && !this.complete && !this.error && !this.overflow) {
      if (this.chunkPhase === 'data') {
        const take = Math.min(this.remaining, data.length - at)
        this.consume(data.subarray(at, at + take))
        at += take
        this.remaining -= take
        if (this.remaining === 0) this.chunkPhase = 'data-end'
        continue
      }
      const newline = data.indexOf(10, at)
      const piece = data.toString('latin1', at, newline < 0 ? data.length : newline)
      at = newline < 0 ? data.length : newline + 1
      this.line += piece
      if (this.line.length > MAX_CHUNK_LINE) this.error = 'chunk line too long'
      else if (newline >= 0) this.chunkLine(this.line.replace(/\r$/, ''))
    }
  }

  private chunkLine(line: string): void {
    this.line = ''
    if (this.chunkPhase === 'size') {
      const size = /^([0-9a-fA-F]{1,12})(;.*)?$/.exec(line)
      if (!size) {
        this.error = `malformed chunk size ${JSON.stringify(printable(line))}`
        return
      }
      this.remaining = Number.parseInt(size[1]!, 16)
      this.chunkPhase = this.remaining === 0 ? 'trailers' : 'data'
    } else if (this.chunkPhase === 'data-end') {
      if (line !== '') this.error = 'missing CRLF after chunk data'
      this.chunkPhase = 'size'
    } else if (line === '') this.complete = true
  }

  private consume(bytes: Buffer): void {
    const room = this.options.keepBytes - this.keptBytes
    if (room > 0 && bytes.length > 0) {
      const piece = bytes.length > room ? bytes.subarray(0, room) : bytes
      // Copy: the socket's buffer may be reused by the stream after this call returns.
      this.kept.push(Buffer.from(piece))
      this.keptBytes += piece.length
    }
    this.bodyBytes += bytes.length
    if (this.bodyBytes > this.options.maxBodyBytes) this.overflow = true
  }
}

/** Probe output is data: show at most 60 characters, with control characters escaped by JSON. */
function printable(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}
