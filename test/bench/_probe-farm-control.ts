// Starts the benchmark's target farm in child processes and drives it (modes, request counts).
import { type ChildProcess, fork } from 'node:child_process'

export type FarmMode = 'ok' | 'fail' | 'hang' | 'refuse'

export interface Farm {
  /** Every target, in order: [address, port]. */
  targets: [string, number][]
  setMode(indexes: number[], mode: FarmMode): Promise<void>
  /** Requests served so far, by client (User-Agent). */
  requests(): Promise<{ tandem: number; monit: number; other: number }>
  /** Starts (afresh) or stops keeping the time of every tandem probe per target. */
  record(on: boolean): Promise<void>
  /** Per target (in order), the times (epoch ms) it was probed while recording. */
  hits(): Promise<number[][]>
  /** Targets not probed since `at`, and the latest of the first probes after it (epoch ms). */
  since(at: number): Promise<{ uncovered: number; latest: number }>
  stop(): void
}

/**
 * Opens `count` HTTP listeners on 127.0.<net>.1…, `perAddress` ports per address from
 * `basePort`, spread over `workers` processes (each stays well under the file-descriptor limit).
 */
export async function startFarm(
  count: number,
  workers: number,
  basePort = 20_000,
  perAddress = 1_000,
  net = 44,
): Promise<Farm> {
  const targets: [string, number][] = []
  for (let i = 0; i < count; i++)
    targets.push([`127.0.${net}.${1 + Math.floor(i / perAddress)}`, basePort + (i % perAddress)])
  const per = Math.ceil(count / workers)
  const children: ChildProcess[] = []
  let nextId = 0
  const call = <T>(child: ChildProcess, message: Record<string, unknown>, reply: string) =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId
      const onExit = (code: number | null) => reject(new Error(`farm worker exited (${code})`))
      const onMessage = (answer: { cmd: string; id?: number } & T) => {
        if (answer.cmd !== reply || (answer.id !== undefined && answer.id !== id)) return
        child.off('message', onMessage)
        child.off('exit', onExit)
        resolve(answer)
      }
      child.on('message', onMessage)
      child.once('exit', onExit)
      child.send({ ...message, id })
    })
  for (let w = 0; w < workers; w++) {
    const child = fork(new URL('./probe-farm.mjs', import.meta.url), [], {
      stdio: 'inherit',
      execArgv: [],
    })
    children.push(child)
  }
  await Promise.all(
    children.map((child, w) =>
      call(child, { cmd: 'start', targets: targets.slice(w * per, (w + 1) * per) }, 'started'),
    ),
  )
  return {
    targets,
    async setMode(indexes, mode) {
      await Promise.all(
        children.map((child, w) => {
          const mine = indexes.filter((i) => Math.floor(i / per) === w).map((i) => i - w * per)
          return mine.length ? call(child, { cmd: 'set', indexes: mine, mode }, 'set') : undefined
        }),
      )
    },
    async requests() {
      const all = await Promise.all(
        children.map((child) =>
          call<{ requests: { tandem: number; monit: number; other: number } }>(
            child,
            { cmd: 'stats' },
            'stats',
          ),
        ),
      )
      return all.reduce(
        (sum, { requests }) => ({
          tandem: sum.tandem + requests.tandem,
          monit: sum.monit + requests.monit,
          other: sum.other + requests.other,
        }),
        { tandem: 0, monit: 0, other: 0 },
      )
    },
    async record(on) {
      await Promise.all(children.map((child) => call(child, { cmd: 'record', on }, 'record')))
    },
    async hits() {
      const all = await Promise.all(
        children.map((child) => call<{ hits: number[][] }>(child, { cmd: 'hits' }, 'hits')),
      )
      return all.flatMap((answer) => answer.hits)
    },
    async since(at) {
      const all = await Promise.all(
        children.map((child) =>
          call<{ uncovered: number; latest: number }>(child, { cmd: 'since', at }, 'since'),
        ),
      )
      return {
        uncovered: all.reduce((n, a) => n + a.uncovered, 0),
        latest: Math.max(...all.map((a) => a.latest)),
      }
    },
    stop() {
      for (const child of children) child.kill()
    },
  }
}
