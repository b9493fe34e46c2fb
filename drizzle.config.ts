// drizzle-kit settings: `npm run db:generate` writes migrations from core/store/schema.ts.
import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: './core/store/schema.ts',
  out: './core/store/migrations',
})
