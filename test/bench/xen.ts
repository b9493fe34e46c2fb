// `npm run bench:xen`: toolstack output parsing and a lab evacuation (one JSON line).

import xen from '../../plugins/xen/index.ts'
import { parseVirshList, parseXlList } from '../../plugins/xen/parse.ts'
import { updateWorld } from '../lab/world.mjs'
import { xenLab } from '../xen/lab.ts'

const N = 1000
const xl = ['Name                                        ID   Mem VCPUs\tState\tTime(s)']
const virsh = [' Id     Name           State', '-'.repeat(33)]
for (let i = 0; i < N; i++) {
  xl.push(`${`guest${i}`.padEnd(40)} ${String(i + 1).padStart(5)}  1024     1     -b----     12.5`)
  virsh.push(` ${String(i + 1).padEnd(6)} ${`guest${i}`.padEnd(14)} running`)
}
const xlText = `${xl.join('\n')}\n`
const virshText = `${virsh.join('\n')}\n`

function perParse(parse: (text: string) => unknown[], text: string): number {
  const started = performance.now()
  for (let i = 0; i < 50; i++) if (parse(text).length !== N) throw new Error('parse lost rows')
  return Math.round(((performance.now() - started) * 1000) / 50)
}

const guests = Object.fromEntries(
  Array.from({ length: 6 }, (_, i) => [`extra${i}`, { host: 'node1', memory: 256, id: 20 + i }]),
)
const ctx = xenLab('xl', { guests })
updateWorld((w) => void Object.assign(w.xen as object, { migrateMs: 0 }))
const started = performance.now()
const result = await xen.actions!.evacuate!.run({ host: 'node1', concurrency: 4 }, ctx)
const evacuateMs = Math.round(performance.now() - started)
console.log(
  JSON.stringify({
    bench: 'xen',
    parse_xl_list_1000_domains_us: perParse(parseXlList, xlText),
    parse_virsh_list_1000_domains_us: perParse(parseVirshList, virshText),
    evacuate_8_guests_concurrency_4_ms: evacuateMs,
    moved: (result.data as { moved: unknown[] }).moved.length,
  }),
)
