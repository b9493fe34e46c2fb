// The committed JSON Schema for editors must match the zod schema it is generated from.
import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'
import { configJsonSchema } from './json-schema.ts'

it('schema/tandem.schema.json is up to date (run `npm run schema` after changing the config schema)', async () => {
  const committed = await readFile(
    new URL('../../schema/tandem.schema.json', import.meta.url),
    'utf8',
  )
  expect(committed).toBe(configJsonSchema())
})
