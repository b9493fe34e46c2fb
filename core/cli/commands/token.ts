// `tandem token create|list|revoke`: API tokens for people, Alertmanager and scripts; shown once, stored hashed.
import { createApiToken, parseScopes, revokeApiToken, SCOPES } from '../../api/index.ts'
import { createSecretResolver, DEFAULT_CONFIG_FILE, loadConfig } from '../../inventory/index.ts'
import { apiTokens, openStore, type Store } from '../../store/index.ts'
import { type Command, type Io, parseOptions } from '../command.ts'

export const tokenCommand: Command = {
  name: 'token',
  summary: 'create, list or revoke API tokens (shown once, stored as a hash)',
  usage: `tandem token create --name NAME --scope ${SCOPES.join(',')} | list | revoke ID|NAME  [--config FILE] [--store URL]`,
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      {
        name: { type: 'string' },
        scope: { type: 'string' },
        config: { type: 'string', default: DEFAULT_CONFIG_FILE },
        store: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      true,
    )
    const [verb, target] = positionals
    if (verb !== 'create' && verb !== 'list' && verb !== 'revoke') {
      io.err(`tandem token: say create, list or revoke\nusage: ${this.usage}\n`)
      return 2
    }
    const store = await open(values.store, values.config)
    try {
      if (verb === 'create') return await create(store, values.name, values.scope, values.json, io)
      if (verb === 'list') return await list(store, values.json, io)
      if (!target) {
        io.err('tandem token revoke: name the token id or name\n')
        return 2
      }
      const revoked = await revokeApiToken(store, target)
      io.out(revoked ? `revoked ${revoked} token${revoked > 1 ? 's' : ''} (${target})\n` : '')
      if (!revoked) io.err(`tandem token revoke: no active token with id or name "${target}"\n`)
      return revoked ? 0 : 1
    } finally {
      store.close()
    }
  },
}

async function create(
  store: Store,
  name: string | undefined,
  scope: string | undefined,
  json: boolean,
  io: Io,
): Promise<number> {
  if (!name || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/.test(name) || !scope) {
    io.err('tandem token create: give --name (letters, digits, . _ @ -) and --scope\n')
    return 2
  }
  const scopes = parseScopes(scope)
  const { id, token } = await createApiToken(store, { name, scopes })
  if (json) io.out(`${JSON.stringify({ id, name, scopes, token })}\n`)
  else
    io.out(
      `${token}\n\nToken ${id} "${name}" (${scopes.join(', ')}). This is the only time it is shown;\ntandem keeps only its sha256. Send it as "Authorization: Bearer <token>".\n`,
    )
  return 0
}

async function list(store: Store, json: boolean, io: Io): Promise<number> {
  const rows = await store.db.select().from(apiTokens).orderBy(apiTokens.createdAt)
  const shown = rows.map((r) => ({
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    createdAt: new Date(r.createdAt).toISOString(),
    lastUsedAt: r.lastUsedAt ? new Date(r.lastUsedAt).toISOString() : null,
    revoked: r.revokedAt !== null,
  }))
  if (json) {
    io.out(`${JSON.stringify(shown, null, 2)}\n`)
    return 0
  }
  for (const t of shown)
    io.out(
      `${t.id}  ${t.name.padEnd(20)} ${t.scopes.join(',').padEnd(22)} created ${t.createdAt}  used ${t.lastUsedAt ?? 'never'}${t.revoked ? '  REVOKED' : ''}\n`,
    )
  if (shown.length === 0) io.out('no tokens yet: tandem token create --name NAME --scope read\n')
  return 0
}

/** The store named on the command line, or the one in the config (with its auth token). */
async function open(storeUrl: string | undefined, configFile: string): Promise<Store> {
  if (storeUrl) return openStore(storeUrl)
  const config = await loadConfig(configFile)
  const ref = config.daemon.store_auth_token
  const authToken = ref ? await createSecretResolver().resolve(ref) : undefined
  return openStore(config.daemon.store, { authToken })
}
