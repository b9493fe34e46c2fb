// `tandem … | head`: a reader that goes away ends the command quietly, not with a stack trace.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { expect, it } from 'vitest'

it('ends with exit 0 and says nothing when stdout is closed before it writes', async () => {
  const child = spawn(process.execPath, ['bin/tandem.js', '--help', 'again'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // Closed before the CLI has even loaded, so its first write meets a broken pipe.
  child.stdout.destroy()
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const [code] = await once(child, 'exit')
  expect(stderr).toBe('')
  expect(code).toBe(0)
})
