// What needs a person: pending approvals, incidents, silences, policy errors, and the recent event feed.
/** @jsxImportSource hono/jsx */
import { Ago, Badge, Commands } from './bits.tsx'
import type { PanelData } from './panel-data.ts'

export function Approvals({ data }: { data: PanelData }) {
  return (
    <section class="panel" id="approvals">
      <h2>Waiting for approval</h2>
      {data.approvals.length === 0 ? <p class="empty">No step is waiting for a person.</p> : null}
      {data.approvals.map((a) => (
        <div class="approval" data-approval={a.id}>
          <div>
            <strong>{a.stepName}</strong> <code>{a.uses}</code>{' '}
            {a.target ? <span class="muted">on {a.target}</span> : null}
          </div>
          <div class="muted">
            policy {a.policy} · asked <Ago at={a.requestedAt} now={data.now} /> · expires{' '}
            <Ago at={a.expiresAt} now={data.now} />
          </div>
          <Commands commands={a.commands} />
          <div class="actions needs-operate">
            <button type="button" class="approve" data-act="ask" data-decision="approve">
              Approve…
            </button>
            <button type="button" class="deny" data-act="ask" data-decision="deny">
              Deny…
            </button>
          </div>
          <div class="confirm needs-operate">
            <input name="reason" placeholder="reason (required to deny)" size={40} />
            <button type="button" class="approve" data-act="decide">
              Confirm
            </button>
            <button type="button" data-act="cancel">
              Cancel
            </button>
            <span class="error" data-role="error" />
          </div>
        </div>
      ))}
    </section>
  )
}

export function Incidents({ data }: { data: PanelData }) {
  return (
    <section class="panel" id="incidents">
      <h2>Incidents</h2>
      {data.incidents.length === 0 ? <p class="empty">No incidents yet.</p> : null}
      {data.incidents.length > 0 ? (
        <table>
          <tbody>
            {data.incidents.map((i) => (
              <tr class="incident-row" data-incident={i.id}>
                <td>
                  <Badge state={i.status} />
                </td>
                <td>{i.title}</td>
                <td class="muted">
                  <Ago at={i.openedAt} now={data.now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}

export function Silences({ data }: { data: PanelData }) {
  return (
    <section class="panel" id="silences">
      <h2>Silences and maintenance</h2>
      {data.silences.length === 0 ? <p class="empty">Nothing is silenced.</p> : null}
      {data.silences.length > 0 ? (
        <table>
          <tbody>
            {data.silences.map((s) => (
              <tr data-silence={s.id}>
                <td>
                  <Badge state={s.kind} />
                </td>
                <td class="mono">
                  {s.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ')}
                </td>
                <td>
                  {s.comment} <span class="muted">— {s.createdBy}</span>
                </td>
                <td class="muted">
                  {s.startsAt > data.now ? (
                    <>
                      starts <Ago at={s.startsAt} now={data.now} />
                    </>
                  ) : (
                    <>
                      ends <Ago at={s.endsAt} now={data.now} />
                    </>
                  )}
                </td>
                <td class="needs-operate">
                  <button type="button" data-act="expire" data-id={s.id}>
                    Expire
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}

export function Policies({ data }: { data: PanelData }) {
  const broken = data.policies.filter((p) => p.state !== 'loaded')
  return (
    <section class="panel" id="policies">
      <h2>Policies</h2>
      <p class="muted">
        {data.policies.length === 0
          ? 'No policy file loaded yet.'
          : `${data.policies.length - broken.length} of ${data.policies.length} loaded`}
      </p>
      {broken.map((p) => (
        <div>
          <Badge state={p.state} /> <code>{p.file}</code>
          <pre class="mono error">{p.lastError}</pre>
        </div>
      ))}
    </section>
  )
}

export function RecentEvents({ data }: { data: PanelData }) {
  return (
    <section class="panel" id="events">
      <h2>Recent events</h2>
      {data.events.length === 0 ? <p class="empty">No events yet.</p> : null}
      <table>
        <tbody>
          {data.events.map((e) => (
            <tr data-event={e.id}>
              <td class="muted">
                <Ago at={e.at} now={data.now} />
              </td>
              <td>
                <Badge state={severityState(e.labels.severity)} label={e.type} />
              </td>
              <td>{e.subject}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function severityState(severity: string | undefined): string {
  return severity === 'critical' ? 'down' : severity === 'warning' ? 'degraded' : 'unknown'
}
