// Writes schema/policy.schema.json from the zod policy schema, for editors (`npm run schema`).
import { writeFile } from 'node:fs/promises'
import { policyJsonSchema } from './json-schema.ts'

await writeFile(new URL('../../schema/policy.schema.json', import.meta.url), policyJsonSchema())
