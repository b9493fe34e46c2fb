#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point of the `tandem` command: runs the build in dist/ when it is current, else the
// TypeScript sources through tsx (see bin/source.js). The V8 flag above keeps the young
// generation small: a long-running monitor allocates steadily and keeps little (docs/probe.md).
import { loadModule } from './source.js'

const argv = process.argv.slice(2)
// The demo and the lab load the TypeScript lab from test/, which is never built.
const sources = argv[0] === 'demo' || argv[0] === 'lab'
const { main } = await loadModule('core/cli/index.ts', { sources })
process.exitCode = await main(argv)
