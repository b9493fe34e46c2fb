// The two IPVS labs the lvs plugin is tested against — the ipvsadm simulator and a real 6.1
// kernel in a qemu VM — behind one interface, plus a real command runner and a plugin context.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Config, createInventory, type Inventory, parseConfig } from '../../core/inventory/index.ts'
import type { CommandResult, CommandRunner, PluginContext } from '../../core/plugin/index.ts'
import { createCommandRunner, createLocalRunner } from '../../core/plugin-host/index.ts'
import { LvsConfig } from '../../plugins/lvs/index.ts'
import { startIpvsVm } from '../lab/ipvs-vm/vm.mjs'
import { runIpvsadm } from '../lab/ipvsadm/run.mjs'
import { closeConnection, openConnection } from '../lab/ipvsadm/traffic.mjs'
import { LAB_SSH, labRunner } from '../lab/plugin-context.ts'

const SIMULATOR = fileURLToPath(new URL('../lab/bin/ipvsadm', import.meta.url))
const NO_NODES = createInventory(Config.parse({}))

/** One ipvsadm run as the lab saw it (argv[0] shortened to `ipvsadm`). */
export interface TraceEntry {
  argv: string[]
  code: number | null
  stdout: string
  stderr: string
}

type Endpoint = { address: string; port: number }

export interface IpvsLab {
  kind: 'simulator' | 'kernel'
  /** The ipvsadm the plugin is pointed at. */
  ipvsadm: string
  /** The engine's runner for an inventory (local, or the lab ssh for nodes with `ssh`), traced. */
  runnerFor(inventory: Inventory): CommandRunner
  /** Every command the runner ran, in order. */
  trace: TraceEntry[]
  /** Runs ipvsadm directly (set-up and read-back), outside the trace. */
  ipvsadmRun(args: string[], stdin?: string): Promise<CommandResult>
  /** Clears the table (`ipvsadm -C`); connections linger as in the kernel. */
  reset(): Promise<void>
  /** Opens a client connection through the virtual service to one real server. */
  connect(vip: Endpoint, server: Endpoint): Promise<string>
  disconnect(id: string): Promise<void>
  /** The kernel lab only: runs a shell script inside the VM. */
  guest?: (script: string) => Promise<{ code: number; stdout: string; stderr: string }>
  stop(): Promise<void>
}

/** The runner with every ipvsadm run recorded in `trace` (argv[0] shortened to `ipvsadm`). */
function tracing(runner: CommandRunner, trace: TraceEntry[]): CommandRunner {
  return {
    async run(spec) {
      const result = await runner.run(spec)
      const { code, stdout, stderr } = result
      trace.push({ argv: ['ipvsadm', ...spec.argv.slice(1)], code, stdout, stderr })
      return result
    },
  }
}

/** Calls the simulator's entry point directly, with its world file; records a trace. */
function inProcessRunner(world: string, trace: TraceEntry[]): CommandRunner {
  return {
    async run(spec) {
      process.env.TANDEM_LAB_WORLD = world
      const argv = spec.argv.slice(1)
      const result = runIpvsadm(argv, { stdin: () => spec.stdin ?? '' })
      trace.push({ argv: ['ipvsadm', ...argv], ...result })
      return { ...result, signal: null, durationMs: 0, timedOut: false, truncated: false }
    },
  }
}

/** The plugin's context for a lab: the given inventory, the lab's ipvsadm, a quiet logger. */
export function lvsContext(
  lab: IpvsLab,
  inventoryYaml: string,
  config: Partial<LvsConfig> = {},
): PluginContext<LvsConfig> {
  const inventory = createInventory(parseConfig('lab.yaml', inventoryYaml))
  const quiet = () => {}
  return {
    config: LvsConfig.parse({ ipvsadm: lab.ipvsadm, poll_interval_ms: 100, ...config }),
    inventory,
    runner: lab.runnerFor(inventory),
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    signal: new AbortController().signal,
    timeoutMs: 10_000,
    secrets: {
      resolve: async (ref) => Promise.reject(new Error(`no secrets in the lab (${ref})`)),
    },
    dryRun: false,
  }
}

/**
 * The simulator with a world file of its own (set for this process too: traffic helpers).
 * `inProcess` runs the simulator's code without a process per call (same table logic, same
 * output): for the kernel diff, where the executable itself is not what is compared.
 */
export function simulatorLab(options: { inProcess?: boolean } = {}): IpvsLab {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-lvs-'))
  const world = join(dir, 'world.json')
  process.env.TANDEM_LAB_WORLD = world
  const trace: TraceEntry[] = []
  const direct = options.inProcess ? inProcessRunner(world, []) : labRunner(NO_NODES, world)
  return {
    kind: 'simulator',
    ipvsadm: SIMULATOR,
    runnerFor: (inventory) =>
      options.inProcess
        ? inProcessRunner(world, trace)
        : tracing(labRunner(inventory, world), trace),
    trace,
    ipvsadmRun: (args, stdin) => direct.run({ argv: [SIMULATOR, ...args], stdin }),
    reset: async () => {
      await direct.run({ argv: [SIMULATOR, '-C'] })
    },
    connect: async (vip, server) => {
      process.env.TANDEM_LAB_WORLD = world
      return openConnection({ service: { protocol: 'tcp', ...vip }, dest: server })
    },
    disconnect: async (id) => {
      process.env.TANDEM_LAB_WORLD = world
      closeConnection(id)
    },
    stop: async () => rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * The real kernel: boots the lab VM (built and cached on first use). Resolves to the reason
 * instead when it cannot run here, so the suite can say why it is skipped.
 */
export async function kernelLab(): Promise<IpvsLab | { skipped: string }> {
  let vm: Awaited<ReturnType<typeof startIpvsVm>>
  try {
    vm = await startIpvsVm({ log: (line) => console.log(`[ipvs-vm] ${line}`) })
  } catch (error) {
    return { skipped: error instanceof Error ? error.message : String(error) }
  }
  const trace: TraceEntry[] = []
  const direct = createLocalRunner()
  const listeners = new Set<string>()
  /** ESTABLISHED entries from the VIP to the server in `ipvsadm -Lnc`. */
  const established = async (vip: Endpoint, server: Endpoint) => {
    const { stdout } = await vm.sh('ipvsadm -Lnc')
    return stdout.split('\n').filter((line) => {
      const [, , state, , virtual, destination] = line.trim().split(/\s+/)
      const same = (e: Endpoint, text?: string) => text === `${e.address}:${e.port}`
      return state === 'ESTABLISHED' && same(vip, virtual) && same(server, destination)
    }).length
  }
  const until = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`[ipvs-vm] ${what} did not happen within 10 s`)
  }
  const endpoints = new Map<string, [Endpoint, Endpoint]>()
  return {
    kind: 'kernel',
    ipvsadm: vm.ipvsadm,
    runnerFor: (inventory) => tracing(createCommandRunner({ inventory, ssh: LAB_SSH }), trace),
    trace,
    ipvsadmRun: (args, stdin) => direct.run({ argv: [vm.ipvsadm, ...args], stdin }),
    reset: async () => {
      await vm.sh('ipvsadm -C')
    },
    async connect(vip, server) {
      const where = `${server.address}:${server.port}`
      if (!listeners.has(where)) {
        await vm.sh(`mkdir -p /tmp/www && httpd -p ${where} -h /tmp/www`)
        listeners.add(where)
      }
      const before = await established(vip, server)
      const started = await vm.sh(
        `(sleep 3600 | nc ${vip.address} ${vip.port} >/dev/null 2>&1 & echo $! >/tmp/nc.pid); cat /tmp/nc.pid`,
      )
      const pid = started.stdout.trim()
      endpoints.set(pid, [vip, server])
      await until(async () => (await established(vip, server)) > before, 'connection')
      return pid
    },
    /** Ends the client; what IPVS makes of its FIN is for the test to watch. */
    async disconnect(pid) {
      if (!endpoints.delete(pid)) throw new Error(`no lab connection ${pid}`)
      await vm.sh(`kill ${Number(pid)}`)
    },
    guest: (script) => vm.sh(script),
    stop: () => vm.stop(),
  }
}
