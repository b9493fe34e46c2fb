// The shipped policies/ with only their `for:` windows and fence back-offs cut to QUICK's, for a demo-timed lab site.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { QUICK } from '../e2e/demo-lab.ts'

/** The storage checks' names in tandem.yaml: a site without storage checks runs no policy on them. */
const STORAGE_CHECKS = ['exports', 'gfs']

/**
 * policies/ as `startDemoLab`'s `policyFiles`: every file as shipped except the durations a
 * scenario would otherwise wait out (node-down-failover's `for: 20s` and `backoff: 10s`, the
 * `for: 30s` of guest-down-restart and service-stopped-start), which become QUICK's. The probes
 * keep the shipped 2 s intervals (`timing: 'demo'`), unlike `timing: 'quick'`, whose 1 s probes
 * double the lab's load. Without `storage`, the policies triggered by a storage check are left
 * out, as the harness does when it removes those checks.
 *
 * @example
 * startDemoLab({ net: 52, smtpPort: 25352, webhookPort: 28352, policyFiles: shortWaitPolicies() })
 */
export function shortWaitPolicies(options: { storage?: boolean } = {}): Record<string, string> {
  const files: Record<string, string> = {}
  for (const file of readdirSync('policies')) {
    let text = readFileSync(join('policies', file), 'utf8')
    const onStorage = STORAGE_CHECKS.some((check) =>
      new RegExp(`^\\s*check: ${check}\\s*$`, 'm').test(text),
    )
    if (onStorage && !options.storage) continue
    if (file === 'node-down-failover.yaml') {
      text = replaced(text, file, 'for: 20s', `for: ${QUICK.forMs}ms`)
      text = replaced(text, file, 'backoff: 10s', `backoff: ${QUICK.backoffMs}ms`)
    }
    if (file === 'guest-down-restart.yaml' || file === 'service-stopped-start.yaml')
      text = replaced(text, file, 'for: 30s', `for: ${QUICK.forMs}ms`)
    files[file] = text
  }
  return files
}

/** Replaces `from`; a shipped file that no longer says it fails loudly instead of running slow. */
function replaced(text: string, file: string, from: string, to: string): string {
  if (!text.includes(from))
    throw new Error(`[e2e] ${file} no longer says "${from}": update test/helpers/short-waits.ts`)
  return text.replaceAll(from, to)
}
