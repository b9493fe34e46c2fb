// The scope ladder and token hashing: what a token of each scope may do.
import { describe, expect, it } from 'vitest'
import { allows, hashToken, parseScopes } from './auth.ts'

describe('scopes', () => {
  it('climbs read < operate < fence < admin, with ingest standing aside', () => {
    expect(allows(['read'], 'read')).toBe(true)
    expect(allows(['read'], 'operate')).toBe(false)
    expect(allows(['operate'], 'read')).toBe(true)
    expect(allows(['operate'], 'fence')).toBe(false)
    expect(allows(['fence'], 'operate')).toBe(true)
    expect(allows(['fence'], 'admin')).toBe(false)
    expect(allows(['admin'], 'ingest')).toBe(true)
    expect(allows(['ingest'], 'read')).toBe(false)
    expect(allows(['fence'], 'ingest')).toBe(false)
  })

  it('parses a scope list and names what it does not know', () => {
    expect(parseScopes('read, operate,read')).toEqual(['read', 'operate'])
    expect(() => parseScopes('read,root')).toThrow(/unknown scope root/)
    expect(() => parseScopes('')).toThrow(/unknown scope/)
  })

  it('hashes tokens with sha256 (hex), so the store never holds the token', () => {
    expect(hashToken('tdm_x')).toMatch(/^[0-9a-f]{64}$/)
    expect(hashToken('tdm_x')).not.toBe(hashToken('tdm_y'))
  })
})
