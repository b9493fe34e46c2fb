// Writes schema/webhook-payload.schema.json from the payload's zod schema (`npm run schema`).
import { writeFile } from 'node:fs/promises'
import { payloadJsonSchema } from './payload.ts'

await writeFile(
  new URL('../../schema/webhook-payload.schema.json', import.meta.url),
  payloadJsonSchema(),
)
