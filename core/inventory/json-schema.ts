// JSON Schema of the config for editors, generated from the zod schema (never written by hand).
import { z } from 'zod'
import { Config } from './schema.ts'

/** The JSON Schema text committed at `schema/tandem.schema.json`. */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(Config, { io: 'input', unrepresentable: 'any' })
  return `${JSON.stringify({ ...schema, title: 'tandem configuration (tandem.yaml)' }, null, 2)}\n`
}
