// The torture test's steps as fast-check model commands: crashes, flaps, partitions, fence faults, daemon kills, operators.
import { setTimeout as sleep } from 'node:timers/promises'
import fc from 'fast-check'
import { CRASH_POINTS } from '../../core/crash-points.ts'
import { failNode, heal, partition, recoverNode, setFenceBehaviour } from '../lab/demo-world.ts'
import { facts, readWorld } from '../lab/world.mjs'
import type { FenceMode, TortureModel, TortureReal } from './model.ts'

type Command = fc.AsyncCommand<TortureModel, TortureReal>

/** One step: check the model allows it, do it to the real world, then judge the invariants. */
abstract class Step implements Command {
  abstract check(m: Readonly<TortureModel>): boolean
  protected abstract act(m: TortureModel, r: TortureReal): Promise<void>
  abstract toString(): string
  async run(m: TortureModel, r: TortureReal): Promise<void> {
    r.stats.steps += 1
    r.log(`[torture] step ${r.stats.steps}: ${this}`)
    r.ran.push(String(this))
    await this.act(m, r)
    await r.check()
  }
}

class Wait extends Step {
  constructor(readonly ms: number) {
    super()
  }
  check = () => true
  protected act = () => sleep(this.ms)
  toString = () => `wait(${this.ms})`
}

/** `lab fail N`: the node crashes (at most one cluster node down at a time: the cluster stays quorate). */
class Fail extends Step {
  constructor(readonly node: string) {
    super()
  }
  check = (m: Readonly<TortureModel>) => m.down.size === 0
  protected async act(m: TortureModel) {
    failNode(this.node)
    m.down.add(this.node)
  }
  toString = () => `fail(${this.node})`
}

/** `lab recover N`: the node boots again (whether or not it was fenced meanwhile). */
class Recover extends Step {
  constructor(readonly node: string) {
    super()
  }
  check = (m: Readonly<TortureModel>) => m.down.has(this.node)
  protected async act(m: TortureModel) {
    recoverNode(this.node)
    m.down.delete(this.node)
  }
  toString = () => `recover(${this.node})`
}

/** The node crashes and comes back `ms` later: around the fall threshold, so sometimes seen. */
class Flap extends Step {
  constructor(
    readonly node: string,
    readonly ms: number,
  ) {
    super()
  }
  check = (m: Readonly<TortureModel>) => m.down.size === 0
  protected async act() {
    failNode(this.node)
    await sleep(this.ms)
    recoverNode(this.node)
  }
  toString = () => `flap(${this.node}, ${this.ms})`
}

/** Every fence device of the node fails, hangs (times out), errors, lies (says off, does nothing) or works. */
class FenceFault extends Step {
  constructor(
    readonly node: string,
    readonly mode: FenceMode,
  ) {
    super()
  }
  check = () => true
  protected async act(m: TortureModel, r: TortureReal) {
    const behaviour = this.mode === 'error' ? 'error' : this.mode
    setFenceBehaviour(r.config, this.node, behaviour as 'ok')
    m.fence[this.node] = this.mode
  }
  toString = () => `fence(${this.node}, ${this.mode})`
}

/** `lab partition`: tandem itself is cut off the network for `ms`, then healed. */
class PartitionTandem extends Step {
  constructor(readonly ms: number) {
    super()
  }
  check = () => true
  protected async act(_m: TortureModel, r: TortureReal) {
    const from = Date.now()
    partition()
    await sleep(this.ms)
    heal()
    r.lab.blind.push([from, Date.now() + 6_000])
  }
  toString = () => `partitionTandem(${this.ms})`
}

/** SIGKILL of a daemon at a random moment; its supervisor restarts it. */
class Kill extends Step {
  constructor(readonly slot: number) {
    super()
  }
  check = (m: Readonly<TortureModel>) => this.slot < m.instances && m.frozen !== this.slot
  protected async act(_m: TortureModel, r: TortureReal) {
    r.lab.kill(this.slot)
    await sleep(300)
  }
  toString = () => `kill(${this.slot})`
}

/** Restarts a daemon armed to SIGKILL itself at the n-th pass of a named crash point. */
class CrashAt extends Step {
  constructor(
    readonly slot: number,
    readonly point: string,
    readonly nth: number,
  ) {
    super()
  }
  check = (m: Readonly<TortureModel>) => this.slot < m.instances && m.frozen !== this.slot
  protected async act(_m: TortureModel, r: TortureReal) {
    await r.lab.restart(this.slot, `${this.point}#${this.nth}`)
  }
  toString = () => `crashAt(${this.slot}, ${this.point}#${this.nth})`
}

/** SIGSTOP of the leader (outside a write transaction), for longer than its lease. */
class Freeze extends Step {
  check = (m: Readonly<TortureModel>) => m.instances === 2 && m.frozen === undefined
  protected async act(m: TortureModel, r: TortureReal) {
    const slot = r.lab.leader() ?? r.lab.daemons[0]!
    if (!slot.child || slot.child.exitCode !== null) return
    await r.lab.freeze(slot.index)
    m.frozen = slot.index
  }
  toString = () => 'freezeLeader()'
}

class Thaw extends Step {
  check = (m: Readonly<TortureModel>) => m.frozen !== undefined
  protected async act(m: TortureModel, r: TortureReal) {
    r.lab.thaw(m.frozen!)
    m.frozen = undefined
  }
  toString = () => 'thaw()'
}

/**
 * An operator drains a real server with `tandem exec`, then restores it. Whenever the CLI says
 * it succeeded (exit 0) the director's table must show it: the CLI is part of the journal's word.
 */
class ExecDrainRestore extends Step {
  constructor(readonly node: string) {
    super()
  }
  check = (m: Readonly<TortureModel>) => !m.down.has(this.node)
  protected async act(_m: TortureModel, r: TortureReal) {
    const rs = r.config.services
      .find((s) => s.name === 'web')!
      .real_servers.find((x) => x.node === this.node)!
    for (const [action, weight] of [
      ['lvs.drain', 0],
      ['lvs.restore', rs.weight ?? 1],
    ] as const) {
      let { code, out } = await r.lab.exec([action, 'service=web', `node=${this.node}`])
      // Refused for a reason that clears by itself (exit 3: the monitor blind, quorum unknown):
      // the operator who drained the server tries the restore again, as a person would.
      for (let n = 0; n < 5 && action === 'lvs.restore' && code === 3 && TRANSIENT.test(out); n++) {
        await sleep(2_000)
        ;({ code, out } = await r.lab.exec([action, 'service=web', `node=${this.node}`]))
      }
      const now = weightOf(r, this.node, rs.port ?? 0)
      if (code === 0 && now !== weight)
        r.violations.push({
          invariant: 'journal-truthful',
          detail: `tandem exec ${action} service=web node=${this.node} exited 0 but the weight is ${now}, not ${weight}: ${out.trim().split('\n').join(' | ')}`,
        })
    }
  }
  toString = () => `execDrainRestore(${this.node})`
}

/** How `tandem exec` names a refusal by a guard that clears by itself (core/act/hold.ts). */
const TRANSIENT = /monitor_blind|quorum/

/** The same through the API: `POST /api/v1/actions` drain, then restore (queued runs). */
class ApiDrainRestore extends Step {
  constructor(readonly node: string) {
    super()
  }
  check = (m: Readonly<TortureModel>) => !m.down.has(this.node)
  protected async act(_m: TortureModel, r: TortureReal) {
    for (const uses of ['lvs.drain', 'lvs.restore']) {
      const status = await r.lab.request({
        uses,
        with: { service: 'web', node: this.node },
        reason: 'torture: operator action',
      })
      // 0: no daemon could answer (all dead or frozen right now): an operator would retry later.
      if (status !== 202 && status !== 0)
        r.violations.push({
          invariant: 'journal-truthful',
          detail: `POST /api/v1/actions ${uses} ${this.node} answered ${status}, not 202`,
        })
    }
  }
  toString = () => `apiDrainRestore(${this.node})`
}

/** The command arbitrary for a site whose cluster nodes are `nodes`, with `instances` daemons. */
export function tortureCommands(
  nodes: string[],
  instances: 1 | 2,
  options: { steps: number; skip?: string[] },
): fc.Arbitrary<Command[]> {
  const node = fc.constantFrom(...nodes)
  const slot = fc.integer({ min: 0, max: instances - 1 })
  const modes: FenceMode[] = ['ok', 'fail', 'lie', 'hang', 'error']
  const all: [string, fc.Arbitrary<Command>][] = [
    ['wait', fc.integer({ min: 500, max: 6_000 }).map((ms) => new Wait(ms))],
    ['wait', fc.integer({ min: 2_000, max: 12_000 }).map((ms) => new Wait(ms))],
    ['fail', node.map((n) => new Fail(n))],
    ['fail', node.map((n) => new Fail(n))],
    ['recover', node.map((n) => new Recover(n))],
    ['recover', node.map((n) => new Recover(n))],
    [
      'flap',
      fc.tuple(node, fc.integer({ min: 300, max: 5_000 })).map(([n, ms]) => new Flap(n, ms)),
    ],
    [
      'fence',
      fc.tuple(node, fc.constantFrom(...modes)).map(([n, mode]) => new FenceFault(n, mode)),
    ],
    [
      'partitionTandem',
      fc.integer({ min: 1_000, max: 6_000 }).map((ms) => new PartitionTandem(ms)),
    ],
    ['kill', slot.map((s) => new Kill(s))],
    [
      'crashAt',
      fc
        .tuple(slot, fc.constantFrom(...CRASH_POINTS), fc.integer({ min: 1, max: 3 }))
        .map(([s, point, nth]) => new CrashAt(s, point, nth)),
    ],
    ['execDrainRestore', node.map((n) => new ExecDrainRestore(n))],
    ['apiDrainRestore', node.map((n) => new ApiDrainRestore(n))],
  ]
  if (instances === 2)
    all.push(['freezeLeader', fc.constant(new Freeze())], ['thaw', fc.constant(new Thaw())])
  // TORTURE_SKIP: leave some kinds of step out, e.g. to look past a known failure.
  const arbs = all.filter(([name]) => !options.skip?.includes(name)).map(([, arb]) => arb)
  // A fixed length (fc.commands draws short sequences): `steps` draws, those the model allows run.
  // fc.asyncModelRun skips a command whose check() refuses it; shrinking drops commands.
  return fc.array(fc.oneof(...arbs), { minLength: options.steps, maxLength: options.steps })
}

/** The director's weight for `node`'s web real server right now (undefined: not in the table). */
function weightOf(r: TortureReal, node: string, port: number): number | undefined {
  const address = r.config.nodes.find((n) => n.name === node)?.address
  const key = Object.keys(facts(readWorld())).find((k) => k.endsWith(`/${address}:${port}`))
  return key ? (facts(readWorld())[key] as number) : undefined
}
