// A small Prometheus registry: counters, gauges and histograms rendered in the text exposition format.
import { TandemError } from '../errors.ts'

export type Labels = Record<string, string>

export interface Counter {
  inc(labels?: Labels, by?: number): void
}

export interface Gauge {
  set(labels: Labels, value: number): void
  inc(labels?: Labels, by?: number): void
  /** Forgets every label set; scrape-time collectors call it before setting fresh values. */
  reset(): void
}

export interface Histogram {
  /** Records one observation in the metric's unit (seconds for latencies). */
  observe(labels: Labels, value: number): void
  /** Starts a timer; calling the returned function observes the elapsed seconds. */
  startTimer(labels?: Labels): () => number
}

export interface Metrics {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge
  histogram(
    name: string,
    help: string,
    options?: { labelNames?: readonly string[]; buckets?: readonly number[] },
  ): Histogram
  /** Runs before every render, e.g. to read gauges from the store at scrape time. */
  onScrape(collect: () => unknown): void
  /** The text exposition format (version 0.0.4) of every metric. */
  render(): Promise<string>
}

export const DEFAULT_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const

/** Content type Prometheus expects for the text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * Creates a registry. Asking twice for the same name returns the same metric, so every
 * area can declare what it increments without a shared setup step.
 *
 * @example
 * const metrics = createMetrics()
 * metrics.counter('tandem_events_total', 'Events written', ['type']).inc({ type: 'node.down' })
 * const text = await metrics.render()
 */
export function createMetrics(): Metrics {
  const families = new Map<string, Family>()
  const collectors: (() => unknown)[] = []
  const declare = (
    name: string,
    type: Family['type'],
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[] = [],
  ): Family => {
    const existing = families.get(name)
    if (existing) {
      if (existing.type !== type)
        throw new TandemError('BAD_REQUEST', `[metrics] ${name} is already a ${existing.type}`)
      return existing
    }
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name))
      throw new TandemError('BAD_REQUEST', `[metrics] invalid metric name ${name}`)
    const family: Family = { name, type, help, labelNames, buckets, series: new Map() }
    families.set(name, family)
    return family
  }
  return {
    counter(name, help, labelNames = []) {
      const family = declare(name, 'counter', help, labelNames)
      return {
        inc: (labels = {}, by = 1) => {
          if (by < 0) throw new TandemError('BAD_REQUEST', `[metrics] ${name} cannot decrease`)
          add(family, labels, by)
        },
      }
    },
    gauge(name, help, labelNames = []) {
      const family = declare(name, 'gauge', help, labelNames)
      return {
        set: (labels, value) => {
          seriesOf(family, labels).value = value
        },
        inc: (labels = {}, by = 1) => add(family, labels, by),
        reset: () => family.series.clear(),
      }
    },
    histogram(name, help, options = {}) {
      const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b)
      const family = declare(name, 'histogram', help, options.labelNames ?? [], buckets)
      const observe = (labels: Labels, value: number) => {
        const series = seriesOf(family, labels)
        series.value += value
        series.count += 1
        for (let i = 0; i < family.buckets.length; i++)
          if (value <= (family.buckets[i] as number)) (series.buckets[i] as number)++
      }
      return {
        observe,
        startTimer: (labels = {}) => {
          const start = process.hrtime.bigint()
          return () => {
            const seconds = Number(process.hrtime.bigint() - start) / 1e9
            observe(labels, seconds)
            return seconds
          }
        },
      }
    },
    onScrape(collect) {
      collectors.push(collect)
    },
    async render() {
      await Promise.all(collectors.map(async (collect) => collect()))
      return [...families.values()].map(renderFamily).join('')
    },
  }
}

interface Series {
  labels: Labels
  value: number
  count: number
  buckets: number[]
}

interface Family {
  name: string
  type: 'counter' | 'gauge' | 'histogram'
  help: string
  labelNames: readonly string[]
  buckets: readonly number[]
  series: Map<string, Series>
}

function add(family: Family, labels: Labels, by: number): void {
  seriesOf(family, labels).value += by
}

function seriesOf(family: Family, labels: Labels): Series {
  const names = Object.keys(labels)
  if (
    names.length !== family.labelNames.length ||
    names.some((n) => !family.labelNames.includes(n))
  )
    throw new TandemError(
      'BAD_REQUEST',
      `[metrics] ${family.name} takes labels [${family.labelNames.join(', ')}], got [${names.join(', ')}]`,
    )
  const key = family.labelNames.map((n) => labels[n]).join('\u0000')
  let series = family.series.get(key)
  if (!series) {
    series = { labels, value: 0, count: 0, buckets: family.buckets.map(() => 0) }
    family.series.set(key, series)
  }
  return series
}

function renderFamily(family: Family): string {
  const help = family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
  let out = `# HELP ${family.name} ${help}\n# TYPE ${family.name} ${family.type}\n`
  for (const series of family.series.values()) {
    if (family.type !== 'histogram') {
      out += `${family.name}${labelText(series.labels)} ${number(series.value)}\n`
      continue
    }
    family.buckets.forEach((le, i) => {
      const labels = labelText({ ...series.labels, le: number(le) })
      out += `${family.name}_bucket${labels} ${series.buckets[i]}\n`
    })
    out += `${family.name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.count}\n`
    out += `${family.name}_sum${labelText(series.labels)} ${number(series.value)}\n`
    out += `${family.name}_count${labelText(series.labels)} ${series.count}\n`
  }
  return out
}

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([k, v]) =>
      `${k}="${String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
  )
  return pairs.length ? `{${pairs.join(',')}}` : ''
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
