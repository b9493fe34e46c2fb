// Compiles every target once (requests, argv, TLS, plugin inputs) and runs them on demand.
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { TandemError } from '../errors.ts'
import type { Registry } from '../plugin-host/index.ts'
import { createExecProbe } from './exec.ts'
import { createHttpProbe } from './http.ts'
import { probePing } from './ping.ts'
import { createPluginProbe, type PluginContextFactory } from './plugin-probe.ts'
import { type ProbeResult, result } from './result.ts'
import type { CheckTarget } from './targets.ts'
import { createTcpProbe } from './tcp.ts'

export interface ProberOptions {
  /** Needed when a check's kind is a plugin probe. */
  registry?: Registry
  pluginContext?: PluginContextFactory
  /** Resolves `tls.client_key` references (`env:`/`file:`). */
  secrets?: { resolve(ref: string): Promise<string> }
}

/** Runs compiled checks; `run` never throws and settles within the check's timeout. */
export interface Prober {
  run(target: CheckTarget): Promise<ProbeResult>
  /** Drops kept-alive connections; in-flight http checks end as failures. */
  close(): void
}

interface Compiled {
  run(timeoutMs: number): Promise<ProbeResult>
  close?(): void
}

/**
 * Compiles `targets` (throws CONFIG_INVALID naming the check when one cannot run) and
 * returns a prober for them.
 *
 * @example
 * const prober = await createProber(planTargets(inventory), { registry, pluginContext })
 * const r = await prober.run(targets[0])
 */
export async function createProber(
  targets: readonly CheckTarget[],
  options: ProberOptions = {},
): Promise<Prober> {
  const compiled = new Map<string, Compiled>()
  const tlsCache = new Map<string, Promise<ConnectionOptions>>()
  for (const target of targets) {
    if (compiled.has(target.id))
      throw new TandemError('CONFIG_INVALID', `[probe] ${target.id}: the check is declared twice`)
    compiled.set(target.id, await compile(target, options, tlsCache))
  }
  return {
    run(target) {
      const entry = compiled.get(target.id)
      if (!entry) return Promise.resolve(result('unknown', performance.now(), 'not compiled'))
      return entry.run(target.check.timeout).catch((error: Error) => {
        // A probe kind that breaks its promise must still leave a result and a free slot.
        return result('unknown', performance.now(), `probe failed: ${error?.message}`)
      })
    },
    close() {
      for (const entry of compiled.values()) entry.close?.()
    },
  }
}

async function compile(
  target: CheckTarget,
  options: ProberOptions,
  tlsCache: Map<string, Promise<ConnectionOptions>>,
): Promise<Compiled> {
  const { kind } = target.check
  switch (kind) {
    case 'tcp':
      return { run: createTcpProbe(target.address, target.port!) }
    case 'ping':
      return { run: (timeoutMs) => probePing(target.address, timeoutMs) }
    case 'exec':
      return { run: createExecProbe(target) }
    case 'http':
      return createHttpProbe(target)
    case 'https':
      return createHttpProbe(target, await tlsOptions(target, options, tlsCache))
    default: {
      if (!options.registry || !options.pluginContext)
        throw new TandemError(
          'CONFIG_INVALID',
          `[probe] ${target.id}: "${kind}" is a plugin probe but no plugins are loaded`,
        )
      return { run: createPluginProbe(target, options.registry, options.pluginContext) }
    }
  }
}

function tlsOptions(
  target: CheckTarget,
  options: ProberOptions,
  cache: Map<string, Promise<ConnectionOptions>>,
): Promise<ConnectionOptions> {
  const tls = target.check.tls
  const servername = (target.check.host_header ?? target.address).replace(/:\d+$/, '')
  const key = JSON.stringify([tls, servername])
  let built = cache.get(key)
  if (!built) {
    built = buildTls(target, servername, options)
    cache.set(key, built)
  }
  return built
}

async function buildTls(
  target: CheckTarget,
  servername: string,
  options: ProberOptions,
): Promise<ConnectionOptions> {
  const tls = target.check.tls
  const built: ConnectionOptions = { rejectUnauthorized: tls?.verify ?? true }
  // SNI carries host names only; for an address, certificate checks use the IP SANs.
  if (!isIP(servername)) built.servername = servername
  try {
    if (tls?.ca) built.ca = await readFile(tls.ca, 'utf8')
    if (tls?.client_cert) built.cert = await readFile(tls.client_cert, 'utf8')
  } catch (cause) {
    throw new TandemError(
      'CONFIG_INVALID',
      `[probe] ${target.id}: tls: ${(cause as Error).message}`,
      { cause },
    )
  }
  if (tls?.client_key) {
    if (!options.secrets)
      throw new TandemError(
        'SECRET_UNRESOLVED',
        `[probe] ${target.id}: tls.client_key needs the secret resolver`,
      )
    built.key = await options.secrets.resolve(tls.client_key)
  }
  if (built.cert && !built.key)
    throw new TandemError(
      'CONFIG_INVALID',
      `[probe] ${target.id}: tls.client_cert needs tls.client_key`,
    )
  return built
}
