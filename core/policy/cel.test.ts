import { describe, expect, it } from 'vitest'
import { demo, event } from '../../test/policy/fixtures.ts'
import { CEL_LIMITS, CelRunError, compileCel } from './cel.ts'
import { eventView, healthView, inventoryView } from './views.ts'

async function vars() {
  const { inventory } = await demo()
  return {
    event: eventView({ ...event('node.down', 'node2'), payload: { weight: 5, ratio: 0.5 } }),
    inventory: inventoryView(inventory),
    health: healthView(
      [
        { target: 'node1', kind: 'node', state: 'up' },
        { target: 'node2', kind: 'node', state: 'down' },
        { target: 'node3', kind: 'node', state: 'up' },
      ],
      inventory,
    ),
  }
}

function run(source: string, values: Awaited<ReturnType<typeof vars>>) {
  const compiled = compileCel(source)
  if ('problem' in compiled) throw new Error(compiled.problem.message)
  return compiled.program.run(values)
}

const list10 = `[${Array.from({ length: 10 }, (_, i) => i).join(',')}]`

describe('CEL sandbox', () => {
  it('sees the event, the inventory with its relations, and health', async () => {
    const v = await vars()
    expect(run('health.nodes[event.subject] == "down" && health.quorate', v)).toBe(true)
    expect(run('inventory.nodes[event.subject].real_servers.map(r, r.service)', v)).toEqual([
      'web',
      'db',
    ])
    expect(run('inventory.nodes[event.subject].guests', v)).toEqual(['guest1'])
    expect(run('inventory.services["db"].shared_storage', v)).toBe(true)
    expect(run('event.payload.weight + 1', v)).toBe(6n)
    expect(run('health.owners["db"]', v)).toBe('node2')
  })

  it('takes quorum from the membership probe (target cluster) before counting nodes', async () => {
    const { inventory } = await demo()
    const up = ['node1', 'node2', 'node3'].map((n) => ({ target: n, kind: 'node', state: 'up' }))
    expect(healthView(up, inventory).quorate).toBe(true)
    expect(
      healthView([...up, { target: 'cluster', kind: 'cluster', state: 'down' }], inventory).quorate,
    ).toBe(false)
    expect(
      healthView([{ target: 'cluster', kind: 'cluster', state: 'up' }], inventory).quorate,
    ).toBe(true)
    expect(healthView([], inventory).quorate).toBe(false)
  })

  it('type-checks at compile time: a typo in a field is an error, not a false', () => {
    const compiled = compileCel('inventory.nodes["node2"].gusts')
    expect(compiled).toEqual({ problem: { message: 'No such key: gusts', start: 25, end: 30 } })
  })

  it('stops an expression that would loop for ever (nested comprehensions) with a clear error', async () => {
    const v = await vars()
    const nested = `${list10}.map(a, ${list10}.map(b, ${list10}.map(c, ${list10}.map(d, ${list10}.map(e, a + b + c + d + e))))).size()`
    const started = performance.now()
    expect(() => run(nested, v)).toThrow(CelRunError)
    expect(() => run(nested, v)).toThrow(
      `evaluation stopped: more than ${CEL_LIMITS.maxSteps} steps (CEL cost limit)`,
    )
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('stops an expression that would explode in size (doubling strings)', async () => {
    const v = await vars()
    let expr = '"xxxxxxxxxxxxxxxx"'
    for (const name of 'abcdefghijkl') expr = `cel.bind(${name}, ${expr}, ${name} + ${name})`
    expect(() => run(expr, v)).toThrow(/a string longer than 16384 characters \(CEL size limit\)/)
  })

  it('refuses regular expressions that could backtrack for ever, and patterns from data', () => {
    expect(compileCel('event.subject.matches("^(a+)+$")')).toMatchObject({
      problem: { message: expect.stringMatching(/catastrophic backtracking/) },
    })
    expect(compileCel('event.subject.matches(event.labels.node)')).toMatchObject({
      problem: { message: expect.stringMatching(/needs a literal pattern/) },
    })
    expect(compileCel('event.subject.matches("^node[0-9]+$")')).toHaveProperty('program')
  })

  it('limits length and nesting at parse time', () => {
    expect(compileCel(`${'1 + '.repeat(600)}1`)).toMatchObject({
      problem: { message: expect.stringMatching(/longer than 2000 characters/) },
    })
    expect(compileCel(`${'('.repeat(40)}1${')'.repeat(40)}`)).toMatchObject({
      problem: { message: expect.stringMatching(/depth|nest/i) },
    })
  })

  it('reports a missing key at run time as a CelRunError', async () => {
    const v = await vars()
    expect(() => run('event.labels.missing == "x"', v)).toThrow(CelRunError)
    expect(() => run('event.labels.missing == "x"', v)).toThrow('No such key: missing')
  })
})
