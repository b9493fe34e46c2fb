// The config editor's routes (admin): read the config and its version, preview a change set
// (diff, validation, reconcile commands), save it over the version previewed, audited.
import type { Context } from 'hono'
import { z } from 'zod'
import { auditInsert } from '../../act/index.ts'
import {
  buildCandidate,
  type Candidate,
  ConfigChange,
  ConfigConflict,
  type ConfigSnapshot,
  openConfig,
  previewImpact,
  saveConfig,
} from '../../editor/index.ts'
import { ConfigError } from '../../errors.ts'
import type { Config } from '../../inventory/index.ts'
import { checkChannels } from '../../notify/index.ts'
import type { CompiledPolicy } from '../../policy/index.ts'
import { bumpConfigRevision } from '../../store/index.ts'
import { queueAction } from '../action-queue.ts'
import { requireActionScope } from '../action-scopes.ts'
import type { Caller } from '../auth.ts'
import { canonicalHash } from '../canonical-json.ts'
import type { ApiContext } from '../deps.ts'
import { HttpError } from '../http-error.ts'
import type { ApiEnv } from '../route.ts'
import { endpoint } from '../route.ts'

/** The audit entry keeps at most this much of the diff (the files keep the rest, and .prev). */
const MAX_AUDIT_DIFF = 32 * 1024

const Version = z.string().regex(/^[0-9a-f]{32}$/, 'expected the version GET /api/v1/config gave')
const Changes = z.array(ConfigChange).min(1).max(100)
const PreviewRequest = z.strictObject({ version: Version, changes: Changes })
const SaveRequest = z.strictObject({
  version: Version,
  changes: Changes,
  /** The `preview` of POST /api/v1/config/preview for exactly these changes. */
  preview: z.string().regex(/^[0-9a-f]{64}$/, 'expected the preview id of these changes'),
  /** Why: goes to the audit entry and the git commit message. */
  message: z.string().trim().min(1).max(1000),
  /** Commit the saved files when the config folder is a git work tree (off by default). */
  commit: z.boolean().default(false),
  /** After the reload, queue `lvs.reconcile` as a run of this token through the executor. */
  apply: z.boolean().default(false),
})

const FileOut = z.object({ path: z.string(), text: z.string() })
const Snapshot = z.object({ main: z.string(), version: z.string(), files: z.array(FileOut) })
const ImpactOut = z.object({
  reconcile: z.union([
    z.object({ commands: z.array(z.record(z.string(), z.unknown())) }),
    z.object({ error: z.string() }),
  ]),
  checks: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }),
  realServers: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }),
  policies: z.union([
    z.object({
      changes: z.array(
        z.object({
          policy: z.string(),
          event: z.string(),
          change: z.enum(['added', 'removed', 'plan']),
          before: z.array(z.string()),
          after: z.array(z.string()),
        }),
      ),
    }),
    z.object({ error: z.string() }),
  ]),
})

export const getConfig = endpoint({
  summary: 'The config files as on disk, and their version',
  description:
    'The main file first, then each file its `include:` names. `version` changes with any byte of any of them; preview and save need it back.',
  tag: 'config',
  response: Snapshot,
  handler: async ({ c, api }) => c.json(snapshotOut(await openConfig(configFile(api)))),
})

export const previewConfig = endpoint({
  summary: 'What a change set would do: diff, validation, reconcile commands, checks',
  description:
    'Changes pick entries by name (`{"op":"set","at":["services",{"name":"web"},"real_servers",{"node":"node3"},"weight"],"value":5}`) in the file that defines them; `replace` swaps a whole file (the raw view). Validation is the loader\'s (`tandem check`): a 400 lists `issues` with file, line, column and field. 409 when the config changed on disk since `version` (the body carries the current files). Nothing is written.',
  tag: 'config',
  body: PreviewRequest,
  largeBody: true,
  response: z.object({
    version: z.string(),
    preview: z.string(),
    files: z.array(z.string()),
    diff: z.string(),
    impact: ImpactOut,
  }),
  handler: async ({ c, api, body }) => {
    const candidate = await candidateFor(api, body.version, body.changes)
    if (candidate instanceof Response) return candidate
    const impact = await previewImpact({
      before: api.inventory().config,
      after: validConfig(candidate),
      registry: api.registry,
      policies: compiledPolicies(api),
      log: api.log,
    })
    return c.json({
      version: body.version,
      preview: previewId(body.version, body.changes),
      files: changedFiles(candidate),
      diff: candidate.diff,
      impact,
    })
  },
})

export const saveConfigRoute = endpoint({
  summary: 'Save a previewed change set (atomic, audited, optionally committed to git)',
  description:
    'Needs the `version` and `preview` of a preview of exactly these changes. Each changed file is written to a temp file and renamed over; the previous text stays as `<file>.prev`. 409 when the files changed on disk since `version` (nothing is written; the body carries the current files, and a replay of a save that succeeded gets the same 409). With `commit: true` and the config in a git work tree, the files are committed with the message (refused, before writing, if they have uncommitted changes). The audit entry names the token and holds the diff. The daemon then reloads the config (`reload`: what changed, or why the last good config was kept); with `apply: true` it queues `lvs.reconcile` as a run of this token, through the executor and its guards (`apply`: the run id). The token needs the scope `lvs.reconcile` declares.',
  tag: 'config',
  body: SaveRequest,
  largeBody: true,
  response: z.object({
    version: z.string(),
    files: z.array(z.string()),
    git: z.union([z.object({ commit: z.string() }), z.object({ error: z.string() })]).optional(),
    reload: z.union([
      z.object({
        status: z.literal('reloaded'),
        changed: z.array(z.string()),
        restartFor: z.array(z.string()),
      }),
      z.object({ status: z.literal('kept'), error: z.string() }),
      z.object({ status: z.literal('restart'), message: z.string() }),
    ]),
    apply: z
      .union([
        z.object({ runId: z.string(), eventId: z.number() }),
        z.object({ error: z.string() }),
      ])
      .optional(),
  }),
  handler: async ({ c, api, body, caller }) => {
    if (body.preview !== previewId(body.version, body.changes))
      throw new HttpError(
        400,
        'BAD_REQUEST',
        '[editor] preview: not the preview of these changes; preview them first',
      )
    const candidate = await candidateFor(api, body.version, body.changes)
    if (candidate instanceof Response) return candidate
    validConfig(candidate)
    if (candidate.texts.size === 0)
      throw new HttpError(400, 'BAD_REQUEST', '[editor] changes: they change nothing in the files')
    // Refused before anything is written: a save must not half-happen for want of a scope.
    if (body.apply) requireActionScope(api, caller, 'lvs.reconcile', 'apply (lvs.reconcile)')
    const actor = `api:${caller?.name ?? 'unknown'}`
    let saved: Awaited<ReturnType<typeof saveConfig>>
    try {
      saved = await saveConfig({
        main: candidate.base.main,
        version: body.version,
        texts: candidate.texts,
        git: body.commit ? { message: body.message, author: `tandem ${actor}` } : undefined,
      })
    } catch (error) {
      if (error instanceof ConfigConflict) return conflict(c, error.current, error.message)
      throw error
    }
    await auditInsert(api.store.db, {
      at: api.now(),
      actor,
      action: 'config.save',
      target: candidate.base.files[0]?.path ?? 'config',
      decision: 'executed',
      reason: `${body.message}\n${capped(candidate.diff)}`,
    })
    // Every instance on this store follows the revision and re-reads its config file.
    await bumpConfigRevision(api.store.db)
    const reload = api.reloadConfig
      ? // The save stands whatever the reload says: the answer must tell, never be a 500.
        await api.reloadConfig().catch((error: Error) => ({
          status: 'kept' as const,
          error: `[runtime] reload failed: ${error.message}`,
        }))
      : {
          status: 'restart' as const,
          message: 'this server does not hot-reload its config: restart tandem to run it',
        }
    const apply = body.apply ? await applySaved(api, caller, saved.version, reload) : undefined
    return c.json({
      version: saved.version,
      files: changedFiles(candidate),
      ...(saved.git ? { git: saved.git } : {}),
      reload,
      ...(apply ? { apply } : {}),
    })
  },
})

/** The candidate, or the 409 answer when the files moved on since `version`. */
async function candidateFor(
  api: ApiContext,
  version: string,
  changes: readonly ConfigChange[],
): Promise<Candidate | Response> {
  const base = await openConfig(configFile(api))
  const registry = api.registry
  const checks = registry ? [(config: Config) => checkChannels(config, registry)] : []
  if (base.version === version) return buildCandidate(base, changes, { checks })
  // Stale: show what is on disk now, and these changes made on top of it when they still apply.
  const mine = await buildCandidate(base, changes, { checks }).then(
    (candidate) =>
      'issues' in candidate.result ? { issues: candidate.result.issues } : { diff: candidate.diff },
    (error: Error) => ({ error: error.message }),
  )
  return new Response(
    JSON.stringify({
      error: {
        code: 'STORE_CONFLICT',
        message: '[editor] the config changed on disk since this version; review the current files',
      },
      current: snapshotOut(base),
      mine,
    }),
    { status: 409, headers: { 'content-type': 'application/json' } },
  )
}

/**
 * Queues `lvs.reconcile` as the saving token's run, once the daemon runs the saved config (else
 * it would reconcile against the old inventory and undo the change). Keyed by the saved version,
 * so a retried save queues nothing twice.
 */
async function applySaved(
  api: ApiContext,
  caller: Caller | undefined,
  version: string,
  reload: { status: string },
): Promise<{ runId: string; eventId: number } | { error: string }> {
  if (reload.status !== 'reloaded')
    return { error: 'not applied: the running daemon did not take the saved config over' }
  const key = `config-save-${version}`
  const accepted = await queueAction(
    api,
    caller,
    { uses: 'lvs.reconcile', with: {}, dryRun: false, reason: `config saved (version ${version})` },
    key,
    canonicalHash({ uses: 'lvs.reconcile', version }),
  )
  if (!accepted) return { error: 'not applied: this version was applied already' }
  return { runId: accepted.runId, eventId: accepted.eventId }
}

/** The daemon's compiled policies; undefined when the server gave only names and steps. */
function compiledPolicies(api: ApiContext): CompiledPolicy[] | undefined {
  const policies = api.policies?.()
  if (!policies) return undefined
  const compiled = policies.filter((p): p is CompiledPolicy => 'triggers' in p)
  return compiled.length === policies.length ? compiled : undefined
}

function validConfig(candidate: Candidate) {
  if ('issues' in candidate.result) throw new ConfigError(candidate.result.issues)
  return candidate.result.config
}

function conflict(c: Context<ApiEnv>, current: ConfigSnapshot, message: string): Response {
  return c.json({ error: { code: 'STORE_CONFLICT', message }, current: snapshotOut(current) }, 409)
}

function snapshotOut(snapshot: ConfigSnapshot) {
  return { main: snapshot.files[0]?.path ?? '', version: snapshot.version, files: snapshot.files }
}

function changedFiles(candidate: Candidate): string[] {
  return candidate.base.paths.flatMap((path, i) =>
    candidate.texts.has(path) ? [candidate.base.files[i]?.path ?? path] : [],
  )
}

function previewId(version: string, changes: readonly ConfigChange[]): string {
  return canonicalHash({ version, changes })
}

function configFile(api: ApiContext): string {
  if (!api.configFile)
    throw new HttpError(404, 'NOT_FOUND', '[editor] this server was started without a config file')
  return api.configFile
}

function capped(diff: string): string {
  if (diff.length <= MAX_AUDIT_DIFF) return diff
  return `${diff.slice(0, MAX_AUDIT_DIFF)}\n… (diff cut at ${MAX_AUDIT_DIFF} characters)`
}
