// bench:scale's site: a many-group inventory over the farm, `tandem run` processes, the store as seen from outside.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Client, createClient } from '@libsql/client'

/**
 * One node per farm address, its targets as the node's own checks (http on each port): every
 * node is its own shard group, so the checks spread over the instances by rendezvous hashing.
 * (One service per target would be 10,000 services: past the config loader's 1 MB limit; and
 * services spanning nodes would join them into one group, see docs/scale.md.)
 */
export function writeInventory(
  file: string,
  targets: [string, number][],
  options: { intervalS: number; timeoutMs: number },
): void {
  const byAddress = new Map<string, number[]>()
  for (const [address, port] of targets)
    byAddress.set(address, [...(byAddress.get(address) ?? []), port])
  const nodes = [...byAddress].map(([address, ports], a) => ({
    name: `node${a + 1}`,
    address,
    checks: ports.map((port) => ({
      name: `p${port}`,
      kind: 'http',
      port,
      interval: `${options.intervalS}s`,
      timeout: `${options.timeoutMs}ms`,
      rise: 1,
    })),
  }))
  // JSON is YAML: the config loader reads it as it is.
  writeFileSync(file, JSON.stringify({ monitor: { max_concurrency: 256 }, nodes }))
}

/** A `tandem run` process and the tail of what it printed. */
export interface InstanceProcess {
  child: ChildProcess
  pid: number
  startedAt: number
  output(): string
}

export interface InstanceArgs {
  configFile: string
  storeUrl: string
  policiesDir: string
  leaseMs: number
}

/** Starts one instance; resolves once it serves (`tandem is running`). */
export async function spawnInstance(args: InstanceArgs): Promise<InstanceProcess> {
  const startedAt = Date.now()
  // Run as `tandem` itself so the instance gets the #! line's memory flags, as users' do.
  const child = spawn(
    'bin/tandem.js',
    [
      'run',
      '--config',
      args.configFile,
      '--store',
      args.storeUrl,
      '--policies',
      args.policiesDir,
      '--listen',
      '127.0.0.1:0',
      '--lease',
      `${args.leaseMs}ms`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + String(chunk)).slice(-200_000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const instance = { child, pid: child.pid!, startedAt, output: () => tail }
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  await until(
    () => {
      if (exited) throw new Error(`[bench] instance ${child.pid} exited:\n${tail.slice(-2_000)}`)
      return tail.includes('tandem is running')
    },
    180_000,
    `instance ${child.pid} to start`,
  )
  return instance
}

/** The checks an instance probes now (its last `monitoring started` / `shards re-planned`). */
export function probedBy(instance: InstanceProcess): number | undefined {
  const all = [...instance.output().matchAll(/"probed":(\d+)/g)]
  return all.length ? Number(all[all.length - 1]![1]) : undefined
}

/** Resident memory of a process, in MB (0 once it is gone). */
export function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)
    return line ? Number(line[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/** CPU time of a process so far, in ms (utime + stime). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return 0
  }
}

/** The store file as an outside observer sees it: the leader lease, the live set, commits. */
export interface StoreWatch {
  client: Client
  leader(): Promise<{ holder: string; token: number; expiresAt: number } | undefined>
  live(staleMs: number): Promise<number>
  /**
   * SQLite's WAL index header (the -shm file): `iChange` counts committed write transactions of
   * every process on the file, `mxFrame` is the last frame in the WAL (pages written).
   */
  walCounters(): { commits: number; frames: number }
  close(): void
}

export function watchStore(dbFile: string): StoreWatch {
  const client = createClient({ url: `file:${dbFile}` })
  return {
    client,
    async leader() {
      const { rows } = await client.execute(
        "SELECT holder, token, expires_at FROM leases WHERE name = 'leader'",
      )
      const row = rows[0]
      return row
        ? { holder: String(row[0]), token: Number(row[1]), expiresAt: Number(row[2]) }
        : undefined
    },
    async live(staleMs) {
      const { rows } = await client.execute({
        sql: 'SELECT count(*) FROM instances WHERE heartbeat_at > ?',
        args: [Date.now() - staleMs],
      })
      return Number(rows[0]![0])
    },
    walCounters() {
      const header = readFileSync(`${dbFile}-shm`).subarray(0, 48)
      return { commits: header.readUInt32LE(8), frames: header.readUInt32LE(16) }
    },
    close: () => client.close(),
  }
}

/** The pid inside an instance id (`<host>-<pid>-<random>`). */
export function pidOf(instanceId: string): number {
  const parts = instanceId.split('-')
  return Number(parts[parts.length - 2])
}

export async function until(done: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`[bench] timed out waiting for ${what}`)
    await sleep(50)
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const storeFile = (dir: string) => join(dir, 'tandem.db')
