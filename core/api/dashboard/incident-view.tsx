// One incident's timeline for the dashboard: evidence → policy → steps with commands → notices.
/** @jsxImportSource hono/jsx */
import type { IncidentDetail } from '../views/incident-detail.ts'
import { Ago, Badge, Commands, isoTime } from './bits.tsx'
import { IncidentPicture } from './incident-picture.tsx'

export function IncidentView({ detail, now }: { detail: IncidentDetail; now: number }) {
  const { incident } = detail
  return (
    <section class="panel drawer" id="incident" data-incident-open={incident.id}>
      <h2>
        Incident · {incident.title} <Badge state={incident.status} />{' '}
        <button type="button" class="link" data-act="close-incident">
          close
        </button>
      </h2>
      <p class="muted">
        opened <Ago at={incident.openedAt} now={now} />
        {incident.closedAt ? (
          <>
            {' '}
            · resolved <Ago at={incident.closedAt} now={now} />
          </>
        ) : null}{' '}
        · key <code>{incident.key}</code>
      </p>
      <IncidentPicture detail={detail} now={now} />
      {detail.timeline.length === 0 ? <p class="empty">Nothing recorded yet.</p> : null}
      <ol class="timeline">
        {detail.timeline.map((t) => (
          <li class={`k-${t.kind}`}>
            <span class="when">{isoTime(t.at)?.slice(11, 19) ?? '—'}</span>
            <span class="kind">{t.kind}</span>
            <strong>{t.title}</strong>{' '}
            {t.status ? (
              <Badge state={t.status === 'unknown' ? 'unknown-step' : t.status} label={t.status} />
            ) : null}
            {t.detail ? <div class="muted">{t.detail}</div> : null}
            <Commands commands={t.commands} />
          </li>
        ))}
      </ol>
    </section>
  )
}
