// Edits to the config as YAML Documents: entries are found by name, in whichever file defines
// them, so comments, key order and untouched formatting survive and includes are not flattened.
import { type Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml'
import { z } from 'zod'
import { TandemError } from '../errors.ts'
import { INCLUDABLE, MAX_FILE_BYTES, Name } from '../inventory/index.ts'

/** A key in a mapping, or an entry of a list picked by its `name` (or `node`, for real servers). */
const Segment = z.union([
  z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/, 'expected a config key such as "real_servers"'),
  z.strictObject({ name: Name }),
  z.strictObject({ node: Name }),
])
const At = z.array(Segment).min(1).max(12)

/**
 * One change. `add` appends to a list, `set` replaces a value (or an entry picked by name),
 * `remove` deletes one, `replace` swaps a whole file's text (the raw YAML view).
 */
export const ConfigChange = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('add'), at: At, value: z.unknown() }),
  z.strictObject({ op: z.literal('set'), at: At, value: z.unknown() }),
  z.strictObject({ op: z.literal('remove'), at: At }),
  z.strictObject({
    op: z.literal('replace'),
    /** The file as GET /api/v1/config names it; absent: the main file. */
    file: z.string().min(1).max(1000).optional(),
    text: z.string().max(MAX_FILE_BYTES),
  }),
])
export type ConfigChange = z.output<typeof ConfigChange>
type Segment = z.output<typeof Segment>

/** The parsed documents of a config: the main file first, then each included file. */
export interface EditableFiles {
  main: string
  /** Every file of the config as on disk, main first: what `replace` may name. */
  paths: ReadonlySet<string>
  docs: Map<string, Document.Parsed>
  /** Files whose text was replaced wholesale (raw view): their text, not their document. */
  replaced: Map<string, string>
}

/** A change that cannot be made: names the change and what is wrong, for a 400. */
export class ChangeError extends TandemError {
  readonly field: string
  constructor(field: string, message: string) {
    super('BAD_REQUEST', `[editor] ${field}: ${message}`)
    this.name = 'ChangeError'
    this.field = field
  }
}

/**
 * Applies one change in place. An entry picked by name is edited in the file that defines it;
 * a new top-level entry goes to the main file.
 *
 * @example
 * applyChange(files, { op: 'set', at: ['services', { name: 'web' }, 'lvs', 'scheduler'], value: 'rr' }, 'changes[0]')
 */
export function applyChange(files: EditableFiles, change: ConfigChange, field: string): void {
  if (change.op === 'replace') {
    const file = change.file ?? files.main
    if (!files.paths.has(file))
      throw new ChangeError(`${field}.file`, `not a file of this config: ${file}`)
    files.replaced.set(file, change.text)
    return
  }
  if (change.at[0] === 'include')
    throw new ChangeError(`${field}.at`, 'include: is changed in the raw view of the main file')
  const file = ownerOf(files, change.at, field)
  const doc = files.docs.get(file) as Document.Parsed
  const path = concretePath(doc, change.at, change.op === 'add', `${field}.at`)
  if (change.op === 'remove') {
    if (!doc.hasIn(path)) throw new ChangeError(`${field}.at`, 'nothing there to remove')
    doc.deleteIn(path)
  } else if (change.op === 'set') doc.setIn(path, doc.createNode(change.value))
  else {
    const list = doc.getIn(path, true)
    if (list === undefined) doc.setIn(path, doc.createNode([change.value]))
    else if (isSeq(list)) list.add(doc.createNode(change.value))
    else throw new ChangeError(`${field}.at`, 'add appends to a list; this is not one')
  }
}

/** The file holding the entry a path picks by name: the main file, else the first include. */
function ownerOf(files: EditableFiles, at: readonly Segment[], field: string): string {
  const picks = at.findIndex((s) => typeof s !== 'string')
  const top = at[0] === 'fencing' ? `fencing.${String(at[1])}` : String(at[0])
  const includable = (INCLUDABLE as readonly string[]).includes(
    top.replace(/^fencing\..*/, 'fencing'),
  )
  if (picks < 0 || !includable) {
    if (files.replaced.has(files.main))
      throw new ChangeError(field, 'the main file was replaced in this request; edit it there')
    return files.main
  }
  for (const [file, doc] of files.docs) {
    if (files.replaced.has(file)) continue
    try {
      concretePath(doc, at.slice(0, picks + 1), false, field)
      return file
    } catch {}
  }
  throw new ChangeError(`${field}.at`, `no entry ${describe(at.slice(0, picks + 1))} in any file`)
}

/** Keys and list indexes for `doc.getIn`; a picked entry that is missing is an error. */
function concretePath(
  doc: Document.Parsed,
  at: readonly Segment[],
  forAdd: boolean,
  field: string,
): (string | number)[] {
  const path: (string | number)[] = []
  let node: unknown = doc.contents
  for (const [i, segment] of at.entries()) {
    if (typeof segment === 'string') {
      path.push(segment)
      node = isMap(node) ? (node as YAMLMap).get(segment, true) : undefined
      continue
    }
    const [key, value] = Object.entries(segment)[0] as [string, string]
    const items = isSeq(node) ? (node as YAMLSeq).items : []
    const index = items.findIndex((item) => isMap(item) && item.get(key) === value)
    if (index < 0) throw new ChangeError(field, `no entry ${describe(at.slice(0, i + 1))}`)
    path.push(index)
    node = items[index]
  }
  if (forAdd && node !== undefined && !isSeq(node))
    throw new ChangeError(field, 'add appends to a list; this is not one')
  return path
}

function describe(at: readonly Segment[]): string {
  return at
    .map((s) => (typeof s === 'string' ? s : `[${Object.entries(s)[0]?.join('=')}]`))
    .join('.')
    .replace(/\.\[/g, '[')
}
