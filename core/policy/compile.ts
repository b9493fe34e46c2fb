// Loads one policy file: safe YAML, the zod schema, then every name, input and CEL expression checked.
import { createHash } from 'node:crypto'
import { basename, extname } from 'node:path'
import type { z } from 'zod'
import { ConfigError, type SourceIssue } from '../errors.ts'
import type { EventType } from '../events/index.ts'
import {
  fieldPath,
  type Inventory,
  Name,
  nearestName,
  parseYaml,
  positionOf,
  type YamlSource,
  zodIssues,
} from '../inventory/index.ts'
import type { ActionDefinition } from '../plugin/index.ts'
import type { Registry } from '../plugin-host/index.ts'
import { type CelProgram, compileCel, elementType } from './cel.ts'
import { checkInputs } from './inputs.ts'
import type { Guards, NotifySpec, OnFailure } from './plan.ts'
import { positionInValue } from './position.ts'
import { Policy, type PolicyFile, type ScheduleTriggerSpec } from './schema.ts'
import { compileOne, compileTemplates, type Path, type TemplateValue } from './template.ts'
import { type CompiledTrigger, compileTrigger, triggerProblems } from './triggers.ts'

/** What checking a policy needs: the plugins (actions and their schemas) and the inventory. */
export interface PolicyDeps {
  registry: Registry
  inventory: Inventory
}

export interface CompiledStep {
  index: number
  name: string
  uses: string
  plugin: string
  action: ActionDefinition
  with: TemplateValue
  /** The list to fan out over; each item is `item` in this step's templates. */
  foreach?: CelProgram
  concurrency: number
  timeoutMs: number
  retry: { count: number; backoffMs: number }
  verify: boolean
  onFailure: OnFailure
}

/** A policy that passed every check: ready to match, evaluate and plan. */
export interface CompiledPolicy {
  name: string
  file: string
  /** sha256 of the file text: unchanged files are not recompiled on reload. */
  hash: string
  description?: string
  enabled: boolean
  dryRun: boolean
  triggers: CompiledTrigger[]
  schedules: ScheduleTriggerSpec[]
  manual: boolean
  condition?: CelProgram
  forMs?: number
  incident?: TemplateValue
  steps: CompiledStep[]
  guards: Guards
  notify: NotifySpec
  /** The file reads `health.owners`: its plans record where each owner came from. */
  readsOwners: boolean
  /** The file reads guests' nodes (`.guests`, `vms[…].host`): its plans record their source. */
  readsGuests: boolean
}

/**
 * Checks and compiles a policy file's text. Throws `ConfigError(issues, 'POLICY_INVALID')`
 * listing every problem with `file:line:col`; never returns a half-checked policy.
 *
 * @example
 * const policy = compilePolicy('policies/node-down.yaml', text, { registry, inventory })
 */
export function compilePolicy(file: string, text: string, deps: PolicyDeps): CompiledPolicy {
  const source = parseYaml(file, text)
  if ('issues' in source) throw new ConfigError(source.issues, 'POLICY_INVALID')
  const parsed = Policy.safeParse(source.data ?? {})
  if (!parsed.success)
    throw new ConfigError(zodIssues(source, parsed.error, Policy), 'POLICY_INVALID')
  const issues = new Issues(source, text)
  const compiled = compileChecked(file, text, parsed.data, deps, issues)
  if (issues.list.length > 0) throw new ConfigError(issues.sorted(), 'POLICY_INVALID')
  return compiled
}

function compileChecked(
  file: string,
  text: string,
  spec: PolicyFile,
  deps: PolicyDeps,
  issues: Issues,
): CompiledPolicy {
  const name = spec.name ?? basename(file, extname(file))
  if (!spec.name && !Name.safeParse(name).success)
    issues.add(['name'], `the file name "${name}" is not a valid policy name: add a "name:" field`)
  const { triggers, schedules, manual } = compileTriggers(spec, deps.inventory, issues)
  const condition = spec.if === undefined ? undefined : compileCondition(spec.if, issues)
  if (spec.for !== undefined && triggers.length === 0)
    issues.add(['for'], '"for:" needs an event trigger (a condition that can stay true)')
  let incident: TemplateValue | undefined
  if (spec.incident !== undefined) {
    const result = compileTemplates(spec.incident, { path: ['incident'] })
    for (const p of result.problems) issues.add(p.path, p.message, p.offset)
    incident = result.value
  }
  const steps = spec.steps.map((step, i) => compileStep(step, i, deps, issues))
  checkChannels(spec, deps.inventory, issues)
  return {
    name,
    file,
    hash: createHash('sha256').update(text).digest('hex'),
    description: spec.description,
    enabled: spec.enabled,
    dryRun: spec.dry_run,
    triggers,
    schedules,
    manual,
    condition,
    forMs: spec.for,
    incident,
    steps: steps.filter((s): s is CompiledStep => s !== undefined),
    guards: guardsOf(spec.guards),
    notify: spec.notify
      ? {
          channels: spec.notify.channels,
          on: spec.notify.on,
          ...(spec.notify.covers ? { covers: spec.notify.covers } : {}),
        }
      : { channels: [], on: [] },
    readsOwners: /\bhealth\s*\.\s*owners\b/.test(text),
    readsGuests: /\.\s*(guests|host)\b/.test(text),
  }
}

function compileTriggers(spec: PolicyFile, inventory: Inventory, issues: Issues) {
  const list = Array.isArray(spec.on) ? spec.on : [spec.on]
  const triggers: CompiledTrigger[] = []
  const schedules: ScheduleTriggerSpec[] = []
  let manual = false
  list.forEach((trigger, i) => {
    const at: Path = Array.isArray(spec.on) ? ['on', i] : ['on']
    if (trigger === 'manual') manual = true
    else if (typeof trigger === 'string')
      triggers.push(compileTrigger({ event: trigger as EventType }))
    else if ('schedule' in trigger) schedules.push(trigger)
    else {
      for (const p of triggerProblems(trigger, inventory)) issues.add([...at, ...p.path], p.message)
      triggers.push(compileTrigger(trigger))
    }
  })
  return { triggers, schedules, manual }
}

function compileCondition(text: string, issues: Issues): CelProgram | undefined {
  // `if: ${{ expr }}` is accepted too: people write it out of habit from step inputs.
  const wrapped = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text)
  const source = wrapped ? wrapped[1]! : text
  const offset = wrapped ? text.indexOf('${{') + 3 : 0
  const compiled = compileCel(source, {})
  if ('problem' in compiled) {
    issues.add(['if'], compiled.problem.message, offset + compiled.problem.start)
    return undefined
  }
  if (compiled.program.type !== 'bool' && compiled.program.type !== 'dyn') {
    issues.add(['if'], `the condition gives ${compiled.program.type}; it must give bool`)
    return undefined
  }
  return compiled.program
}

function compileStep(
  step: PolicyFile['steps'][number],
  index: number,
  deps: PolicyDeps,
  issues: Issues,
): CompiledStep | undefined {
  const at: Path = ['steps', index]
  let resolved: ReturnType<Registry['action']>
  try {
    resolved = deps.registry.action(step.uses)
  } catch (error) {
    issues.add([...at, 'uses'], (error as Error).message)
    return undefined
  }
  let foreach: CelProgram | undefined
  let itemType: string | undefined
  if (step.foreach !== undefined) {
    const compiled = compileOne(step.foreach)
    if ('problem' in compiled)
      issues.add([...at, 'foreach'], compiled.problem.message, compiled.problem.offset)
    else if (!/^(list|map)(<|$)|^dyn$/.test(compiled.program.type))
      issues.add([...at, 'foreach'], `foreach needs a list; this gives ${compiled.program.type}`)
    else {
      foreach = compiled.program
      itemType = elementType(compiled.program.type)
    }
  }
  const templates = compileTemplates(step.with, { itemType, path: [] })
  for (const p of templates.problems) issues.add([...at, 'with', ...p.path], p.message, p.offset)
  const inputs = checkInputs(resolved.action, step.with, templates.typed, deps.inventory)
  issues.zod(inputs.zod, [...at, 'with'])
  for (const p of inputs.problems) issues.add([...at, 'with', ...p.path], p.message)
  if (step.verify === true && !resolved.action.verify)
    issues.add([...at, 'verify'], `${step.uses} cannot verify; remove "verify: true"`)
  return {
    index,
    name: step.name ?? step.uses,
    uses: step.uses,
    plugin: resolved.plugin.name,
    action: resolved.action,
    with: templates.value,
    foreach,
    concurrency: step.concurrency,
    timeoutMs: step.timeout,
    retry: { count: step.retry.count, backoffMs: step.retry.backoff },
    verify: step.verify ?? resolved.action.verify !== undefined,
    onFailure: step.on_failure,
  }
}

function checkChannels(spec: PolicyFile, inventory: Inventory, issues: Issues): void {
  const known = inventory.config.channels.map((c) => c.name)
  spec.notify?.channels.forEach((channel, i) => {
    if (known.includes(channel)) return
    const near = nearestName(channel, known)
    issues.add(
      ['notify', 'channels', i],
      `no channel named "${channel}"${near ? `; did you mean "${near}"?` : ''}`,
    )
  })
}

function guardsOf(g: PolicyFile['guards']): Guards {
  return {
    cooldownMs: g.cooldown,
    maxRuns: g.max_runs && { count: g.max_runs.count, windowMs: g.max_runs.window },
    concurrency: g.concurrency,
    maxDrainedPercent: g.max_drained_percent,
    maxFences: g.max_fences && { count: g.max_fences.count, windowMs: g.max_fences.window },
    requireQuorum: g.require_quorum,
    maintenanceAware: g.maintenance_aware,
    approval: g.approval,
    approvalTtlMs: g.approval_ttl,
  }
}

/** Positioned problems of one file, collected so the author sees all of them at once. */
class Issues {
  readonly list: SourceIssue[] = []

  constructor(
    private readonly source: YamlSource,
    private readonly text: string,
  ) {}

  add(path: Path, message: string, offset?: number): void {
    const at =
      offset === undefined
        ? positionOf(this.source, path)
        : positionInValue(this.source, this.text, path, offset)
    this.list.push({ file: this.source.file, ...at, field: fieldPath(path), message })
  }

  zod(issues: z.core.$ZodIssue[], prefix: Path): void {
    if (issues.length === 0) return
    const moved = issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] }))
    this.list.push(...zodIssues(this.source, { issues: moved } as unknown as z.ZodError, Policy))
  }

  sorted(): SourceIssue[] {
    return [...this.list].sort((a, b) => a.line - b.line || a.col - b.col)
  }
}
