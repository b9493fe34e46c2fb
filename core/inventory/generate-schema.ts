// Writes schema/tandem.schema.json from the zod config schema, for editors (`npm run schema`).
import { writeFile } from 'node:fs/promises'
import { configJsonSchema } from './json-schema.ts'

await writeFile(new URL('../../schema/tandem.schema.json', import.meta.url), configJsonSchema())
