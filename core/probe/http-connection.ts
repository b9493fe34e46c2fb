// One kept-alive HTTP/1.1 connection per target: reused between checks, dropped on any doubt.
import { connect as connectTcp, type Socket } from 'node:net'
import { type ConnectionOptions, connect as connectTls } from 'node:tls'
import { armDeadline, type Deadline } from './deadline.ts'
import { type ResponseHead, ResponseReader } from './http-response.ts'

/** What one exchange ended with; `head` is set when a response head arrived in time. */
export interface HttpOutcome {
  head?: ResponseHead
  /** The kept start of the body (only when body matching asked for it). */
  body?: string
  /** Set when the exchange failed: `connect ECONNREFUSED`, `tls CERT_HAS_EXPIRED`, ... */
  failure?: string
  /** Set when the deadline passed: the phase it was in. */
  timeout?: 'connect' | 'tls' | 'response' | 'body'
  /** With `timeout`: time tandem's own loop lost meanwhile, not held against the target. */
  stalledMs?: number
}

export interface HttpConnectionOptions {
  address: string
  port: number
  /** TLS settings for https; absent for plain http. */
  tls?: ConnectionOptions
  /** The serialized request, built once per target. */
  request: Buffer
  headRequest: boolean
  /** Body bytes to keep for matching; 0 settles the outcome as soon as the head arrives. */
  keepBytes: number
}

/** Shared by every plain connection: reads are handled synchronously, one at a time. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/** A body longer than this is not drained for reuse: the connection is dropped instead. */
const MAX_DRAIN_BYTES = 256 * 1024

interface Exchange {
  reader: ResponseReader
  reused: boolean
  retried: boolean
  settled: boolean
  resolve(outcome: HttpOutcome): void
}

/**
 * A target's connection. `exchange` sends the request on the idle connection when there is
 * one (retrying once on a fresh connection if the server had closed it), else connects.
 *
 * @example
 * const conn = new HttpConnection({ address, port, request, headRequest: false, keepBytes: 0 })
 * const outcome = await conn.exchange(2000)
 */
export class HttpConnection {
  /** @internal The handlers below read and set these. */
  socket: Socket | undefined
  /** @internal */
  connected = false
  /** @internal */
  secured = false
  private current: Exchange | undefined
  private deadline: Deadline | undefined

  constructor(private readonly options: HttpConnectionOptions) {}

  exchange(timeoutMs: number): Promise<HttpOutcome> {
    // The previous body may still be draining: that connection cannot carry this request.
    if (this.current) {
      this.disarm()
      this.current = undefined
      this.drop()
    }
    return new Promise((resolve) => {
      const exchange: Exchange = {
        reader: this.newReader(),
        reused: false,
        retried: false,
        settled: false,
        resolve,
      }
      this.current = exchange
      this.deadline = armDeadline(timeoutMs, (stalled) => this.onDeadline(exchange, stalled))
      this.send(exchange, false)
    })
  }

  /** Drops the connection (stop, reload, or an outcome that leaves it in doubt). */
  close(): void {
    const exchange = this.current
    this.disarm()
    this.current = undefined
    this.drop()
    if (exchange) this.settle(exchange, { failure: 'closed' })
  }

  private send(exchange: Exchange, fresh: boolean): void {
    exchange.reused = !fresh && this.socket !== undefined
    if (!exchange.reused) this.open()
    this.socket!.write(this.options.request)
  }

  private open(): void {
    this.drop()
    const { address, port, tls } = this.options
    // Plain sockets read into one shared buffer (no stream chunk per read); the reader copies
    // whatever it keeps before the callback returns. The handlers are shared by every socket
    // (`this` is the socket; OWNER leads back here): no closures per connection.
    const socket: OwnedSocket = tls
      ? connectTls({ ...tls, host: address, port })
      : connectTcp({
          host: address,
          port,
          noDelay: true,
          onread: { buffer: READ_BUFFER, callback: onSharedRead },
        })
    socket[OWNER] = this
    this.connected = false
    this.secured = !tls
    this.socket = socket
    socket.once('connect', onConnect)
    if (tls) {
      socket.once('secureConnect', onSecureConnect)
      socket.on('data', onChunk)
    }
    socket.on('error', onError)
    socket.on('close', onClose)
  }

  /** @internal */
  onData(chunk: Buffer): void {
    const exchange = this.current
    // Bytes while idle: the server is not speaking HTTP/1.1 keep-alive as we think.
    if (!exchange) {
      this.drop()
      return
    }
    const { reader } = exchange
    reader.push(chunk)
    if (reader.error) this.finish(exchange, { failure: `response ${reader.error}` })
    else if (!reader.head) return
    else if (reader.overflow) this.finish(exchange, this.outcomeOf(reader))
    else if (reader.complete) {
      this.disarm()
      this.current = undefined
      if (!reader.head.keepAlive) this.drop()
      this.settle(exchange, this.outcomeOf(reader))
    } else if (!this.options.keepBytes) this.settle(exchange, this.outcomeOf(reader))
  }

  /** @internal */
  onEnd(error?: Error): void {
    const exchange = this.current
    const phase = exchange ? this.phaseOf(exchange.reader) : 'response'
    this.drop()
    if (!exchange) return
    const { reader } = exchange
    // A kept-alive connection the server closed while idle: try once more on a new one.
    if (exchange.reused && !exchange.retried && !reader.started && !exchange.settled) {
      exchange.retried = true
      exchange.reader = this.newReader()
      this.send(exchange, true)
      return
    }
    reader.end()
    if (reader.complete) this.finish(exchange, this.outcomeOf(reader))
    else {
      const why = error ? ((error as NodeJS.ErrnoException).code ?? error.message) : reader.error
      this.finish(exchange, { failure: `${phase} ${why}` })
    }
  }

  private onDeadline(exchange: Exchange, stalledMs: number): void {
    if (exchange !== this.current) return
    const phase = this.phaseOf(exchange.reader)
    this.finish(exchange, stalledMs > 0 ? { timeout: phase, stalledMs } : { timeout: phase })
  }

  private finish(exchange: Exchange, outcome: HttpOutcome): void {
    this.disarm()
    this.current = undefined
    this.drop()
    this.settle(exchange, outcome)
  }

  private settle(exchange: Exchange, outcome: HttpOutcome): void {
    if (exchange.settled) return
    exchange.settled = true
    exchange.resolve(outcome)
  }

  private outcomeOf(reader: ResponseReader): HttpOutcome {
    return this.options.keepBytes
      ? { head: reader.head, body: reader.bodyText() }
      : { head: reader.head }
  }

  private phaseOf(reader: ResponseReader): 'connect' | 'tls' | 'response' | 'body' {
    if (!this.connected) return 'connect'
    if (!this.secured) return 'tls'
    return reader.head ? 'body' : 'response'
  }

  private newReader(): ResponseReader {
    const { headRequest, keepBytes } = this.options
    return new ResponseReader({ headRequest, keepBytes, maxBodyBytes: MAX_DRAIN_BYTES })
  }

  /** Clears the deadline and lets go of it: a kept timer would keep the whole exchange alive. */
  private disarm(): void {
    this.deadline?.cancel()
    this.deadline = undefined
  }

  private drop(): void {
    const socket = this.socket
    this.socket = undefined
    socket?.destroy()
  }
}

const OWNER = Symbol('tandem.httpConnection')
type OwnedSocket = Socket & { [OWNER]?: HttpConnection }

/** The connection this socket still serves (a dropped socket's late events are ignored). */
function ownerOf(socket: OwnedSocket): HttpConnection | undefined {
  const owner = socket[OWNER]
  return owner?.socket === socket ? owner : undefined
}

function onSharedRead(this: OwnedSocket, size: number, buffer: Uint8Array): boolean {
  ownerOf(this)?.onData(Buffer.from(buffer.buffer, buffer.byteOffset, size))
  return true
}

function onChunk(this: OwnedSocket, chunk: Buffer): void {
  ownerOf(this)?.onData(chunk)
}

function onConnect(this: OwnedSocket): void {
  const owner = ownerOf(this)
  if (owner) owner.connected = true
}

function onSecureConnect(this: OwnedSocket): void {
  const owner = ownerOf(this)
  if (owner) owner.secured = true
}

function onError(this: OwnedSocket, error: Error): void {
  ownerOf(this)?.onEnd(error)
}

function onClose(this: OwnedSocket): void {
  ownerOf(this)?.onEnd()
}
