// The route table: every route of the app with its method, path and the scope it needs, in one place.
import { z } from 'zod'
import { requestAction } from './endpoints/actions.ts'
import {
  approvalLinkPage,
  approve,
  deny,
  listApprovals,
  useApprovalLink,
} from './endpoints/approvals.ts'
import { getConfig, previewConfig, saveConfigRoute } from './endpoints/config.ts'
import { lvsConnections } from './endpoints/connections.ts'
import {
  dashboardEditor,
  dashboardIncident,
  dashboardIncidentLink,
  dashboardPanels,
  dashboardShell,
} from './endpoints/dashboard.ts'
import { listEvents } from './endpoints/events.ts'
import { getIncident, listIncidents } from './endpoints/incidents.ts'
import { ingestAlertmanager } from './endpoints/ingest-alertmanager.ts'
import { ingestWebhook } from './endpoints/ingest-webhook.ts'
import { healthz, metrics, readyz } from './endpoints/meta.ts'
import { listPolicies } from './endpoints/policies.ts'
import { createSilence, expireSilence, listSilences } from './endpoints/silences.ts'
import { getStatus, getTarget, listTargets, whoami } from './endpoints/status.ts'
import { liveStream } from './endpoints/stream.ts'
import { openApiDocument } from './openapi.ts'
import { endpoint, type Route, route } from './route.ts'

let document: Record<string, unknown> | undefined

const openapi = endpoint({
  summary: 'This OpenAPI document (generated from the route table)',
  tag: 'meta',
  response: z.record(z.string(), z.unknown()),
  handler: ({ c }) => {
    document ??= openApiDocument(routeTable)
    return c.json(document)
  },
})

/**
 * Scopes: `public` (no token), `signed` (the request carries its own signature: approval
 * links, Standard Webhooks), or a token scope. Actions and approvals of fencing or migration
 * steps additionally need `fence` (checked in the handler, which knows the action).
 */
export const routeTable: readonly Route[] = [
  route('GET', '/healthz', 'public', healthz),
  route('GET', '/readyz', 'public', readyz),
  route('GET', '/api/v1/openapi.json', 'public', openapi),
  route('GET', '/metrics', 'read', metrics),
  route('GET', '/api/v1/whoami', 'read', whoami),
  route('GET', '/api/v1/status', 'read', getStatus),
  route('GET', '/api/v1/lvs/connections', 'read', lvsConnections),
  route('GET', '/api/v1/targets', 'read', listTargets),
  route('GET', '/api/v1/targets/:target{.+}', 'read', getTarget),
  route('GET', '/api/v1/events', 'read', listEvents),
  route('GET', '/api/v1/incidents', 'read', listIncidents),
  route('GET', '/api/v1/incidents/:id', 'read', getIncident),
  route('GET', '/api/v1/policies', 'read', listPolicies),
  route('GET', '/api/v1/stream', 'read', liveStream),
  route('POST', '/api/v1/actions', 'operate', requestAction),
  route('GET', '/api/v1/approvals', 'read', listApprovals),
  route('POST', '/api/v1/approvals/:id/approve', 'operate', approve),
  route('POST', '/api/v1/approvals/:id/deny', 'operate', deny),
  route('GET', '/api/v1/silences', 'read', listSilences),
  route('POST', '/api/v1/silences', 'operate', createSilence),
  route('DELETE', '/api/v1/silences/:id', 'operate', expireSilence),
  route('GET', '/api/v1/config', 'admin', getConfig),
  route('POST', '/api/v1/config/preview', 'admin', previewConfig),
  route('POST', '/api/v1/config', 'admin', saveConfigRoute),
  route('POST', '/ingest/alertmanager', 'ingest', ingestAlertmanager),
  route('POST', '/ingest/webhook/:source', 'signed', ingestWebhook),
  route('GET', '/approve/:token', 'signed', approvalLinkPage),
  route('POST', '/approve/:token', 'signed', useApprovalLink),
  route('GET', '/', 'public', dashboardShell),
  route('GET', '/incidents/:id', 'public', dashboardIncidentLink),
  route('GET', '/ui/panels', 'read', dashboardPanels),
  route('GET', '/ui/incidents/:id', 'read', dashboardIncident),
  route('GET', '/ui/editor', 'admin', dashboardEditor),
]
