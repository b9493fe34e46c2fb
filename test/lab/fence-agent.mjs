// @ts-check
// What lab fence agents share with fence-agents' fencing.py: stdin options, stderr logging, metadata.

/**
 * One agent parameter as fencing.py declares it.
 * @typedef {{ name: string, getopt: string, type: string, default?: string, required?: boolean,
 *   deprecated?: boolean, obsoletes?: string, flag?: boolean, shortdesc: string }} AgentParam
 */

/** fencing.py's fail() messages (exit status is always 1: EC_GENERIC_ERROR). */
export const FAIL = {
  LOGIN_DENIED: 'Unable to connect/login to fencing device',
  WAITING_ON: 'Failed: Timed out waiting to power ON',
  WAITING_OFF: 'Failed: Timed out waiting to power OFF',
  STATUS: 'Failed: Unable to obtain correct plug status or plug is not available',
  TIMED_OUT: 'Connection timed out',
}

/**
 * Python logging as fencing.py sets it up. A warning logged while stdin is parsed (before
 * logging is configured) makes Python install its default `LEVEL:root:` handler, so every later
 * line is printed twice: once in that format, once in the agent's timestamped format.
 */
export function createAgentLog() {
  let basic = false
  let configured = false
  /** @param {'WARNING' | 'ERROR'} level @param {string} message */
  const emit = (level, message) => {
    if (!configured || basic) {
      basic = true
      process.stderr.write(`${level}:root:${message}\n`)
    }
    if (configured) process.stderr.write(`${timestamp()} ${level}: ${message}\n`)
  }
  return {
    /** @param {string} message */
    warning: (message) => emit('WARNING', message),
    /** @param {string} message */
    error: (message) => emit('ERROR', message),
    /** check_input(): from here on the timestamped stderr handler is active. */
    configure: () => {
      configured = true
    },
    /** fencing.py fail(): the message, then exit 1. @param {string} message @returns {never} */
    fail(message) {
      emit('ERROR', `${message}\n\n`)
      process.exit(1)
    },
    /** fencing.py fail_usage(). @param {string} message @returns {never} */
    failUsage(message) {
      emit('ERROR', `${message}\n`)
      emit('ERROR', "Please use '-h' for usage\n")
      process.exit(1)
    },
  }
}

/**
 * Parses `name=value` lines the way fencing.py's _parse_input_stdin does: comments and blank
 * lines skipped, quotes around a value dropped, `-`/`_` interchangeable, unknown names warned
 * about (with the whole line, value included) and ignored; `nodename` silently ignored.
 * Deprecated names are stored under the name that obsoletes them.
 * @param {string} text
 * @param {AgentParam[]} params
 * @param {ReturnType<typeof createAgentLog>} log
 * @returns {Record<string, string>}
 */
export function parseAgentStdin(text, params, log) {
  /** @type {Record<string, string>} */
  const options = {}
  const byName = new Map(params.map((p) => [p.name, p]))
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const at = line.indexOf('=')
    const key = (at < 0 ? line : line.slice(0, at)).replaceAll('-', '_')
    const value = (at < 0 ? '' : line.slice(at + 1)).replace(/^"(.*)"$/, '$1')
    const param = byName.get(key)
    if (!param) {
      if (key !== 'nodename') log.warning(`Parse error: Ignoring unknown option '${line}'\n`)
      continue
    }
    const name = canonical(param, params)
    if (!param.flag) options[name] = value
    else if (/^(1|yes|on|true)$/i.test(value)) options[name] = '1'
    else if (/^(0|no|off|false)$/i.test(value)) options[name] = '0'
    else log.warning(`Parse error: Ignoring option '${key}' because it does not have value\n`)
  }
  return options
}

/**
 * The `action=metadata` XML, in fencing.py's layout.
 * @param {{ name: string, shortdesc: string, longdesc: string, vendor: string,
 *   params: AgentParam[], actions: string[] }} agent
 */
export function metadataXml(agent) {
  const out = [
    '<?xml version="1.0" ?>',
    `<resource-agent name="${agent.name}" shortdesc="${agent.shortdesc}" >`,
    `<longdesc>${agent.longdesc}</longdesc>`,
    `<vendor-url>${agent.vendor}</vendor-url>`,
    '<parameters>',
  ]
  for (const p of agent.params) {
    const extra = p.deprecated
      ? ' deprecated="1"'
      : p.obsoletes
        ? ` obsoletes="${p.obsoletes}"`
        : ''
    out.push(
      `\t<parameter name="${p.name}" unique="0" required="${p.required ? 1 : 0}"${extra}>`,
      `\t\t<getopt mixed="${p.getopt}" />`,
      `\t\t<content type="${p.type}" ${p.default === undefined ? '' : `default="${p.default}" `} />`,
      `\t\t<shortdesc lang="en">${p.shortdesc}</shortdesc>`,
      '\t</parameter>',
    )
  }
  out.push('</parameters>', '<actions>')
  for (const action of agent.actions)
    out.push(
      action === 'on' ? '\t<action name="on" automatic="0"/>' : `\t<action name="${action}" />`,
    )
  out.push('</actions>', '</resource-agent>')
  return `${out.join('\n')}\n`
}

/** Blocks the process for `ms` (lab agents are short-lived, synchronous scripts). */
export function sleepSync(/** @type {number} */ ms) {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * @param {AgentParam} param
 * @param {AgentParam[]} params
 */
function canonical(param, params) {
  if (!param.deprecated) return param.name
  return params.find((p) => p.obsoletes === param.name)?.name ?? param.name
}

function timestamp() {
  const now = new Date()
  const pad = (/** @type {number} */ n, width = 2) => String(n).padStart(width, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())},${pad(now.getMilliseconds(), 3)}`
}
