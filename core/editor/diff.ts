// Unified diffs of config files (`diff -u` format) for the editor's preview and the audit entry.

/** Lines of context around each change, as `diff -u` and git show by default. */
const CONTEXT = 3
/** Above this many changed lines on both sides the middle is shown as one replaced block. */
const MAX_MATRIX = 4_000_000

/**
 * The unified diff of one file, empty when nothing changed.
 *
 * @example
 * unifiedDiff('tandem.yaml', before, after)
 * // --- a/tandem.yaml\n+++ b/tandem.yaml\n@@ -3,4 +3,5 @@\n ...
 */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return ''
  const a = splitLines(before)
  const b = splitLines(after)
  const ops = lineOps(a, b)
  const hunks = groupHunks(ops)
  const out = [`--- a/${path}`, `+++ b/${path}`]
  for (const hunk of hunks) out.push(...hunk)
  return `${out.join('\n')}\n`
}

type Op = { kind: ' ' | '-' | '+'; text: string; aLine: number; bLine: number }

function splitLines(text: string): string[] {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Common prefix and suffix kept, the middle aligned by longest common subsequence. */
function lineOps(a: string[], b: string[]): Op[] {
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const ops: Op[] = []
  for (let i = 0; i < start; i++) ops.push({ kind: ' ', text: a[i] as string, aLine: i, bLine: i })
  ops.push(...middle(a.slice(start, endA), b.slice(start, endB), start, start))
  for (let i = endA, j = endB; i < a.length; i++, j++)
    ops.push({ kind: ' ', text: a[i] as string, aLine: i, bLine: j })
  return ops
}

function middle(a: string[], b: string[], aAt: number, bAt: number): Op[] {
  const n = a.length
  const m = b.length
  if (n * m > MAX_MATRIX) {
    // A whole-file rewrite: correct, just not minimal.
    return [
      ...a.map((text, i) => ({ kind: '-' as const, text, aLine: aAt + i, bLine: bAt })),
      ...b.map((text, j) => ({ kind: '+' as const, text, aLine: aAt + n, bLine: bAt + j })),
    ]
  }
  const lcs = new Uint32Array((n + 1) * (m + 1))
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * (m + 1) + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * (m + 1) + j + 1] as number) + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j] as number, lcs[i * (m + 1) + j + 1] as number)
  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i] as string, aLine: aAt + i, bLine: bAt + j })
      i++
      j++
    } else if (
      i < n &&
      (j === m || (lcs[(i + 1) * (m + 1) + j] as number) >= (lcs[i * (m + 1) + j + 1] as number))
    ) {
      // Removals before additions, as diff -u prints a changed line.
      ops.push({ kind: '-', text: a[i] as string, aLine: aAt + i, bLine: bAt + j })
      i++
    } else {
      ops.push({ kind: '+', text: b[j] as string, aLine: aAt + i, bLine: bAt + j })
      j++
    }
  }
  return ops
}

/** Changes with CONTEXT lines around them, merged when their contexts touch. */
function groupHunks(ops: Op[]): string[][] {
  const changed = ops.flatMap((op, index) => (op.kind === ' ' ? [] : [index]))
  const hunks: string[][] = []
  let k = 0
  while (k < changed.length) {
    const from = Math.max(0, (changed[k] as number) - CONTEXT)
    let to = Math.min(ops.length, (changed[k] as number) + CONTEXT + 1)
    while (k + 1 < changed.length && (changed[k + 1] as number) - CONTEXT <= to) {
      k++
      to = Math.min(ops.length, (changed[k] as number) + CONTEXT + 1)
    }
    k++
    const slice = ops.slice(from, to)
    const aCount = slice.filter((o) => o.kind !== '+').length
    const bCount = slice.filter((o) => o.kind !== '-').length
    const first = slice[0] as Op
    // `diff -u` numbers an empty side by the line before it.
    const aStart = aCount === 0 ? first.aLine : first.aLine + 1
    const bStart = bCount === 0 ? first.bLine : first.bLine + 1
    hunks.push([
      `@@ -${aStart},${aCount} +${bStart},${bCount} @@`,
      ...slice.map((o) => `${o.kind}${o.text}`),
    ])
  }
  return hunks
}
