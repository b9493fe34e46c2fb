// One webhook POST: allow-listed host, pinned resolved address (no DNS rebinding), same-host redirects only.
import { lookup as dnsLookup } from 'node:dns/promises'
import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { isIP } from 'node:net'
import { type AllowList, addressProblem, hostAllowed } from './allow.ts'

const MAX_BODY_KEPT = 2_048

export interface PostOptions {
  allow: AllowList
  signal: AbortSignal
  maxRedirects: number
  /** Keep-alive agents per protocol, owned by the plugin. */
  agent(protocol: 'http:' | 'https:'): Agent
  /** Name resolution (default: the system resolver, every address). */
  resolve?(hostname: string): Promise<{ address: string; family: number }[]>
}

export type PostResult =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: string; host: string }
  | { kind: 'refused'; detail: string }
  | { kind: 'error'; detail: string }

/** POSTs `body` with `headers`; never follows a redirect to another host or to plain http. */
export async function post(
  target: URL,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<PostResult> {
  let url = target
  for (let hop = 0; ; hop++) {
    const result = await postOnce(url, body, headers, options)
    if (result.kind !== 'response' || (result.status !== 307 && result.status !== 308))
      return result
    const location = result.headers.location
    if (!location) return result
    const next = new URL(location, url)
    if (next.hostname !== url.hostname || next.port !== url.port || next.protocol !== url.protocol)
      return {
        kind: 'refused',
        detail: `redirect from ${url.host} to ${next.host} refused: webhooks never follow redirects to another host`,
      }
    if (hop >= options.maxRedirects)
      return {
        kind: 'refused',
        detail: `more than ${options.maxRedirects} redirects at ${url.host}`,
      }
    url = next
  }
}

async function postOnce(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<PostResult> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '')
  if (!hostAllowed(options.allow, hostname))
    return { kind: 'refused', detail: `${hostname} is not in the channel's allow list` }
  const picked = await pickAddress(hostname, options.allow, options.resolve ?? systemResolve)
  if ('detail' in picked) return picked
  // Connect to exactly the address just checked; TLS still verifies the certificate for the name.
  const lookup: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [picked])
    else callback(null, picked.address, picked.family)
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<PostResult>((resolve) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: options.agent(url.protocol as 'http:' | 'https:'),
      lookup,
      signal: options.signal,
    })
    req.on('error', (error) =>
      resolve({ kind: 'error', detail: errorDetail(error, url.host, options.signal) }),
    )
    req.on('response', (res) => {
      let kept = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (kept.length < MAX_BODY_KEPT) kept += chunk.slice(0, MAX_BODY_KEPT - kept.length)
      })
      res.on('error', (error) =>
        resolve({ kind: 'error', detail: errorDetail(error, url.host, options.signal) }),
      )
      res.on('end', () =>
        resolve({
          kind: 'response',
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: kept,
          host: url.host,
        }),
      )
    })
    req.end(body)
  })
}

async function pickAddress(
  hostname: string,
  allow: AllowList,
  resolve: (hostname: string) => Promise<{ address: string; family: number }[]>,
): Promise<{ address: string; family: number } | { kind: 'refused' | 'error'; detail: string }> {
  const family = isIP(hostname)
  let candidates: { address: string; family: number }[]
  if (family) candidates = [{ address: hostname, family }]
  else {
    try {
      candidates = await resolve(hostname)
    } catch (error) {
      return {
        kind: 'error',
        detail: `cannot resolve ${hostname}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      }
    }
  }
  const problems: string[] = []
  for (const candidate of candidates) {
    const problem = addressProblem(allow, candidate.address)
    if (!problem) return candidate
    problems.push(problem)
  }
  return { kind: 'refused', detail: `${hostname} ${problems[0] ?? 'has no address'}` }
}

function systemResolve(hostname: string): Promise<{ address: string; family: number }[]> {
  return dnsLookup(hostname, { all: true })
}

function errorDetail(error: Error, host: string, signal: AbortSignal): string {
  if (signal.aborted)
    return `no answer from ${host} in time (${(signal.reason as Error)?.message ?? 'aborted'})`
  const code = (error as NodeJS.ErrnoException).code
  return `${host}: ${code ?? error.message}`
}
