// JSON Schema of a policy file for editors, generated from the zod schema (never written by hand).
import { z } from 'zod'
import { Policy } from './schema.ts'

/** The JSON Schema text committed at `schema/policy.schema.json`. */
export function policyJsonSchema(): string {
  const schema = z.toJSONSchema(Policy, { io: 'input', unrepresentable: 'any' })
  return `${JSON.stringify({ ...schema, title: 'tandem policy (policies/*.yaml)' }, null, 2)}\n`
}
