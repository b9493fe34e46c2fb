// The dashboard body: summary, approvals first when any wait, nodes, services and guests, incidents and the rest.
/** @jsxImportSource hono/jsx */
import { Guests, Nodes, Services, Summary } from './cluster-panels.tsx'
import type { PanelData } from './panel-data.ts'
import { Storage } from './storage-panel.tsx'
import { Approvals, Incidents, Policies, RecentEvents, Silences } from './work-panels.tsx'

export function Panels({ data }: { data: PanelData }) {
  const waiting = data.approvals.length > 0
  return (
    <>
      <Summary status={data.status} />
      <div id="incident-slot" />
      {waiting ? <Approvals data={data} /> : null}
      <Nodes status={data.status} />
      <div class="cols">
        <div>
          <Services status={data.status} />
          <Guests status={data.status} />
          <Storage status={data.status} />
        </div>
        <div>
          <Incidents data={data} />
          {waiting ? null : <Approvals data={data} />}
          <Silences data={data} />
          <RecentEvents data={data} />
          <Policies data={data} />
        </div>
      </div>
    </>
  )
}
