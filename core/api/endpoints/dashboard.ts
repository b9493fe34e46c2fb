// Dashboard routes: the public shell at `/`, and the HTML panels the client script fetches with its token.
import { randomBytes } from 'node:crypto'
import type { Context } from 'hono'
import { createElement } from 'hono/jsx'
import { z } from 'zod'
import { openConfig } from '../../editor/index.ts'
import { editorModel } from '../dashboard/editor-model.ts'
import { EditorPanel } from '../dashboard/editor-panel.tsx'
import { IncidentView } from '../dashboard/incident-view.tsx'
import { panelData } from '../dashboard/panel-data.ts'
import { Panels } from '../dashboard/panels.tsx'
import { dashboardCsp, Shell } from '../dashboard/shell.tsx'
import { HttpError } from '../http-error.ts'
import { endpoint } from '../route.ts'
import { incidentDetail } from '../views/incident-detail.ts'

export const dashboardShell = endpoint({
  summary: 'The dashboard page (holds no data; sign in with a token)',
  tag: 'dashboard',
  produces: 'text/html',
  handler: ({ c }) => shellPage(c),
})

/** The shell again at a notice's incident link; the client opens that incident once signed in. */
export const dashboardIncidentLink = endpoint({
  summary: "The dashboard page opened on one incident (notices' incident links)",
  tag: 'dashboard',
  params: z.object({ id: z.string().min(1).max(200) }),
  produces: 'text/html',
  handler: ({ c }) => shellPage(c),
})

export const dashboardPanels = endpoint({
  summary: 'Dashboard panels as an HTML fragment',
  tag: 'dashboard',
  produces: 'text/html',
  handler: async ({ c, api }) =>
    c.html(String(createElement(Panels, { data: await panelData(api) }))),
})

export const dashboardIncident = endpoint({
  summary: 'One incident timeline as an HTML fragment',
  tag: 'dashboard',
  params: z.object({ id: z.string().min(1).max(200) }),
  produces: 'text/html',
  handler: async ({ c, api, params }) => {
    const now = api.now()
    const detail = await incidentDetail(api.store, params.id, now)
    if (!detail) throw new HttpError(404, 'NOT_FOUND', `[api] no incident ${params.id}`)
    return c.html(String(createElement(IncidentView, { detail, now })))
  },
})

function shellPage(c: Context) {
  const nonce = randomBytes(16).toString('base64')
  c.header('Content-Security-Policy', dashboardCsp(nonce))
  c.header('X-Frame-Options', 'DENY')
  return c.html(`<!doctype html>${createElement(Shell, { nonce })}`)
}

export const dashboardEditor = endpoint({
  summary: 'The site editor (admin) as an HTML fragment: forms, raw YAML view, preview area',
  tag: 'dashboard',
  produces: 'text/html',
  handler: async ({ c, api }) => {
    if (!api.configFile)
      throw new HttpError(
        404,
        'NOT_FOUND',
        '[editor] this server was started without a config file',
      )
    const model = editorModel(await openConfig(api.configFile))
    return c.html(String(createElement(EditorPanel, { model })))
  },
})
