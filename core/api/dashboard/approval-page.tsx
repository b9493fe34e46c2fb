// The page a signed approval link opens: what would run, and one button that posts the decision.
/** @jsxImportSource hono/jsx */
import { randomBytes } from 'node:crypto'
import { raw } from 'hono/html'
import type { approvals, runs, steps } from '../../store/index.ts'
import type { ApprovalLinkClaims } from '../approval-links.ts'
import type { Command } from '../views/incident-detail.ts'
import { Badge, Commands } from './bits.tsx'
import { dashboardCsp } from './shell.tsx'
import { STYLE } from './style.ts'

export interface ApprovalPageInput {
  claims: ApprovalLinkClaims
  approval: typeof approvals.$inferSelect
  step: typeof steps.$inferSelect
  run: typeof runs.$inferSelect
  commands: Command[]
}

const SCRIPT = `
document.getElementById('decide').addEventListener('click', async () => {
  const reason = document.getElementById('reason').value.trim()
  const res = await fetch(location.pathname, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(reason ? { reason } : {}) })
  const out = document.getElementById('outcome')
  if (res.ok) { out.className = ''; out.textContent = 'Done: the step is ' + (await res.json()).status + '. You can close this page.'; document.getElementById('decide').disabled = true }
  else { out.className = 'error'; try { out.textContent = (await res.json()).error.message } catch { out.textContent = 'HTTP ' + res.status } }
})`

/** Renders the confirmation page; returns the HTML and the CSP header that goes with it. */
export function approvalPage(input: ApprovalPageInput): { html: string; csp: string } {
  const nonce = randomBytes(16).toString('base64')
  const { claims, approval, step, run } = input
  const verb = claims.decision === 'approve' ? 'Approve' : 'Deny'
  const page = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{verb} · tandem</title>
        <style nonce={nonce}>{raw(STYLE)}</style>
      </head>
      <body>
        <main>
          <section class="panel">
            <h2>{verb} this step?</h2>
            <p>
              <strong>{step.name}</strong> <code>{step.uses}</code>{' '}
              {step.target ? `on ${step.target}` : ''} — policy {run.policy}{' '}
              <Badge state={approval.status} />
            </p>
            <Commands commands={input.commands} />
            {approval.status === 'pending' ? (
              <p>
                <input
                  id="reason"
                  placeholder={claims.decision === 'deny' ? 'why (required)' : 'reason (optional)'}
                  size={50}
                />{' '}
                <button
                  type="button"
                  id="decide"
                  class={claims.decision === 'approve' ? 'approve' : 'deny'}
                >
                  {verb}
                </button>
              </p>
            ) : (
              <p class="muted">
                This approval was already {approval.status}; the link cannot be used again.
              </p>
            )}
            <p id="outcome" />
          </section>
        </main>
        <script nonce={nonce}>{raw(SCRIPT)}</script>
      </body>
    </html>
  )
  return { html: `<!doctype html>${page}`, csp: dashboardCsp(nonce) }
}
