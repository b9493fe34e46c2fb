// `tandem simulate`: replay recorded events through the current and the candidate policies.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { asc, gte } from 'drizzle-orm'
import { builtinPlugins } from '../../../plugins/index.ts'
import { TandemError } from '../../errors.ts'
import { TandemEvent } from '../../events/index.ts'
import {
  createInventory,
  DEFAULT_CONFIG_FILE,
  Duration,
  loadConfig,
} from '../../inventory/index.ts'
import type { PluginDefinition } from '../../plugin/index.ts'
import { loadPolicies, simulate } from '../../policy/index.ts'
import { registryFor } from '../../runtime/index.ts'
import { events as eventsTable, openStore } from '../../store/index.ts'
import { type Command, parseOptions } from '../command.ts'
import { DEFAULT_POLICIES_DIR, isDirectory } from '../policy-world.ts'
import { renderSimulation } from '../simulate-format.ts'

const MAX_EVENTS = 1_000_000

/** The simulate command over a set of plugins (tests pass their own; the CLI the built-in ones). */
export function createSimulateCommand(
  plugins: readonly PluginDefinition[] = builtinPlugins,
): Command {
  return {
    name: 'simulate',
    summary:
      'replay recorded events through current and candidate policies; show what would change',
    usage:
      'tandem simulate (--events FILE.jsonl | --since 7d [--store URL]) [--policies DIR] [--baseline DIR] [--config FILE] [--json]',
    async run(args, io) {
      const { values } = parseOptions(args, {
        events: { type: 'string' },
        since: { type: 'string' },
        store: { type: 'string' },
        policies: { type: 'string', default: DEFAULT_POLICIES_DIR },
        baseline: { type: 'string' },
        config: { type: 'string', default: DEFAULT_CONFIG_FILE },
        json: { type: 'boolean', default: false },
      })
      if (!values.events === !values.since)
        throw new TandemError(
          'BAD_REQUEST',
          'give either --events FILE.jsonl or --since DURATION (e.g. 7d)',
        )
      const config = await loadConfig(values.config)
      const inventory = createInventory(config)
      const registry = await registryFor(config, values.config, plugins)
      const candidate = await loadPolicies(values.policies, { registry, inventory })
      const baselineDir = values.baseline ?? (await defaultBaseline(values.policies))
      const baseline = baselineDir
        ? await loadPolicies(baselineDir, { registry, inventory })
        : undefined
      const now = Date.now()
      const window = values.since ? { from: now - parseSince(values.since), until: now } : {}
      const events = values.events
        ? await readEventsFile(values.events)
        : await readStoredEvents(values.store ?? config.daemon.store, window.from ?? 0)
      const report = await simulate({ events, candidate, baseline, inventory, registry, ...window })
      const sources = {
        candidate: values.policies,
        baseline: baselineDir,
        events: values.events ?? `${values.store ?? config.daemon.store} (last ${values.since})`,
      }
      if (values.json) io.out(`${JSON.stringify({ ...sources, ...report }, null, 2)}\n`)
      else io.out(renderSimulation(report, sources))
      return 0
    },
  }
}

export const simulateCommand: Command = createSimulateCommand()

/** Comparing a candidate directory with the live `policies/` is the common case: default to it. */
async function defaultBaseline(candidate: string): Promise<string | undefined> {
  if (resolve(candidate) === resolve(DEFAULT_POLICIES_DIR)) return undefined
  return (await isDirectory(DEFAULT_POLICIES_DIR)) ? DEFAULT_POLICIES_DIR : undefined
}

function parseSince(text: string): number {
  const parsed = Duration.safeParse(text)
  if (!parsed.success)
    throw new TandemError('BAD_REQUEST', `--since: ${parsed.error.issues[0]?.message}`)
  return parsed.data
}

/** One event per line, as the store and the API export them; the first bad line is an error. */
async function readEventsFile(file: string): Promise<TandemEvent[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new TandemError(
      'BAD_REQUEST',
      `[simulate] cannot read ${file}: ${(cause as NodeJS.ErrnoException).code}`,
      { cause },
    )
  }
  const out: TandemEvent[] = []
  const lines = text.split('\n')
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch (cause) {
      throw new TandemError(
        'BAD_REQUEST',
        `[simulate] ${file}:${i + 1}: not JSON: ${(cause as Error).message}`,
        { cause },
      )
    }
    const parsed = TandemEvent.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      throw new TandemError(
        'BAD_REQUEST',
        `[simulate] ${file}:${i + 1}: ${issue.path.join('.') || 'event'}: ${issue.message}`,
      )
    }
    out.push(parsed.data)
    if (out.length > MAX_EVENTS)
      throw new TandemError('BAD_REQUEST', `[simulate] ${file}: more than ${MAX_EVENTS} events`)
  }
  return out
}

async function readStoredEvents(url: string, since: number): Promise<TandemEvent[]> {
  const store = await openStore(url, { migrate: false })
  try {
    const rows = await store.db
      .select()
      .from(eventsTable)
      .where(gte(eventsTable.at, since))
      .orderBy(asc(eventsTable.at), asc(eventsTable.id))
      .limit(MAX_EVENTS)
    return rows.flatMap((row) => {
      const parsed = TandemEvent.safeParse(row)
      return parsed.success ? [parsed.data] : []
    })
  } finally {
    store.close()
  }
}
