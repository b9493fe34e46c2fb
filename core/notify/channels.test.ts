// Channel `with:` blocks are checked against their notifier plugin at load, positioned in the file.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtinPlugins } from '../../plugins/index.ts'
import { ConfigError } from '../errors.ts'
import { loadConfig } from '../inventory/index.ts'
import { createRegistry } from '../plugin-host/index.ts'
import { checkChannels } from './channels.ts'

const registry = createRegistry(builtinPlugins)

async function load(yaml: string) {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-channels-'))
  const file = join(dir, 'tandem.yaml')
  await writeFile(file, yaml)
  try {
    await loadConfig(file, { checks: [(c) => checkChannels(c, registry)] })
    return []
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.issues.map((i) => `${i.line}:${i.col} ${i.field}: ${i.message}`)
  }
}

describe('checkChannels', () => {
  it('passes the demo inventory', async () => {
    const config = await loadConfig(new URL('../../tandem.yaml', import.meta.url).pathname, {
      checks: [(c) => checkChannels(c, registry)],
    })
    expect(config.routes?.escalation).toBe('oncall-mail')
  })

  it('accepts valid email and webhook channels', async () => {
    expect(
      await load(`channels:
  - name: mail
    type: email
    with: { from: tandem@example.com, to: [ops@example.com], smtp: { host: 127.0.0.1, port: 2525, security: none } }
  - name: hook
    type: webhook
    with: { url: "http://127.0.0.1:8089/h", secrets: [env:HOOK], allow: [127.0.0.1/32] }
`),
    ).toEqual([])
  })

  it('points at the wrong field with the plugin schema message', async () => {
    const issues = await load(`channels:
  - name: mail
    type: email
    with:
      from: tandem@example.com
      to: ["ops@example.com, evil@attacker.example"]
      smtp: { host: mail.example.com, auth: { user: u, pass: hunter2 } }
`)
    expect(issues).toEqual([
      expect.stringMatching(/^6:12 channels\[0\]\.with\.to\[0\]: expected one plain address/),
      expect.stringMatching(/^7:62 channels\[0\]\.with\.smtp\.auth\.pass: secrets are referenced/),
    ])
  })

  it('suggests the nearest key and the nearest channel type', async () => {
    const issues = await load(`channels:
  - name: hook
    type: webhooks
    with: {}
  - name: hook2
    type: webhook
    with: { url: "http://127.0.0.1/h", secrets: [env:X], allow: [127.0.0.1], formatt: slack }
`)
    expect(issues).toEqual([
      '3:11 channels[0].type: no notifier plugin provides "webhooks"; did you mean "webhook"?',
      expect.stringMatching(
        /^7:\d+ channels\[1\]\.with\.formatt: unknown key "formatt"; did you mean "format"\?/,
      ),
    ])
  })

  it('requires an allow list, and secrets for the signed standard payload', async () => {
    expect(
      await load(`channels:
  - name: hook
    type: webhook
    with: { url: "https://hooks.example.com/x", format: slack }
`),
    ).toEqual(['4:11 channels[0].with.allow: required: expected array'])
    expect(
      await load(`channels:
  - name: hook
    type: webhook
    with: { url: "https://hooks.example.com/x", allow: [hooks.example.com] }
`),
    ).toEqual([
      expect.stringMatching(/^4:11 channels\[0\]\.with\.secrets: the standard format is signed/),
    ])
  })

  it('refuses, as tandem check reads the file, a URL off its allow list or at a metadata endpoint', async () => {
    // Issue 17: these used to pass the check and be refused only when a notice was sent.
    expect(
      await load(`channels:
  - name: hook
    type: webhook
    with: { url: "https://evil.example.net/x", secrets: [env:X], allow: [hooks.example.com] }
  - name: meta
    type: webhook
    with: { url: "http://169.254.169.254/latest", secrets: [env:X], allow: [169.254.0.0/16] }
`),
    ).toEqual([
      expect.stringMatching(
        /^4:\d+ channels\[0\]\.with\.url: host evil\.example\.net is not on this channel's allow list/,
      ),
      expect.stringMatching(
        /^7:\d+ channels\[1\]\.with\.url: 169\.254\.169\.254 is a cloud metadata endpoint/,
      ),
    ])
  })
})
