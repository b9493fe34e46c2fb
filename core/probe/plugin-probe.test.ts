import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { definePlugin, defineProbe, PluginError, z } from '../plugin/index.ts'
import { createRegistry } from '../plugin-host/index.ts'
import { createPluginProbe } from './plugin-probe.ts'
import { checkTarget, pluginContextFor } from './test-support.ts'

// A small, real plugin: its probe reads a membership file through the ctx runner (`cat`).
const labCluster = definePlugin({
  name: 'labcluster',
  description: 'cluster membership from a file, for tests',
  config: z.object({ cat: z.string().default('/bin/cat') }),
  probes: {
    membership: defineProbe({
      description: 'members listed in a JSON file',
      input: z.strictObject({ file: z.string(), node: z.string().optional() }),
      async run(input, ctx) {
        const out = await ctx.runner.run({
          argv: [(ctx.config as { cat: string }).cat, input.file],
          timeoutMs: ctx.timeoutMs,
        })
        if (out.code !== 0) throw new PluginError('labcluster', 'READ_FAILED', out.stderr.trim())
        const members = JSON.parse(out.stdout) as { name: string; online: boolean }[]
        return {
          status: 'ok',
          latencyMs: out.durationMs,
          detail: `${members.length} members, seen from ${input.node ?? 'here'}`,
          data: { members, quorate: true },
        }
      },
    }),
    hang: defineProbe({
      description: 'never answers',
      input: z.object({}),
      run: (_input, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    }),
    sloppy: defineProbe({
      description: 'returns something that is not a probe result',
      input: z.object({}),
      run: async () => ({ status: 'fine' }) as never,
    }),
  },
})
const registry = createRegistry([labCluster])
const contextFor = pluginContextFor()

describe('plugin probes', () => {
  it('runs the plugin with its with: block, placeholders filled from the target', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tandem-plugin-')), 'members.json')
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'node1', online: true },
        { name: 'node2', online: false },
      ]),
    )
    const target = checkTarget(
      { kind: 'labcluster.membership', with: { file, node: '{node}' } },
      { scope: 'node', node: 'director' },
    )
    const r = await createPluginProbe(target, registry, contextFor)(2000)
    expect(r).toMatchObject({
      status: 'ok',
      detail: '2 members, seen from director',
      data: {
        members: [
          { name: 'node1', online: true },
          { name: 'node2', online: false },
        ],
      },
    })
  })

  it("turns a plugin error into unknown with the tool's own words", async () => {
    const target = checkTarget({
      kind: 'labcluster.membership',
      with: { file: '/nonexistent/members' },
    })
    const r = await createPluginProbe(target, registry, contextFor)(2000)
    expect(r).toMatchObject({
      status: 'unknown',
      detail: '[labcluster] /bin/cat: /nonexistent/members: No such file or directory',
    })
  })

  it('times out a probe that never answers and aborts its signal', async () => {
    const r = await createPluginProbe(
      checkTarget({ kind: 'labcluster.hang' }),
      registry,
      contextFor,
    )(200)
    expect(r.status).toBe('timeout')
    expect(r.detail).toMatch(/^timeout after 200 ms \(plugin[;)]/)
  })

  it('refuses a malformed result from a plugin', async () => {
    const r = await createPluginProbe(
      checkTarget({ kind: 'labcluster.sloppy' }),
      registry,
      contextFor,
    )(200)
    expect(r).toMatchObject({
      status: 'unknown',
      detail: '[labcluster.sloppy] returned a malformed probe result',
    })
  })

  it('refuses unknown kinds and bad with: blocks when compiling, naming the check', () => {
    expect(() =>
      createPluginProbe(checkTarget({ kind: 'labcluster.membershp' }), registry, contextFor),
    ).toThrow(
      '[probe] web/node1/probe: unknown probe kind "labcluster.membershp"; did you mean "labcluster.membership"?',
    )
    expect(() =>
      createPluginProbe(
        checkTarget({ kind: 'labcluster.membership', with: { file: 5 } }),
        registry,
        contextFor,
      ),
    ).toThrow('[probe] web/node1/probe: with.file: Invalid input: expected string, received number')
  })
})
