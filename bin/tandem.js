#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --optimize-for-size
// Entry point of the `tandem` command: runs the build in dist/ when it is current, else the
// TypeScript sources through tsx (see bin/source.js). The #! line sizes memory for a daemon
// that allocates steadily and keeps little: a small young generation, a heap grown sparingly,
// two malloc arenas (docs/probe.md: about −90 MB RSS at 10,000 checks for ~10 µs more CPU per
// check).
import { loadModule } from './source.js'

const argv = process.argv.slice(2)
// The demo and the lab load the TypeScript lab from test/, which is never built.
const sources = argv[0] === 'demo' || argv[0] === 'lab'
const { main } = await loadModule('core/cli/index.ts', { sources })
process.exitCode = await main(argv)
