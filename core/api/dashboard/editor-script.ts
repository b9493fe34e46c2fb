// The site editor's client code: forms and raw view → changes → preview → save, errors at fields.
// Plain browser JavaScript served inline beside the dashboard's (CSP nonce); no build step.
export const EDITOR_SCRIPT = `
(() => {
  const $ = (s) => document.querySelector(s)
  const token = () => sessionStorage.getItem('tandem.token')
  let version = null
  let pending = null // { changes, preview }: what Save sends, set only by a preview

  const call = async (method, path, body) => {
    const headers = { Authorization: 'Bearer ' + token() }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    let json = null
    if ((res.headers.get('content-type') || '').includes('json')) json = await res.json()
    return { res, json }
  }
  const status = (text) => { $('#editor-status').textContent = text }
  const announce = (text) => { $('#editor-errors').textContent = text }

  async function open() {
    const res = await fetch('/ui/editor', { headers: { Authorization: 'Bearer ' + token() } })
    const slot = $('#editor-slot')
    if (!res.ok) { slot.textContent = 'The editor cannot open: HTTP ' + res.status; return }
    slot.innerHTML = await res.text()
    slot.hidden = false
    version = $('#editor-panel').dataset.version
    pending = null
    $('#editor-heading').focus()
  }
  function close() { $('#editor-slot').hidden = true; $('#editor-slot').innerHTML = ''; pending = null }

  const number = (v) => /^-?\\d+$/.test(v) ? Number(v) : v
  const lines = (v) => v.split('\\n').map((l) => l.trim()).filter((l) => l !== '')
  /** An input's value as the schema types it; the loader, not the browser, says if it is valid. */
  const typed = (input) => {
    const v = input.value.trim()
    const kind = input.dataset.kind
    if (kind === 'integer') return number(v)
    if (kind === 'boolean') return v === 'true' ? true : v === 'false' ? false : v
    if (kind === 'list') return lines(v).map((l) => input.dataset.items === 'integer' ? number(l) : l)
    if (kind === 'map') return Object.fromEntries(lines(v).map((l) => { const i = l.indexOf('='); return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()] }))
    if (kind === 'levels') return lines(v).map((l) => l.split(',').map((d) => d.trim()).filter((d) => d !== '').map((d) => { const i = d.indexOf(':'); return i < 0 ? d : { device: d.slice(0, i), plug: number(d.slice(i + 1)) } }))
    return v
  }
  const path = (at, key) => at.concat(key.split('.'))
  function changesOf(form, act) {
    const mode = form.dataset.editorForm
    if (mode === 'raw') {
      return [...form.querySelectorAll('textarea')]
        .filter((t) => t.value !== t.defaultValue)
        .map((t) => ({ op: 'replace', file: t.name, text: t.value }))
    }
    const at = JSON.parse(form.dataset.at)
    if (act === 'remove') return [{ op: 'remove', at }]
    const inputs = [...form.querySelectorAll('[data-kind]')]
    if (mode === 'add') {
      const value = {}
      for (const input of inputs) {
        if (input.value.trim() === '') continue
        const keys = input.name.split('.')
        let into = value
        for (const k of keys.slice(0, -1)) into = into[k] = into[k] || {}
        into[keys[keys.length - 1]] = typed(input)
      }
      return [{ op: 'add', at, value }]
    }
    const changes = []
    for (const input of inputs) {
      if (input.value.trim() === input.dataset.initial) continue
      if (input.value.trim() === '') changes.push({ op: 'remove', at: path(at, input.name) })
      else changes.push({ op: 'set', at: path(at, input.name), value: typed(input) })
    }
    return changes
  }

  function clearErrors() {
    announce('')
    for (const el of document.querySelectorAll('#editor-panel .field-error, #editor-panel .form-error')) el.textContent = ''
    for (const el of document.querySelectorAll('#editor-panel [aria-invalid]')) el.removeAttribute('aria-invalid')
  }
  /** The input of a field path, or of the list or map holding it (options.password: options). */
  function inputFor(form, key) {
    for (let k = key; k !== '';) {
      const input = form.querySelector('[name="' + CSS.escape(k) + '"]')
      if (input) return input
      const shorter = k.replace(/(\\[\\d+\\]|\\.[^.[]*)$/, '')
      if (shorter === k) break
      k = shorter
    }
    return null
  }
  /** Each issue next to its field when the form has one, else under the form; all announced. */
  function showIssues(form, issues) {
    const prefix = form.dataset.field
    const lines = []
    for (const issue of issues) {
      const where = (issue.file ? issue.file.split('/').pop() : '') + (issue.line ? ':' + issue.line : '')
      lines.push((issue.field || where) + ': ' + issue.message)
      let target = null
      if (prefix && issue.field && issue.field.startsWith(prefix + '.')) {
        const input = inputFor(form, issue.field.slice(prefix.length + 1))
        if (input) { input.setAttribute('aria-invalid', 'true'); target = document.getElementById(input.getAttribute('aria-describedby')) }
      }
      if (!target && form.dataset.editorForm === 'raw')
        target = [...form.querySelectorAll('[data-raw-file]')].find((ul) => issue.file === ul.dataset.rawFile || (issue.file || '').endsWith('/' + ul.dataset.rawFile))
      if (target && target.tagName === 'UL') {
        const li = document.createElement('li')
        li.textContent = 'line ' + (issue.line || '?') + (issue.field ? ' (' + issue.field + ')' : '') + ': ' + issue.message
        target.append(li)
      } else if (target) target.textContent = issue.message
      else form.querySelector('.form-error').textContent += (issue.field || where) + ': ' + issue.message + ' '
    }
    announce('Not valid: ' + lines.join('; '))
  }

  async function preview(form, act) {
    clearErrors()
    hidePreview()
    const changes = changesOf(form, act)
    if (changes.length === 0) { status('Nothing changed in this form.'); return }
    status('Checking…')
    const { res, json } = await call('POST', '/api/v1/config/preview', { version, changes })
    if (res.status === 409) return showConflict(json)
    if (!res.ok) {
      status('')
      const issues = json && json.error && json.error.issues
      if (issues && issues.length) return showIssues(form, issues)
      form.querySelector('.form-error').textContent = json && json.error ? json.error.message : 'HTTP ' + res.status
      announce(form.querySelector('.form-error').textContent)
      return
    }
    pending = { changes, preview: json.preview }
    $('#preview-diff').textContent = json.diff
    const commands = $('#preview-commands')
    commands.innerHTML = ''
    const r = json.impact.reconcile
    const lines = r.error ? ['cannot tell: ' + r.error] : r.commands.length ? r.commands.map((c) => (c.node ? c.node + ': ' : '') + c.argv.join(' ')) : ['nothing: the tables already match']
    for (const line of lines) { const li = document.createElement('li'); li.textContent = line; commands.append(li) }
    const targets = $('#preview-targets')
    targets.innerHTML = ''
    const said = []
    for (const [kind, t] of [['check', json.impact.checks], ['real server', json.impact.realServers]]) {
      for (const name of t.added) said.push(kind + ' added: ' + name)
      for (const name of t.removed) said.push(kind + ' removed: ' + name)
    }
    if (said.length === 0) said.push('no checks or real servers added or removed')
    for (const line of said) { const li = document.createElement('li'); li.textContent = line; targets.append(li) }
    showPolicies(json.impact.policies)
    $('#editor-preview').hidden = false
    status('Preview ready: ' + json.files.join(', ') + ' would change. Review it, then Save.')
    $('#preview-heading').focus()
  }
  /** Each policy that would answer a failure differently, with the steps that come and go. */
  function showPolicies(p) {
    const list = $('#preview-policies')
    list.innerHTML = ''
    const item = (text) => { const li = document.createElement('li'); li.textContent = text; return li }
    if (p.error) { list.append(item('cannot tell: ' + p.error)); return }
    if (p.changes.length === 0) { list.append(item('no policy would match differently')); return }
    const said = { added: 'now matches', removed: 'no longer matches', plan: 'would plan other steps for' }
    for (const c of p.changes) {
      const li = item(c.policy + ' ' + said[c.change] + ' ' + c.event)
      const steps = document.createElement('ul')
      steps.className = 'mono'
      for (const s of c.before) if (!c.after.includes(s)) steps.append(item('− ' + s))
      for (const s of c.after) if (!c.before.includes(s)) steps.append(item('+ ' + s))
      if (steps.childElementCount) li.append(steps)
      list.append(li)
    }
  }
  function hidePreview() { pending = null; const p = $('#editor-preview'); if (p) p.hidden = true }

  async function save() {
    if (!pending) return
    const message = $('#save-message').value.trim()
    if (!message) { announce('Say why (it goes to the audit log).'); $('#save-message').setAttribute('aria-invalid', 'true'); $('#save-message').focus(); return }
    status('Saving…')
    const { res, json } = await call('POST', '/api/v1/config', {
      version, changes: pending.changes, preview: pending.preview, message,
      apply: $('#save-apply').checked, commit: $('#save-commit').checked,
    })
    // A 409 without the files on disk is a refusal of git's (uncommitted changes), not a conflict.
    if (res.status === 409 && json && json.current) return showConflict(json)
    if (!res.ok) { announce(json && json.error ? json.error.message : 'HTTP ' + res.status); status(''); return }
    const said = ['Saved ' + json.files.join(', ') + '.']
    const reload = json.reload
    if (reload.status === 'reloaded') said.push('The daemon runs it now' + (reload.restartFor.length ? ' (restart for: ' + reload.restartFor.join(', ') + ')' : '') + '.')
    else said.push(reload.status === 'kept' ? 'The daemon kept its last good config: ' + reload.error : reload.message)
    if (json.apply) said.push(json.apply.runId ? 'lvs.reconcile queued as ' + json.apply.runId + '.' : 'Not applied: ' + json.apply.error)
    if (json.git) said.push(json.git.commit ? 'Committed ' + json.git.commit.slice(0, 12) + '.' : 'git: ' + json.git.error)
    await open()
    status(said.join(' '))
    document.dispatchEvent(new CustomEvent('tandem:refresh'))
  }

  function showConflict(json) {
    hidePreview()
    const box = $('#editor-conflict')
    const current = $('#conflict-current')
    current.innerHTML = ''
    for (const file of (json.current && json.current.files) || []) {
      const h = document.createElement('h5'); h.textContent = file.path
      const pre = document.createElement('pre'); pre.className = 'mono'; pre.textContent = file.text
      current.append(h, pre)
    }
    const mine = json.mine || {}
    $('#conflict-mine').textContent = mine.diff !== undefined ? mine.diff : mine.issues ? mine.issues.map((i) => i.field + ': ' + i.message).join('\\n') : mine.error || '(the request was a replay of a save already made)'
    box.hidden = false
    announce('The config changed on disk since you opened it: nothing was written.')
    $('#conflict-heading').focus()
  }

  document.addEventListener('submit', (event) => {
    const form = event.target
    if (form.id === 'editor-save') { event.preventDefault(); save().catch((e) => announce(String(e))); return }
    if (!form.dataset || !form.dataset.editorForm) return
    event.preventDefault()
    preview(form).catch((e) => announce(String(e)))
  })
  document.addEventListener('click', (event) => {
    const el = event.target.closest('[data-editor-act]')
    if (!el) return
    const act = el.dataset.editorAct
    if (act === 'open') open().catch((e) => announce(String(e)))
    else if (act === 'close') close()
    else if (act === 'cancel') { hidePreview(); status('Preview discarded.') }
    else if (act === 'reopen') open().catch((e) => announce(String(e)))
    else if (act === 'remove') preview(el.closest('form'), 'remove').catch((e) => announce(String(e)))
  })
  // A preview is of exactly what was previewed: any edit after it asks for a new one.
  document.addEventListener('input', (event) => {
    if (pending && event.target.closest('[data-editor-form]')) { hidePreview(); status('Changed since the preview: preview again.') }
  })
})()
`
