// The lease-backed cron coordinator: each scheduled fire runs on exactly one instance.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { openStore } from '../store/index.ts'
import { createLeaseCoordinator } from './run-coordinator.ts'

// Two handles stand for two instances. They ask in turn: handles in one process must not overlap
// transactions (libSQL blocks the thread on a busy lock); across processes, see test/scale/*.
it('elects exactly one instance per cron fire', async () => {
  const url = `file:${join(await mkdtemp(join(tmpdir(), 'tandem-cron-')), 't.db')}`
  const [a, b] = [await openStore(url), await openStore(url)]
  const coordinators = [createLeaseCoordinator(a.db, 'A'), createLeaseCoordinator(b.db, 'B')]
  for (let fire = 0; fire < 20; fire++) {
    const key = `housekeeping:2026-11-25T14:${String(fire).padStart(2, '0')}:00.000Z`
    const votes: boolean[] = []
    for (const c of fire % 2 ? coordinators : [...coordinators].reverse())
      votes.push(await c.shouldRun(key, 60_000))
    expect(votes.filter(Boolean)).toHaveLength(1)
  }
  a.close()
  b.close()
})
