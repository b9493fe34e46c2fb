#!/usr/bin/env node
// Entry point of the `tandem` command: loads the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../core/cli/index.ts')
process.exitCode = await main(process.argv.slice(2))
