import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { policyJsonSchema } from './json-schema.ts'

describe('policy JSON Schema', () => {
  it('is current with the zod schema (run `npm run schema` after changing it)', async () => {
    const committed = await readFile(
      new URL('../../schema/policy.schema.json', import.meta.url),
      'utf8',
    )
    expect(committed).toBe(policyJsonSchema())
  })

  it('describes the keys an editor completes', () => {
    const schema = JSON.parse(policyJsonSchema())
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['on', 'if', 'for', 'steps', 'guards', 'notify']),
    )
    expect(schema.additionalProperties).toBe(false)
  })
})
