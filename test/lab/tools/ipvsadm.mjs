// @ts-check
// Lab ipvsadm: the real tool's (1.31) output, messages and exit codes against a simulated IPVS
// table kept in the lab world file ($TANDEM_LAB_WORLD, section `ipvs`). See test/lab/ipvsadm/.
import { readFileSync } from 'node:fs'
import { runIpvsadm } from '../ipvsadm/run.mjs'

const { code, stdout, stderr } = runIpvsadm(process.argv.slice(2), {
  stdin: () => readFileSync(0, 'utf8'),
})
process.stdout.write(stdout)
process.stderr.write(stderr)
process.exitCode = code
