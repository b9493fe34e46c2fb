// End to end: live migration with xl, xm and virsh against the lab's hypervisors, including
// the tools' own refusals (no memory, dead target, dead source, unknown guest).
import { describe, expect, it } from 'vitest'
import type { PluginError } from '../../core/plugin/index.ts'
import xen from '../../plugins/xen/index.ts'
import { hostOf, type Stack, setNode, xenLab } from './lab.ts'

const migrate = xen.actions!.migrate!

const MIGRATE_ARGV: Record<Stack, string[]> = {
  xl: ['xl', 'migrate', 'guest1', '127.0.1.2'],
  xm: ['xm', 'migrate', '--live', 'guest1', '127.0.1.2'],
  virsh: ['virsh', 'migrate', '--live', 'guest1', 'xen+ssh://127.0.1.2/system'],
}

const NO_MEMORY: Record<Stack, RegExp> = {
  xl: /^migration target: Ready to receive domain\.\n[\s\S]*failed to free memory for the domain\nmigration target: Domain creation failed \(code -3\)\.\n[\s\S]*Migration failed, resuming at sender\.$/,
  xm: /^Error: Not enough memory is available, and dom0 cannot be shrunk any further \(from 127\.0\.1\.3\)$/,
  virsh: /^error: internal error: libxenlight failed to get free memory for domain 'guest1'$/,
}

const DEAD_TARGET: Record<Stack, RegExp> = {
  xl: /^ssh: connect to host 127\.0\.1\.3 port 22: No route to host\r?\nlibxl: error: libxl_utils\.c:505:libxl_read_exactly: file\/stream truncated reading banner from migration receiver stream/,
  xm: /^Error: can't connect: \[Errno 113\] No route to host$/,
  virsh:
    /^error: Cannot recv data: ssh: connect to host 127\.0\.1\.3 port 22: No route to host: Connection reset by peer$/,
}

describe.each(['xl', 'xm', 'virsh'] as const)('migrate with %s', (stack) => {
  it('live-migrates to the named host and reads it back there', async () => {
    const ctx = xenLab(stack)
    const result = await migrate.run({ vm: 'guest1', to: 'node2' }, ctx)
    expect(result.data).toMatchObject({
      vm: 'guest1',
      from: 'node1',
      to: 'node2',
      toolstack: stack,
    })
    expect(result.commands?.[0]).toMatchObject({ node: 'node1', argv: MIGRATE_ARGV[stack] })
    expect(hostOf('guest1')).toBe('node2')
    expect(await migrate.verify!({ vm: 'guest1', to: 'node2' }, ctx)).toMatchObject({ ok: true })
    expect(await migrate.verify!({ vm: 'guest1', to: 'node1' }, ctx)).toMatchObject({ ok: false })
  })

  it('picks the host with the most free memory when none is named', async () => {
    const ctx = xenLab(stack)
    const result = await migrate.run({ vm: 'guest1' }, ctx)
    expect(result.data).toMatchObject({ to: 'node2' })
    expect(hostOf('guest1')).toBe('node2')
  })

  it("keeps the tool's words when the target lacks memory, and the guest where it was", async () => {
    const ctx = xenLab(stack)
    const error = (await migrate
      .run({ vm: 'guest1', to: 'node3' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error).toMatchObject({ kind: 'NO_MEMORY', exitCode: 1 })
    expect(error.toolMessage).toMatch(NO_MEMORY[stack])
    expect(hostOf('guest1')).toBe('node1')
  })

  it('reports a dead target as unreachable, in the tool’s words', async () => {
    const ctx = xenLab(stack)
    setNode('node3', { up: false, power: 'off' })
    const error = (await migrate
      .run({ vm: 'guest2', to: 'node3' }, ctx)
      .catch((e: unknown) => e)) as PluginError
    expect(error.kind).toBe('TARGET_UNREACHABLE')
    expect(error.toolMessage.replace('guest2', 'guest1')).toMatch(DEAD_TARGET[stack])
  })

  it('refuses to live-migrate from a dead host', async () => {
    const ctx = xenLab(stack)
    setNode('node1', { up: false, power: 'off' })
    const error = (await migrate.run({ vm: 'guest1' }, ctx).catch((e: unknown) => e)) as PluginError
    expect(error.kind).toBe('HOST_UNREACHABLE')
    expect(error.message).toContain('a dead host cannot live-migrate')
  })

  it('says NOT_RUNNING for a guest no host runs', async () => {
    const ctx = xenLab(stack)
    const error = (await migrate.run({ vm: 'nosuch' }, ctx).catch((e: unknown) => e)) as PluginError
    expect(error.kind).toBe('NOT_RUNNING')
  })
})
