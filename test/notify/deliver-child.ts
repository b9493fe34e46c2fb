// A notifier process for the crash test: delivers from a shared store file until it is killed.
// Config, store and secret come from the environment; prints "ready" once its worker runs.
import { notifyHarness } from './harness.ts'

const h = await notifyHarness({
  yaml: process.env.TANDEM_TEST_YAML ?? '',
  env: { HOOK: process.env.TANDEM_TEST_SECRET ?? '', SMTP_PASS: process.env.SMTP_PASS ?? '' },
  storeUrl: process.env.TANDEM_TEST_STORE,
  clock: { now: Date.now, advance() {} },
  leaseMarginMs: 500,
  logTo: process.stderr,
})
h.notifier.start()
// The worker's timer does not hold the process open (a daemon's HTTP server does): this does.
setInterval(() => {}, 1 << 30)
process.stdout.write('ready\n')
process.on('SIGTERM', () => void h.close().then(() => process.exit(0)))
