// The editor's forms come from the loader's schemas: fields, bounds, defaults and values as written.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { editorModel } from './editor-model.ts'

const text = readFileSync('tandem.yaml', 'utf8')
const model = editorModel({
  main: '/etc/tandem/tandem.yaml',
  paths: ['/etc/tandem/tandem.yaml'],
  files: [{ path: 'tandem.yaml', text }],
  version: '0'.repeat(32),
})
const list = (title: string) => {
  const found = model.collections.find((c) => c.title === title)
  if (!found) throw new Error(`no collection ${title}`)
  return found
}
const field = (title: string, key: string) => list(title).fields.find((f) => f.key === key)

describe('editorModel', () => {
  it('has a form for every list of the config, each entry at its loader path', () => {
    expect(model.collections.map((c) => c.title)).toEqual([
      'Nodes',
      ...model.nodeNames.map((n) => `Checks of node ${n}`),
      'Services',
      'Checks of web',
      'Checks of db',
      'VMs',
      'Storage',
      'Fence devices',
      'Fencing levels',
    ])
    const web = list('Checks of web')
    expect(web.entries.map((e) => [e.label, e.field])).toEqual([['http', 'services[0].checks[0]']])
    expect(web.next).toBe('services[0].checks[1]')
    expect(web.at).toEqual(['services', { name: 'web' }, 'checks'])
    expect(list('Fencing levels').entries[0]?.at).toEqual(['fencing', 'nodes', { node: 'node1' }])
  })

  it("takes kinds, bounds and defaults from the loader's schemas", () => {
    expect(field('Checks of web', 'rise')).toMatchObject({
      kind: 'integer',
      hint: '1–100',
      placeholder: '2',
    })
    expect(field('Checks of web', 'expect.status')).toMatchObject({
      kind: 'list',
      items: 'integer',
    })
    expect(field('Checks of web', 'tls.verify')).toMatchObject({ kind: 'boolean' })
    expect(field('Checks of web', 'method')?.choices).toEqual(['GET', 'HEAD', 'POST', 'OPTIONS'])
    expect(field('Storage', 'kind')).toMatchObject({
      kind: 'choice',
      choices: ['gnbd', 'nbd', 'gfs'],
      required: true,
    })
    // Required only where every kind of storage requires it.
    expect(field('Storage', 'server')?.required).toBe(false)
    expect(field('VMs', 'toolstack')).toMatchObject({
      choices: ['xl', 'xm', 'virsh'],
      placeholder: 'xl',
    })
    expect(field('Fence devices', 'options')?.kind).toBe('map')
    expect(field('Fencing levels', 'levels')?.kind).toBe('levels')
    // A service's real servers, LVS settings and checks have their own forms.
    expect(list('Services').fields.map((f) => f.key)).not.toContain('lvs.scheduler')
  })

  it('shows the values as written: lists and maps one item a line, levels with their plugs', () => {
    const device = list('Fence devices').entries.find((e) => e.label === 'ipmi-node1')
    expect(device?.values.options).toContain('password=env:TANDEM_DEMO_IPMI_PASSWORD')
    expect(list('Fencing levels').entries[0]?.values.levels).toBe('ipmi-node1\ngnbd:node1')
    const gfs = list('Storage').entries.find((e) => e.label === 'gfs-data')
    expect(gfs?.values.mounted_by?.split('\n').length).toBeGreaterThan(1)
  })
})
