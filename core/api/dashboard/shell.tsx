// The page at `/`: a shell with no cluster data; the client script fetches panels with the bearer token.
/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html'
import { CLIENT_SCRIPT } from './client-script.ts'
import { EDITOR_SCRIPT } from './editor-script.ts'
import { STYLE } from './style.ts'

/**
 * Content-Security-Policy for the dashboard: only this origin, only our nonce'd inline style
 * and script, no framing.
 */
export function dashboardCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

const ICON =
  "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><circle cx='8' cy='8' r='6' fill='%234fb477'/></svg>"

export function Shell({ nonce }: { nonce: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>tandem</title>
        {/* An icon of its own: without one, every load asks for /favicon.ico and logs a 404. */}
        <link rel="icon" href={ICON} />
        <style nonce={nonce}>{raw(STYLE)}</style>
      </head>
      <body>
        <header class="top">
          <h1>tandem</h1>
          <span class="cluster" id="cluster" />
          <span class="muted" id="who" />
          <span class="spacer" />
          <span class="muted" id="updated" />
          <span class="live" id="live">
            <span class="dot" />
            <span id="live-text">connecting…</span>
          </span>
          {/* Admin tokens only (the editor's routes answer 403 to the others anyway). */}
          <button type="button" class="admin-only" data-editor-act="open">
            Edit site
          </button>
          <button type="button" data-act="logout">
            Sign out
          </button>
        </header>
        <div class="login" id="login" hidden>
          <h2>Sign in</h2>
          <p class="muted">
            Paste an API token (<code>tandem token create --name you --scope read,operate</code>).
            It is kept in this tab only and sent as a bearer header.
          </p>
          <form id="login-form">
            <input id="token" type="password" autocomplete="off" placeholder="tdm_…" />
            <button type="submit">Open dashboard</button>
          </form>
          <p class="error" id="login-error" />
        </div>
        <main id="app" hidden>
          <div id="editor-slot" class="admin-only" hidden />
          <div id="panels" />
        </main>
        <script nonce={nonce}>{raw(CLIENT_SCRIPT)}</script>
        <script nonce={nonce}>{raw(EDITOR_SCRIPT)}</script>
      </body>
    </html>
  )
}
