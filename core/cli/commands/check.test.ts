import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { builtinPlugins } from '../../../plugins/index.ts'
import { demoConfig, examplePolicies, runCli } from '../../../test/policy/cli.ts'
import { createCheckCommand } from './check.ts'

const check = createCheckCommand(builtinPlugins)

describe('tandem check with policies', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-check-'))
    await cp(examplePolicies, join(dir, 'policies'), { recursive: true })
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('checks the config and every policy', async () => {
    const { code, out } = await runCli(check, [
      '--config',
      demoConfig,
      '--policies',
      join(dir, 'policies'),
    ])
    expect(code).toBe(0)
    expect(out).toMatch(/tandem\.yaml: ok \(5 nodes, .*\)\n.*policies: ok \(10 policies\)\n$/)
  })

  it('lists every policy problem with file:line:col and exits 1', async () => {
    const file = join(dir, 'policies', 'real-server-failed.yaml')
    const text = await readFile(file, 'utf8')
    await writeFile(
      file,
      text.replace('uses: lvs.drain', 'uses: lvs.drian').replace('director != ""', 'directr != ""'),
    )
    const { code, err } = await runCli(check, [
      '--config',
      demoConfig,
      '--policies',
      join(dir, 'policies'),
    ])
    expect(code).toBe(1)
    expect(err.split('\n')).toEqual([
      `${file}:8:46: if: No such key: directr`,
      `${file}:11:11: steps[0].uses: unknown action "lvs.drian"; did you mean "lvs.drain"?`,
      '2 problems found',
      '',
    ])
    const json = await runCli(check, [
      '--config',
      demoConfig,
      '--policies',
      join(dir, 'policies'),
      '--json',
    ])
    expect(JSON.parse(json.out)).toMatchObject({
      ok: false,
      issues: [{ file, line: 8, col: 46, field: 'if' }, { line: 11 }],
    })
  })

  it('does not check policies against a broken config, and says so', async () => {
    const config = join(dir, 'tandem.yaml')
    await writeFile(
      config,
      (await readFile(demoConfig, 'utf8')).replace('name: node3', 'name: node3\n    bogus: 1'),
    )
    const { code, err } = await runCli(check, [
      '--config',
      config,
      '--policies',
      join(dir, 'policies'),
    ])
    expect(code).toBe(1)
    expect(err).toContain('unknown key "bogus"')
    expect(err).toContain(`${join(dir, 'policies')}: not checked: the config has errors`)
  })
})
