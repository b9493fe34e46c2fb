import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalRunner } from '../plugin-host/index.ts'
import { createReadOnlyRunner, isReadOnlyCommand } from './read-only-runner.ts'

const ro = (argv: string[], stdin?: string) => isReadOnlyCommand({ argv, stdin })

describe('isReadOnlyCommand', () => {
  it('lets the query forms of the cluster tools through', () => {
    expect(ro(['ipvsadm', '-L', '-n'])).toBe(true)
    // The lvs plugin reads thresholds with bundled flags: a plan of lvs.reconcile needs it.
    expect(ro(['ipvsadm', '-Ln', '--thresholds'])).toBe(true)
    expect(ro(['/usr/sbin/ipvsadm', '-L', '-n', '--stats', '-t', '192.0.2.10:80'])).toBe(true)
    expect(ro(['clustat', '-x'])).toBe(true)
    expect(ro(['crm_mon', '--output-as=xml'])).toBe(true)
    expect(ro(['crm_resource', '--locate', '-r', 'db'])).toBe(true)
    expect(ro(['xl', 'list'])).toBe(true)
    expect(ro(['virsh', '-c', 'xen:///system', 'dominfo', 'guest1'])).toBe(true)
    expect(ro(['fence_ipmilan'], 'action=status\nip=127.0.1.101\n')).toBe(true)
    expect(ro(['fence_ipmilan', '-o', 'status', '-a', '127.0.1.101'])).toBe(true)
  })

  it('refuses anything that changes the cluster, and unknown tools', () => {
    expect(ro(['ipvsadm', '-e', '-t', '192.0.2.10:80', '-r', '127.0.1.2:8080', '-w', '0'])).toBe(
      false,
    )
    expect(ro(['ipvsadm', '-L', '-Z'])).toBe(false)
    expect(ro(['ipvsadm', '-LZ'])).toBe(false)
    expect(ro(['ipvsadm', '-Ln', '-a', '-t', '192.0.2.10:80'])).toBe(false)
    expect(ro(['clusvcadm', '-r', 'db'])).toBe(false)
    expect(ro(['crm_resource', '--locate', '--move', '-r', 'db'])).toBe(false)
    expect(ro(['xl', 'migrate', 'guest1', 'node3'])).toBe(false)
    expect(ro(['virsh', 'destroy', 'guest1'])).toBe(false)
    expect(ro(['fence_ipmilan'], 'action=off\n')).toBe(false)
    // No action named: a fence agent's default is reboot.
    expect(ro(['fence_ipmilan'], 'ip=127.0.1.101\n')).toBe(false)
    expect(ro(['fence_ipmilan'], 'action=status\naction=off\n')).toBe(false)
    expect(ro(['sh', '-c', 'ipvsadm -L'])).toBe(false)
  })
})

describe('createReadOnlyRunner over the local runner', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-ro-'))
    for (const tool of ['clustat', 'clusvcadm']) {
      await writeFile(
        join(dir, tool),
        `#!/bin/sh\necho "$0 $*" >> "${join(dir, 'calls.log')}"\necho "Member Status: Quorate"\n`,
      )
      await chmod(join(dir, tool), 0o755)
    }
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('runs a read and refuses a change without ever starting it', async () => {
    const runner = createReadOnlyRunner(createLocalRunner())
    const result = await runner.run({ argv: [join(dir, 'clustat'), '-x'] })
    expect(result).toMatchObject({ code: 0, stdout: 'Member Status: Quorate\n', timedOut: false })
    await expect(runner.run({ argv: [join(dir, 'clusvcadm'), '-r', 'db'] })).rejects.toThrow(
      /\[plan\] refused to run .*clusvcadm.*a plan only reads/,
    )
    expect(await readFile(join(dir, 'calls.log'), 'utf8')).toBe(`${join(dir, 'clustat')} -x\n`)
  })
})
