// One statement or transaction at a time per process: the embedded client has a single connection.
import type { Client, Transaction } from '@libsql/client'
import { TandemError } from '../errors.ts'

/** How long a caller waits for the store before it is told something holds it too long. */
const WAIT_LIMIT_MS = 30_000

/**
 * Wraps a libSQL client so that every statement, batch and transaction waits its turn instead of
 * failing with TRANSACTION_ACTIVE (one connection) or blocking the thread on SQLITE_BUSY (two
 * connections writing in one process). A transaction holds the turn until it commits, rolls back
 * or closes. Across processes, SQLite's own locking and the busy timeout still apply.
 *
 * @example
 * const client = serializeClient(createClient({ url: 'file:./data/tandem.db' }))
 */
export function serializeClient(client: Client): Client {
  let tail: Promise<void> = Promise.resolve()
  const turn = async (what: string): Promise<() => void> => {
    let release!: () => void
    const mine = new Promise<void>((resolve) => {
      release = resolve
    })
    const previous = tail
    tail = previous.then(() => mine)
    let timer: NodeJS.Timeout | undefined
    const waited = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TandemError(
              'STORE_CONFLICT',
              `[store] ${what} waited ${WAIT_LIMIT_MS} ms for the database: a transaction is held too long (or the store is used inside its own transaction)`,
            ),
          ),
        WAIT_LIMIT_MS,
      )
    })
    try {
      await Promise.race([previous, waited])
    } catch (error) {
      // Give the turn back once ours would have come, so later callers are not stuck behind us.
      previous.then(release, release)
      throw error
    } finally {
      clearTimeout(timer)
    }
    return release
  }
  const serialized =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const release = await turn(name)
      try {
        return await fn(...args)
      } finally {
        release()
      }
    }
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      const method = (value as (...args: unknown[]) => unknown).bind(target)
      if (property === 'transaction')
        return async (...args: unknown[]) => {
          const release = await turn('transaction')
          try {
            return holdUntilSettled((await method(...args)) as Transaction, release)
          } catch (error) {
            release()
            throw error
          }
        }
      if (['execute', 'batch', 'executeMultiple', 'migrate'].includes(String(property)))
        return serialized(String(property), method as (...args: unknown[]) => Promise<unknown>)
      return method
    },
  })
}

function holdUntilSettled(tx: Transaction, release: () => void): Transaction {
  let released = false
  const done = () => {
    if (!released) {
      released = true
      release()
    }
  }
  return new Proxy(tx, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      const method = (value as (...args: unknown[]) => unknown).bind(target)
      if (property === 'commit' || property === 'rollback')
        return async (...args: unknown[]) => {
          try {
            return await method(...args)
          } finally {
            done()
          }
        }
      if (property === 'close')
        return (...args: unknown[]) => {
          try {
            return method(...args)
          } finally {
            done()
          }
        }
      return method
    },
  })
}
