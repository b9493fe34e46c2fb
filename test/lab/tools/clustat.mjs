// @ts-check
// Lab clustat: the cluster status utility of rgmanager 3.0.12, reading the lab world.
//
// Output formats, option handling and exit codes follow rgmanager/src/utils/clustat.c of the
// Red Hat cluster 3.0.12 sources (non-tty: 80 columns, full `service:` names): xml_* and txt_*
// printers, "Service states unavailable: ..." when rgmanager refuses (inquorate), perror() when
// cman is unreachable. `-i` prints one report instead of refreshing forever.
import { getopt } from '../getopt.mjs'
import {
  clusterView,
  ctime,
  qualify,
  RELEASE_VERSION,
  RG_MESSAGES,
  STATE_CODES,
  settle,
} from '../rgmanager.mjs'
import { readWorld, updateWorld } from '../world.mjs'

/** @typedef {import('../rgmanager.mjs').ClusterView} ClusterView */
/** @typedef {import('../rgmanager.mjs').RgService} RgService */
/** @typedef {import('../rgmanager.mjs').ViewNode & { rgmanager: boolean }} Member */

const prog = process.argv[1] ?? 'clustat'
process.exitCode = main()

function main() {
  const { opts } = getopt(process.argv.slice(2), 'fIls:m:i:xvQh?', prog)
  let runtype = ''
  let xml = false
  let verbose = false
  let refresh = false
  /** @type {string | undefined} */ let member
  /** @type {string | undefined} */ let service
  for (const { opt, arg = '' } of opts) {
    if (opt === 'v' || opt === 'I' || opt === 'Q') runtype = opt
    else if (opt === 'i') refresh = true
    else if (opt === 'l') verbose = true
    else if (opt === 'm') member = arg
    else if (opt === 's') service = qualify(arg)
    else if (opt === 'x') {
      if (refresh) {
        out("Error: Options '-i' and '-x' are mutually exclusive\n")
        return 1
      }
      xml = true
    } else if (opt === 'h' || opt === '?') {
      out(usage())
      return 0
    }
  }
  let view = clusterView(readWorld())
  if (!view.localUp && runtype !== 'v') {
    process.stderr.write('Could not connect to CMAN: Connection refused\n')
    return 1
  }
  if (runtype === 'Q') return view.quorate ? 0 : 1
  if (runtype === 'v') return out(`clustat version ${RELEASE_VERSION}\n`)
  if (runtype === 'I') {
    const me = view.nodes.find((n) => n.local)
    return out(`0x${hex(me?.nodeid ?? 0)}\n`)
  }
  if (settle(structuredClone(view))) view = updateWorld((world) => settledView(world))
  const services = member === undefined ? serviceStates(view) : null
  const members = view.nodes.map((n) => ({ ...n, rgmanager: services !== null && n.online }))
  const report = { view, members, services, member, service, verbose }
  return xml ? xmlStatus(report) : textStatus(report)
}

/** @param {import('../world.mjs').World} world */
function settledView(world) {
  const view = clusterView(world)
  settle(view)
  return view
}

/**
 * rg_state_list(): the daemon's service list sorted by name, or null (after saying why) when
 * rgmanager refuses because there is no quorum; an empty list is null too, as in clustat.c.
 * @param {ClusterView} view
 */
function serviceStates(view) {
  if (!view.quorate) {
    out(`Service states unavailable: ${RG_MESSAGES[-9]}\n`)
    return null
  }
  const entries = Object.entries(view.section.services).sort(([a], [b]) => (a < b ? -1 : 1))
  return entries.length ? entries : null
}

/**
 * @typedef {{ view: ClusterView, members: Member[], services: [string, RgService][] | null,
 *   member?: string, service?: string, verbose: boolean }} Report
 */

/** xml_cluster_status() @param {Report} r */
function xmlStatus(r) {
  let ret1 = 0
  let ret2 = -1
  out('<?xml version="1.0"?>\n<clustat version="4.1.1">\n')
  if (!r.service && !r.member) {
    const c = r.view.section.cluster
    out(`  <cluster name="${c.name}" id="${c.id}" generation="${c.generation}"/>\n`)
    const groupmember = r.members.some((m) => m.local && m.rgmanager)
    out(r.view.quorate ? '  <quorum quorate="1"' : '  <quorum quorate="0"\n')
    out(groupmember ? ' groupmember="1"/>\n' : ' groupmember="0"/>\n')
  }
  if (!r.service || r.member) {
    out('  <nodes>\n')
    for (const m of r.members) {
      if (r.member && m.name !== r.member) continue
      out(
        `    <node name="${m.name}" state="${+m.online}" local="${+m.local}" estranged="0" ` +
          `rgmanager="${+m.rgmanager}" rgmanager_master="0" qdisk="0" nodeid="0x${hex(m.nodeid)}"/>\n`,
      )
      if (r.member) ret1 = m.online ? 0 : 1
    }
    out('  </nodes>\n')
  }
  if (r.services && (!r.member || r.service)) {
    ret2 = 0
    out('  <groups>\n')
    for (const [name, svc] of r.services) {
      if (r.service && name !== r.service) continue
      out(xmlGroup(name, svc))
      if (r.service && !running(svc)) ret2 = STATE_CODES[svc.state]
    }
    out('  </groups>\n')
  }
  out('</clustat>\n')
  if (r.member && ret1) return ret1
  if (r.service && ret2) return ret2 & 0xff
  return 0
}

/** xml_rg_state() @param {string} name @param {RgService} svc */
function xmlGroup(name, svc) {
  return (
    `    <group name="${name}" state="${STATE_CODES[svc.state]}" state_str="${svc.state}"` +
    ` flags="${flagBits(svc)}" flags_str="${svc.flags.join(' ')}"` +
    ` owner="${svc.owner ?? 'none'}" last_owner="${svc.last_owner ?? 'none'}" restarts="${svc.restarts}"` +
    ` last_transition="${svc.last_transition}" last_transition_str="${ctime(svc.last_transition)}"/>\n`
  )
}

/** txt_cluster_status() @param {Report} r */
function textStatus(r) {
  let ret1 = 0
  let ret2 = 0
  if (!r.service && !r.member) {
    out(`Cluster Status for ${r.view.section.cluster.name} @ ${ctime(Date.now() / 1000)}\n`)
    out(`Member Status: ${r.view.quorate ? 'Quorate' : 'Inquorate'}\n\n`)
  }
  if (!r.service || r.member) ret1 = textMembers(r)
  if (r.services && (!r.member || r.service)) ret2 = textServices(r, r.services)
  if (r.member && ret1) return ret1 & 0xff
  if (r.service && ret2) return ret2 & 0xff
  return 0
}

/** txt_member_states(): 80 columns → names in 40. @param {Report} r */
function textMembers(r) {
  const header = ` ${pad('Member Name', 40)}${pad('ID', 4)} Status\n ${pad('------ ----', 40)}---- ------\n`
  if (!r.member) out(header)
  for (const m of r.members) {
    if (r.member && m.name !== r.member) continue
    if (r.member) out(header)
    const flags = [m.online ? 'Online' : 'Offline']
    if (m.local) flags.push('Local')
    if (m.rgmanager) flags.push('rgmanager')
    out(` ${pad(m.name, 40)} ${String(m.nodeid).padStart(4)} ${flags.join(', ')}\n`)
    if (r.member) return m.online ? 0 : 1
  }
  if (r.member) return -1
  out('\n')
  return 0
}

/** txt_rg_states(): (80 - 20) / 2 = 30 columns for names and owners, 14 for the state. @param {Report} r @param {[string, RgService][]} services */
function textServices(r, services) {
  const header = ` ${pad('Service Name', 30)} ${pad('Owner (Last)', 30)} ${pad('State', 14)}\n ${pad('------- ----', 30)} ${pad('----- ------', 30)} ${pad('-----', 14)}\n`
  let ret = r.service ? -1 : 0
  if (r.verbose) out('Service Information\n------- -----------\n\n')
  else if (!r.service) out(header)
  for (const [name, svc] of services) {
    if (r.service && name !== r.service) continue
    if (r.service && !r.verbose) out(header)
    out(r.verbose ? textServiceLong(name, svc) : textServiceLine(name, svc))
    if (r.service) ret = running(svc) ? 0 : STATE_CODES[svc.state]
  }
  return ret
}

/** _txt_rg_state() @param {string} name @param {RgService} svc */
function textServiceLine(name, svc) {
  const parked = ['stopped', 'disabled', 'recoverable', 'failed'].includes(svc.state)
  const owner = parked ? `(${(svc.last_owner ?? 'none').slice(0, 28)})` : (svc.owner ?? 'none')
  const short = svc.flags.map((f) => (f === 'frozen' ? 'Z' : 'P')).join('')
  const state = short ? `${pad(svc.state, 14 - (2 + short.length))}[${short}]` : svc.state
  return ` ${pad(name, 30)} ${pad(owner, 30)} ${pad(state, 14)}\n`
}

/** _txt_rg_state_v() @param {string} name @param {RgService} svc */
function textServiceLong(name, svc) {
  const bits = flagBits(svc)
  return (
    `Service Name      : ${name}\n` +
    `  Current State   : ${svc.state} (${STATE_CODES[svc.state]})\n` +
    `  Flags           : ${bits ? svc.flags.join(', ') : 'none'} (${bits})\n` +
    `  Owner           : ${svc.owner ?? 'none'}\n` +
    `  Last Owner      : ${svc.last_owner ?? 'none'}\n` +
    `  Last Transition : ${ctime(svc.last_transition)}\n\n`
  )
}

/** @param {RgService} svc */
function running(svc) {
  return ['starting', 'started', 'stopping'].includes(svc.state)
}

/** @param {RgService} svc */
function flagBits(svc) {
  return (svc.flags.includes('frozen') ? 1 : 0) | (svc.flags.includes('partial') ? 2 : 0)
}

/** printf's %-N.Ns @param {string} text @param {number} width */
function pad(text, width) {
  return text.slice(0, width).padEnd(width)
}

/** @param {number} n */
function hex(n) {
  return (n >>> 0).toString(16).padStart(8, '0')
}

/** @param {string} text */
function out(text) {
  process.stdout.write(text)
  return 0
}

function usage() {
  const base = prog.split('/').pop()
  return `usage: ${base} <options>
    -i <interval>      Refresh every <interval> seconds.  May not be used
                       with -x.
    -I                 Display local node ID and exit
    -m <member>        Display status of <member> and exit
    -s <service>       Display status of <service> and exit
    -v                 Display version and exit
    -x                 Dump information as XML
    -Q                 Return 0 if quorate, 1 if not (no output)
    -f                 Enable fast clustat reports
    -l                 Use long format for services

`
}
