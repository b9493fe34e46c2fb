// Reuse between status builds: parts whose inputs did not change keep their object and their JSON text.

/** What one build keeps for the next, per node and per service name (one inventory only). */
export interface BuildMemo {
  readonly nodes: Map<string, Memoed>
  readonly services: Map<string, Memoed>
}

interface Memoed {
  inputs: unknown[]
  out: unknown
}

export function createBuildMemo(): BuildMemo {
  return { nodes: new Map(), services: new Map() }
}

/**
 * The part built last time when every input is the same (`===`: health rows and fence rows are
 * replaced, never mutated, when they change), else a new one from `make`. Without a memo,
 * always `make`.
 *
 * @example
 * const node = reuse(memo?.nodes, name, [health, fence], () => nodeStatus(...))
 */
export function reuse<T>(
  memo: Map<string, Memoed> | undefined,
  key: string,
  inputs: unknown[],
  make: () => T,
): T {
  const hit = memo?.get(key)
  if (hit && hit.inputs.length === inputs.length && hit.inputs.every((v, i) => v === inputs[i]))
    return hit.out as T
  const out = make()
  memo?.set(key, { inputs, out })
  return out
}

const fragments = new WeakMap<object, string>()

/**
 * The status as JSON, made from the JSON of each node and service, kept per object: after a
 * change only the parts rebuilt are serialized again. Nodes and services come first.
 *
 * @example
 * const body = statusJson(status) // JSON.parse(body) deep-equals status
 */
export function statusJson(status: { nodes: object[]; services: object[] }): string {
  const { nodes, services, ...rest } = status
  const list = (parts: object[]) => parts.map(fragment).join(',')
  const tail = JSON.stringify(rest).slice(1) // `"cluster":…}` (rest is never empty)
  return `{"nodes":[${list(nodes)}],"services":[${list(services)}],${tail}`
}

function fragment(part: object): string {
  let text = fragments.get(part)
  if (text === undefined) {
    text = JSON.stringify(part)
    fragments.set(part, text)
  }
  return text
}
