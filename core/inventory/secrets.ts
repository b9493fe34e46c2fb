// Resolves secret references (`env:NAME`, `file:/path`) at the moment of use; values never get logged.
import { readFile } from 'node:fs/promises'
import { TandemError } from '../errors.ts'

/** Reads secrets by reference; the only way code in tandem obtains a password or token. */
export interface SecretResolver {
  resolve(ref: string): Promise<string>
  /** Every value resolved so far, so log and journal writers can redact them. */
  known(): readonly string[]
}

/**
 * The standard resolver: environment variables and files (trailing newline trimmed).
 *
 * @example
 * const secrets = createSecretResolver()
 * const password = await secrets.resolve('env:IPMI_PASSWORD')
 */
export function createSecretResolver(env: NodeJS.ProcessEnv = process.env): SecretResolver {
  const seen = new Set<string>()
  return {
    async resolve(ref) {
      const value = await lookup(ref, env)
      if (value.length >= 4) seen.add(value)
      return value
    },
    known: () => [...seen],
  }
}

/** Replaces every known secret value in `text` with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) if (secret) out = out.split(secret).join('***')
  return out
}

async function lookup(ref: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)]
    if (value === undefined)
      throw new TandemError(
        'SECRET_UNRESOLVED',
        `[secrets] environment variable ${ref.slice(4)} is not set`,
      )
    return value
  }
  if (ref.startsWith('file:')) {
    try {
      return (await readFile(ref.slice(5), 'utf8')).replace(/\r?\n$/, '')
    } catch (cause) {
      throw new TandemError('SECRET_UNRESOLVED', `[secrets] cannot read ${ref.slice(5)}`, { cause })
    }
  }
  throw new TandemError(
    'SECRET_UNRESOLVED',
    '[secrets] a secret reference starts with env: or file:',
  )
}
