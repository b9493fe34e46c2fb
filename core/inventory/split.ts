// A config split across files: `include:` names more files (or directories of them) whose lists
// are appended to the main file's, every file read, capped and positioned on its own.
import { readdir, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'
import { z } from 'zod'
import { fileIssue, type SourceIssue } from '../errors.ts'
import { positionOf, type YamlSource, zodIssues } from './yaml-source.ts'

/** The lists an included file may add to; everything else has one home, the main file. */
export const INCLUDABLE = ['nodes', 'services', 'vms', 'storage', 'channels', 'fencing'] as const
const FENCING_LISTS = ['devices', 'nodes'] as const
/** More files than this is a mistake (a glob gone wide), not a site. */
export const MAX_INCLUDED_FILES = 1000

/** Where entries `start … start+count-1` of a merged list came from. */
interface Segment {
  source: YamlSource
  start: number
  count: number
}

/** The merged data of a main file and its includes, and how to find any entry's file and line. */
export interface SplitConfig {
  data: Record<string, unknown>
  /** Maps a path in the merged data to the file holding it and the path inside that file. */
  locate(path: readonly PropertyKey[]): { source: YamlSource; path: PropertyKey[] }
}

/** The files `include:` names, in order: directories give their *.yaml files, sorted. */
export async function includedFiles(
  main: YamlSource,
): Promise<string[] | { issues: SourceIssue[] }> {
  const include = (main.data as { include?: unknown } | null)?.include
  if (include === undefined) return []
  const parsed = z.array(z.string().min(1)).safeParse(include)
  if (!parsed.success)
    return { issues: zodIssues(main, parsed.error, z.array(z.string()), 'include') }
  const files: string[] = []
  for (const [i, entry] of parsed.data.entries()) {
    const path = isAbsolute(entry) ? entry : join(dirname(main.file), entry)
    const at = { file: main.file, ...positionOf(main, ['include', i]), field: `include[${i}]` }
    const kind = await stat(path).then(
      (s) => (s.isDirectory() ? 'dir' : 'file'),
      () => 'missing',
    )
    if (kind === 'missing')
      return { issues: [{ ...at, message: `no such file or directory: ${path}` }] }
    if (kind === 'file') files.push(path)
    else
      for (const name of (await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort())
        files.push(join(path, name))
  }
  if (files.length > MAX_INCLUDED_FILES)
    return {
      issues: [
        fileIssue(main.file, `include: ${files.length} files, more than ${MAX_INCLUDED_FILES}`),
      ],
    }
  return files
}

/**
 * Appends each included file's lists to the main file's. An included file may hold only the
 * lists (`nodes`, `services`, …, `fencing.devices/nodes`) and no `include:` of its own.
 */
export function mergeSplit(
  main: YamlSource,
  parts: readonly YamlSource[],
): SplitConfig | { issues: SourceIssue[] } {
  const issues: SourceIssue[] = []
  const data: Record<string, unknown> = { ...(main.data as Record<string, unknown>) }
  delete data.include
  const segments = new Map<string, Segment[]>()
  const append = (key: string, list: unknown, source: YamlSource) => {
    if (list === undefined) return
    const current = (data[key.replace('fencing.', '')] as unknown[] | undefined) ?? []
    const target = key.startsWith('fencing.') ? fencingList(data, key) : current
    if (!Array.isArray(list) || !Array.isArray(target)) return
    const start = target.length
    target.push(...list)
    if (!key.startsWith('fencing.')) data[key] = target
    segments.set(key, [...(segments.get(key) ?? []), { source, start, count: list.length }])
  }
  for (const key of INCLUDABLE.filter((k) => k !== 'fencing')) {
    data[key] = Array.isArray(data[key]) ? [...(data[key] as unknown[])] : data[key]
    append(key, undefined, main)
    segments.set(key, [
      {
        source: main,
        start: 0,
        count: Array.isArray(data[key]) ? (data[key] as unknown[]).length : 0,
      },
    ])
  }
  if (data.fencing && typeof data.fencing === 'object') {
    const fencing = { ...(data.fencing as Record<string, unknown>) }
    data.fencing = fencing
    for (const list of FENCING_LISTS) {
      fencing[list] = Array.isArray(fencing[list])
        ? [...(fencing[list] as unknown[])]
        : fencing[list]
      segments.set(`fencing.${list}`, [
        {
          source: main,
          start: 0,
          count: Array.isArray(fencing[list]) ? (fencing[list] as unknown[]).length : 0,
        },
      ])
    }
  }
  for (const part of parts) {
    const top = part.data
    if (top === null || top === undefined) continue
    if (typeof top !== 'object' || Array.isArray(top)) {
      issues.push(
        fileIssue(part.file, 'an included file is a mapping of lists (nodes:, services:, …)'),
      )
      continue
    }
    for (const [key, value] of Object.entries(top)) {
      const at = { file: part.file, ...positionOf(part, [key], true), field: key }
      if (!(INCLUDABLE as readonly string[]).includes(key)) {
        issues.push({
          ...at,
          message: `"${key}" belongs in the main file; an included file may hold ${INCLUDABLE.join(', ')}`,
        })
        continue
      }
      if (key === 'fencing') {
        for (const [sub, list] of Object.entries((value ?? {}) as Record<string, unknown>)) {
          if (!(FENCING_LISTS as readonly string[]).includes(sub)) {
            issues.push({
              ...at,
              field: `fencing.${sub}`,
              message: `unknown key "${sub}": fencing may hold devices, nodes`,
            })
            continue
          }
          if (!Array.isArray(list))
            issues.push({ ...at, field: `fencing.${sub}`, message: 'expected a list' })
          else append(`fencing.${sub}`, list, part)
        }
        continue
      }
      if (!Array.isArray(value)) issues.push({ ...at, message: 'expected a list' })
      else append(key, value, part)
    }
  }
  if (issues.length > 0) return { issues }
  return { data, locate: (path) => locate(main, segments, path) }
}

function fencingList(data: Record<string, unknown>, key: string): unknown[] {
  if (!data.fencing || typeof data.fencing !== 'object') data.fencing = {}
  const fencing = data.fencing as Record<string, unknown>
  const list = key.slice('fencing.'.length)
  if (!Array.isArray(fencing[list])) fencing[list] = []
  return fencing[list] as unknown[]
}

function locate(
  main: YamlSource,
  segments: Map<string, Segment[]>,
  path: readonly PropertyKey[],
): { source: YamlSource; path: PropertyKey[] } {
  const fencing = path[0] === 'fencing' && typeof path[2] === 'number'
  const key = fencing ? `fencing.${String(path[1])}` : String(path[0])
  const at = fencing ? 2 : 1
  const index = path[at]
  if (typeof index !== 'number') return { source: main, path: [...path] }
  for (const s of segments.get(key) ?? [])
    if (index >= s.start && index < s.start + s.count)
      return {
        source: s.source,
        path: [...path.slice(0, at), index - s.start, ...path.slice(at + 1)],
      }
  return { source: main, path: [...path] }
}
