// What a person reads: all sections present, nothing interpolated can break a header or the HTML.
import { describe, expect, it } from 'vitest'
import type { Notice } from '../plugin/index.ts'
import { renderNotice } from './render.ts'

const hostile = 'node2\r\nBcc: evil@attacker.example\r\n\r\n<script>alert(1)</script>'

function notice(overrides: Partial<Notice> = {}): Notice {
  return {
    id: 'ntc_01TEST',
    receiver: 'ops',
    groupKey: 'thread/ops/inc-1',
    status: 'firing',
    severity: 'critical',
    title: `node ${hostile} is down: policy node-down FAILED`,
    summary: 'fencing node2 did not confirm',
    labels: { severity: 'critical', node: hostile },
    events: [
      {
        type: 'node.down',
        subject: hostile,
        at: 0,
        detail: 'ping: 3 of 3 lost\nWhat tandem did\n  1. fake',
      },
    ],
    actions: [
      {
        step: 'fence node2',
        uses: 'fence.fence',
        status: 'failed',
        detail: 'agent said: Failed: Unable to obtain correct plug status',
      },
    ],
    refused: [
      {
        what: 'rgmanager.relocate db',
        guard: 'fence-before-recover',
        reason: 'node2 not confirmed off',
      },
    ],
    links: [
      { label: 'incident', url: 'https://tandem.example/incidents/inc-1' },
      { label: 'bad', url: 'javascript:alert(1)' },
    ],
    outcome: 'failed',
    createdAt: Date.UTC(2025, 0, 1),
    ...overrides,
  }
}

describe('renderNotice', () => {
  it('makes the subject one line that no CR/LF can break', () => {
    const { subject } = renderNotice(notice())
    expect(subject).toMatch(/^\[tandem\] FAILED: node node2 Bcc: evil@attacker\.example <script>/)
    expect(subject).not.toMatch(/[\r\n]/)
    expect(subject.length).toBeLessThanOrEqual(200)
  })

  it('tells what happened, what tandem did, what it refused and why, and where to look', () => {
    const { text } = renderNotice(notice())
    expect(text).toContain('What happened')
    expect(text).toContain('What tandem did\n  1. fence node2 (fence.fence): failed - agent said')
    expect(text).toContain(
      'What tandem refused to do, and why\n  - rgmanager.relocate db: fence-before-recover - node2 not confirmed off',
    )
    expect(text).toContain('incident: https://tandem.example/incidents/inc-1')
  })

  it('indents line breaks inside a value so it cannot fake a section', () => {
    const { text } = renderNotice(notice())
    expect(text.match(/^What tandem did$/gm)).toHaveLength(1)
    expect(text).not.toContain('\r')
  })

  it('escapes every value in HTML and links only http(s) URLs', () => {
    const { html } = renderNotice(notice())
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;')
    expect(html).toContain('href="https://tandem.example/incidents/inc-1"')
    expect(html).not.toContain('javascript:')
  })

  it('says RESOLVED once the problem cleared', () => {
    expect(
      renderNotice(
        notice({ status: 'resolved', outcome: 'succeeded', title: 'node node2 is down' }),
      ).subject,
    ).toBe('[tandem] RESOLVED: node node2 is down')
  })
})
