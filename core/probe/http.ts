// The http/https probe: a prebuilt request on a kept-alive connection, judged by status and body.
import { isIPv6 } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { TandemError } from '../errors.ts'
import { compilePattern, type Pattern } from '../inventory/index.ts'
import { HttpConnection, type HttpOutcome } from './http-connection.ts'
import { type ProbeResult, result, timedOut } from './result.ts'
import type { CheckTarget } from './targets.ts'

/** Body bytes searched by body_contains / body_regex; a match further in is not seen. */
export const BODY_MATCH_BYTES = 64 * 1024
const TOKEN = /^[\x21-\x7e]+$/

/** A compiled http(s) check: `run` never throws and settles within the timeout. */
export interface HttpProbe {
  run(timeoutMs: number): Promise<ProbeResult>
  close(): void
}

/**
 * Compiles one http(s) target: the request bytes, the expectations and its connection.
 * Throws CONFIG_INVALID for a path, Host header or body_regex that cannot be used.
 *
 * @example
 * const probe = createHttpProbe(target)
 * const r = await probe.run(2000) // { status: 'ok', detail: 'HTTP 200 OK', ... }
 */
export function createHttpProbe(target: CheckTarget, tls?: ConnectionOptions): HttpProbe {
  const expectations = expectationsOf(target)
  const connection = new HttpConnection({
    address: target.address,
    port: target.port!,
    tls,
    request: buildRequest(target, target.port!),
    headRequest: target.check.method === 'HEAD',
    keepBytes: expectations.keepBytes,
  })
  return new TargetProbe(connection, expectations)
}

/** What a check expects of a response: compiled once per check, shared by its real servers. */
interface Expectations {
  status: Set<number>
  /** The expected statuses as the detail words them: `200|204`. */
  expected: string
  contains: string | undefined
  regex: { source: string; pattern: Pattern } | undefined
  keepBytes: number
}

/** Keyed by the inventory's check object: 10,000 real servers of one check share one. */
const compiled = new WeakMap<object, Expectations>()

function expectationsOf(target: CheckTarget): Expectations {
  const { check } = target
  let found = compiled.get(check)
  if (!found) {
    const contains = check.expect.body_contains
    const regex = compileRegex(target, check.expect.body_regex)
    found = {
      status: new Set(check.expect.status),
      expected: check.expect.status.join('|'),
      contains,
      regex,
      keepBytes: contains !== undefined || regex ? BODY_MATCH_BYTES : 0,
    }
    compiled.set(check, found)
  }
  return found
}

/** One target's probe: a class, not closures, so 10,000 of them stay small. */
class TargetProbe implements HttpProbe {
  // The status line of the last response, reused while it stays the same (no new string per check).
  private line = ''
  private lineStatus = 0
  private lineReason = ''

  constructor(
    private readonly connection: HttpConnection,
    private readonly expect: Expectations,
  ) {}

  async run(timeoutMs: number): Promise<ProbeResult> {
    const startedAt = performance.now()
    const outcome = await this.connection.exchange(timeoutMs)
    return this.judge(outcome, startedAt, timeoutMs)
  }

  close(): void {
    this.connection.close()
  }

  private judge(outcome: HttpOutcome, startedAt: number, timeoutMs: number): ProbeResult {
    if (outcome.timeout) return timedOut(startedAt, timeoutMs, outcome.timeout, outcome.stalledMs)
    const head = outcome.head
    if (!head) return result('critical', startedAt, outcome.failure ?? 'no response')
    if (head.status !== this.lineStatus || head.reason !== this.lineReason) {
      this.lineStatus = head.status
      this.lineReason = head.reason
      this.line = `HTTP ${head.status}${head.reason ? ` ${printable(head.reason)}` : ''}`
    }
    const { line, expect } = this
    if (!expect.status.has(head.status))
      return result('critical', startedAt, `${line} (expected ${expect.expected})`)
    if (expect.contains !== undefined && !outcome.body?.includes(expect.contains))
      return result(
        'critical',
        startedAt,
        `${line} but the body lacks ${JSON.stringify(expect.contains)}`,
      )
    if (expect.regex && !expect.regex.pattern.find(outcome.body ?? ''))
      return result(
        'critical',
        startedAt,
        `${line} but the body does not match /${expect.regex.source}/`,
      )
    return result('ok', startedAt, line)
  }
}

function buildRequest(target: CheckTarget, port: number): Buffer {
  const { check } = target
  const secure = check.kind === 'https'
  const host = check.host_header ?? hostHeader(target.address, port, secure)
  for (const [field, value] of [
    ['path', check.path],
    ['host_header', host],
  ] as const) {
    if (!TOKEN.test(value))
      throw new TandemError(
        'CONFIG_INVALID',
        `[probe] ${target.id}: ${field} must be printable ASCII without spaces`,
      )
  }
  const body = check.method === 'POST' || check.method === 'OPTIONS' ? 'Content-Length: 0\r\n' : ''
  return Buffer.from(
    `${check.method} ${check.path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: tandem-probe\r\n` +
      `Accept: */*\r\nConnection: keep-alive\r\n${body}\r\n`,
    'latin1',
  )
}

function hostHeader(address: string, port: number, secure: boolean): string {
  const host = isIPv6(address) ? `[${address}]` : address
  return port === (secure ? 443 : 80) ? host : `${host}:${port}`
}

/** RE2: the body comes from the server probed, so matching must stay linear whatever it sends. */
function compileRegex(
  target: CheckTarget,
  source: string | undefined,
): { source: string; pattern: Pattern } | undefined {
  if (source === undefined) return undefined
  try {
    return { source, pattern: compilePattern(source) }
  } catch (cause) {
    throw new TandemError(
      'CONFIG_INVALID',
      `[probe] ${target.id}: expect.body_regex: ${(cause as Error).message}`,
      { cause },
    )
  }
}

function printable(text: string): string {
  return JSON.stringify(text.slice(0, 60)).slice(1, -1)
}
