// The API area's public door: the app factory, tokens, approval links and the route table.
export { createApp } from './app.ts'
export {
  type ApprovalLinkClaims,
  type Decision,
  signApprovalLink,
  signApprovalToken,
  verifyApprovalLink,
} from './approval-links.ts'
export {
  allows,
  authenticate,
  type Caller,
  createApiToken,
  hashToken,
  parseScopes,
  revokeApiToken,
  revokeTokenFamily,
  SCOPES,
  type Scope,
} from './auth.ts'
export type { ApiConfig, AppDeps } from './deps.ts'
export { openApiDocument } from './openapi.ts'
export type { Access, Route } from './route.ts'
export { routeTable } from './routes.ts'
export { verifyStandardWebhook } from './webhook-signature.ts'
