// The OpenAPI 3.1 document, generated from the route table and the same zod schemas that validate requests.
import { z } from 'zod'
import { ErrorBody } from './http-error.ts'
import type { Route } from './route.ts'

/**
 * Builds the document served at /api/v1/openapi.json. Each operation carries its scope in
 * `x-tandem-scope` and as a bearer security requirement.
 *
 * @example
 * const doc = openApiDocument(routeTable)
 */
export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, '{$1}')
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operation(route)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tandem',
      version: '1',
      description:
        'Status, events, incidents, actions, approvals, silences and ingest of tandem. Authenticate with `Authorization: Bearer <token>` (`tandem token create`). State-changing routes take `application/json` only.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: schema(ErrorBody, 'output') },
    },
    paths,
  }
}

function operation(route: Route): Record<string, unknown> {
  const { endpoint } = route
  const parameters = [
    ...fields(endpoint.params, 'path'),
    ...fields(endpoint.query, 'query'),
    ...(route.path === '/api/v1/actions'
      ? [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' } }]
      : []),
  ]
  const body = endpoint.body ?? endpoint.signedBody
  const status = String(endpoint.status ?? 200)
  const success = endpoint.produces
    ? { description: 'OK', content: { [endpoint.produces]: { schema: { type: 'string' } } } }
    : {
        description: 'OK',
        content: {
          'application/json': {
            schema: endpoint.response ? schema(endpoint.response, 'output') : {},
          },
        },
      }
  const error = {
    description: 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  }
  return {
    summary: endpoint.summary,
    ...(endpoint.description ? { description: endpoint.description } : {}),
    tags: [endpoint.tag],
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string = '') => ch.toUpperCase())}`,
    'x-tandem-scope': route.access,
    security:
      route.access === 'public' || route.access === 'signed' ? [] : [{ bearer: [route.access] }],
    ...(parameters.length ? { parameters } : {}),
    ...(body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schema(body, 'input') } },
          },
        }
      : {}),
    responses: { [status]: success, '4XX': error, '503': error },
  }
}

function fields(object: z.ZodType | undefined, where: 'path' | 'query') {
  if (!object) return []
  const json = schema(object, 'input') as {
    properties?: Record<string, unknown>
    required?: string[]
  }
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }))
}

function schema(type: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >
  return rest
}
