// The dashboard's storage panel: each export, the nodes importing it, and their GFS mounts, with state.
/** @jsxImportSource hono/jsx */
import type { ClusterStatus } from '../views/cluster-status.ts'
import { Badge } from './bits.tsx'

type Entry = ClusterStatus['storage'][number]

/** Export → its volumes → each mounter's import and mount, as the storage probes last saw them. */
export function Storage({ status }: { status: ClusterStatus }) {
  const exports = status.storage.filter((s) => s.kind !== 'gfs')
  if (exports.length === 0) return null
  const volumes = status.storage.filter((s) => s.kind === 'gfs')
  return (
    <section class="panel" id="storage">
      <h2>Storage</h2>
      {exports.map((exp) => (
        <ExportBlock
          exp={exp}
          volumes={volumes.filter((v) => v.where.startsWith(`${exp.name} on `))}
        />
      ))}
    </section>
  )
}

function ExportBlock({ exp, volumes }: { exp: Entry; volumes: Entry[] }) {
  const services = strings(exp.live?.services)
  return (
    <div class="service" data-storage={exp.name}>
      <div>
        <strong>{exp.name}</strong> <Badge state={exp.health.state} />{' '}
        <span class="muted">
          {exp.kind} {exp.where}
          {typeof exp.live?.export === 'string' ? ` · ${exp.live.export}` : ''}
          {services.length ? ` · used by ${services.join(', ')}` : ''}
        </span>
      </div>
      {volumes.map((volume) => (
        <VolumeTable volume={volume} />
      ))}
    </div>
  )
}

function VolumeTable({ volume }: { volume: Entry }) {
  const mounts = record(volume.live?.mounts)
  const imports = record(volume.live?.imports)
  const cause = typeof volume.live?.cause === 'string' ? volume.live.cause : undefined
  return (
    <table data-volume={volume.name}>
      <thead>
        <tr>
          <th>
            {volume.name} <Badge state={volume.health.state} />
            {cause ? <span class="muted"> (because {cause} is down)</span> : null}
          </th>
          <th>import</th>
          <th>mount</th>
        </tr>
      </thead>
      <tbody>
        {Object.keys(mounts).length === 0 ? (
          <tr>
            <td class="muted" colspan={3}>
              no mounter has reported yet
            </td>
          </tr>
        ) : (
          Object.keys(mounts)
            .sort()
            .map((node) => (
              <tr data-node={node}>
                <td>{node}</td>
                <td>{imports[node] ?? '?'}</td>
                <td>
                  <Badge state={mountBadge(mounts[node] ?? '')} label={mounts[node]} />
                </td>
              </tr>
            ))
        )}
      </tbody>
    </table>
  )
}

/** The badge colour of a mount state: healthy, a problem of this node, or cannot tell. */
function mountBadge(state: string): string {
  if (state === 'mounted') return 'up'
  if (state === 'unreachable') return 'unreachable'
  return state === 'readonly' ? 'degraded' : 'down'
}

function record(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {}
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(([, v]) => typeof v === 'string'),
  ) as Record<string, string>
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}
