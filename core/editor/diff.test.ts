// The editor's diff is GNU `diff -u`'s, hunk for hunk, so operators read what they know.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { unifiedDiff } from './diff.ts'

/** GNU diff's hunks (its two header lines carry dates, so they are replaced with ours). */
function gnuDiff(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-diff-'))
  try {
    writeFileSync(join(dir, 'a'), before)
    writeFileSync(join(dir, 'b'), after)
    let out = ''
    try {
      execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' })
    } catch (error) {
      out = (error as { stdout: string }).stdout
    }
    return out === '' ? '' : `--- a/f\n+++ b/f\n${out.split('\n').slice(2).join('\n')}`
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const lines = (n: number, f = (i: number) => `line ${i}`) =>
  `${Array.from({ length: n }, (_, i) => f(i)).join('\n')}\n`

describe('unifiedDiff', () => {
  const cases: [string, string, string][] = [
    ['nothing changed', lines(5), lines(5)],
    ['one line changed', lines(20), lines(20, (i) => (i === 9 ? 'changed' : `line ${i}`))],
    ['lines added at the end', lines(5), `${lines(5)}six\nseven\n`],
    ['lines added at the start', lines(5), `zero\n${lines(5)}`],
    ['two distant changes', lines(40), lines(40, (i) => (i === 3 || i === 30 ? 'x' : `line ${i}`))],
    [
      'two near changes share a hunk',
      lines(20),
      lines(20, (i) => (i === 5 || i === 9 ? 'x' : `line ${i}`)),
    ],
    ['everything removed', lines(3), ''],
    ['from empty', '', lines(3)],
  ]
  it.each(cases)('matches diff -u: %s', (_name, before, after) => {
    expect(unifiedDiff('f', before, after)).toBe(gnuDiff(before, after))
  })
})
