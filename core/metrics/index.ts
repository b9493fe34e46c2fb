// The metrics area's public door: a tiny Prometheus registry and the shared tandem metric names.
export { type TandemMetrics, tandemMetrics } from './catalog.ts'
export {
  type Counter,
  createMetrics,
  DEFAULT_BUCKETS,
  type Gauge,
  type Histogram,
  type Labels,
  METRICS_CONTENT_TYPE,
  type Metrics,
} from './registry.ts'
