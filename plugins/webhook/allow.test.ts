// The allow-list's rules: names and ranges, and special addresses only through an explicit range.
import { describe, expect, it } from 'vitest'
import { addressProblem, allowEntryProblem, hostAllowed, parseAllowList } from './allow.ts'

describe('allow list', () => {
  const list = parseAllowList([
    'hooks.example.com',
    '*.chat.example',
    '10.20.0.0/16',
    '2001:db8::/32',
  ])

  it('accepts listed names, wildcard subdomains and IP literals inside a range', () => {
    expect(hostAllowed(list, 'hooks.example.com')).toBe(true)
    expect(hostAllowed(list, 'HOOKS.example.com.')).toBe(true)
    expect(hostAllowed(list, 'eu.chat.example')).toBe(true)
    expect(hostAllowed(list, 'chat.example')).toBe(false)
    expect(hostAllowed(list, 'evil-hooks.example.com')).toBe(false)
    expect(hostAllowed(list, '10.20.3.4')).toBe(true)
    expect(hostAllowed(list, '10.21.3.4')).toBe(false)
  })

  it('lets a name reach public addresses, but loopback/private/link-local only through a range', () => {
    expect(addressProblem(list, '192.0.2.10')).toBeUndefined()
    expect(addressProblem(list, '10.20.1.1')).toBeUndefined()
    expect(addressProblem(list, '10.99.1.1')).toMatch(/private/)
    expect(addressProblem(list, '127.0.0.1')).toMatch(/loopback/)
    expect(addressProblem(list, '169.254.1.1')).toMatch(/link-local/)
    // Metadata endpoints stay out even inside a listed range.
    expect(addressProblem(parseAllowList(['169.254.0.0/16']), '169.254.169.254')).toMatch(
      /metadata endpoint/,
    )
    expect(addressProblem(list, '::ffff:127.0.0.1')).toMatch(/loopback/)
    expect(addressProblem(list, '::1')).toMatch(/loopback/)
    expect(addressProblem(list, '2001:db8::5')).toBeUndefined()
  })

  it('refuses malformed entries at load', () => {
    expect(allowEntryProblem('10.0.0.0/33')).toMatch(/not a CIDR range/)
    expect(allowEntryProblem('http://x')).toMatch(/neither a host name/)
    expect(allowEntryProblem('*.example.com')).toBeUndefined()
    expect(allowEntryProblem('::1/128')).toBeUndefined()
  })
})
