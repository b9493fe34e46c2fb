// The dashboard's only client code: token login, panel refresh on live-stream messages, approve/deny, expire.
// Plain browser JavaScript served inline (with a CSP nonce); there is no build step.
export const CLIENT_SCRIPT = `
(() => {
  const KEY = 'tandem.token'
  const $ = (s) => document.querySelector(s)
  let token = sessionStorage.getItem(KEY)
  // A notice's link (/incidents/<id>) opens the dashboard on that incident.
  const linked = /^\\/incidents\\/([^/]+)$/.exec(location.pathname)
  let openIncident = linked ? decodeURIComponent(linked[1]) : null
  let incidentHtml = ''
  let lastEventId = null
  let timer = null
  let streaming = false

  const setLive = (state, text) => {
    $('#live').className = 'live ' + state
    $('#live-text').textContent = text
  }
  const api = async (path, opts = {}) => {
    const headers = { Authorization: 'Bearer ' + token }
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(path, { ...opts, headers: { ...headers, ...(opts.headers || {}) } })
    if (res.status === 401) { logout('The token was refused. Enter it again.'); throw new Error('401') }
    return res
  }
  const logout = (message) => {
    sessionStorage.removeItem(KEY)
    token = null
    document.body.classList.remove('can-admin')
    $('#editor-slot').hidden = true
    $('#editor-slot').innerHTML = ''
    $('#app').hidden = true
    $('#login').hidden = false
    $('#login-error').textContent = message || ''
  }
  const errorText = async (res) => {
    try { return (await res.json()).error.message } catch { return 'HTTP ' + res.status }
  }

  async function start() {
    const res = await api('/api/v1/whoami')
    if (!res.ok) return logout(await errorText(res))
    const me = await res.json()
    document.body.classList.toggle('can-operate', me.scopes.some((s) => s === 'operate' || s === 'admin' || s === 'fence'))
    document.body.classList.toggle('can-admin', me.scopes.includes('admin'))
    $('#who').textContent = me.name + ' (' + me.scopes.join(', ') + ')'
    $('#login').hidden = true
    $('#app').hidden = false
    await refresh()
    pollConnections().catch(() => {})
    if (!streaming) stream()
  }

  // Re-rendering must not lose what a person is doing: an approval being confirmed, its reason.
  function keepState() {
    const card = document.querySelector('.approval.confirming')
    if (!card) return null
    const input = card.querySelector('input[name=reason]')
    return { id: card.dataset.approval, decision: card.dataset.decision, reason: input.value, focused: document.activeElement === input }
  }
  function restoreState(state) {
    if (!state) return
    const card = document.querySelector('[data-approval="' + CSS.escape(state.id) + '"]')
    if (!card) return
    ask(card, state.decision)
    const input = card.querySelector('input[name=reason]')
    input.value = state.reason
    if (state.focused) input.focus()
  }

  async function refresh() {
    const res = await api('/ui/panels')
    if (!res.ok) { setLive('off', await errorText(res)); return }
    const html = await res.text()
    const state = keepState()
    $('#panels').innerHTML = html
    restoreState(state)
    $('#incident-slot').innerHTML = incidentHtml
    const cluster = $('#cluster-name')
    $('#cluster').textContent = cluster && cluster.textContent ? cluster.textContent : ''
    $('#updated').textContent = 'updated ' + new Date().toLocaleTimeString()
    showConnections()
    if (openIncident) await loadIncident(openIncident)
  }

  // Live connection counts (never stored): read from the directors every few seconds, like
  // watching \`ipvsadm -L\`, and written into the cells next to the weights.
  let connections = null
  function showConnections() {
    if (!connections) return
    for (const cell of document.querySelectorAll('[data-conns]')) {
      const [service, node] = cell.dataset.conns.split('/')
      const counts = (connections.services[service] || {})[node]
      cell.textContent = counts && counts.active !== null ? counts.active + ' / ' + counts.inactive : '—'
      cell.title = connections.error || 'active / inactive connections, read ' + new Date(connections.at).toLocaleTimeString()
    }
  }
  let polling = false
  async function pollConnections() {
    if (polling || !token || document.hidden || !document.querySelector('[data-conns]')) return
    polling = true
    try { await readConnections() } finally { polling = false }
  }
  async function readConnections() {
    const res = await api('/api/v1/lvs/connections')
    if (!res.ok) return
    connections = await res.json()
    showConnections()
  }
  const soon = () => { clearTimeout(timer); timer = setTimeout(() => refresh().catch(() => {}), 200) }

  async function loadIncident(id) {
    const res = await api('/ui/incidents/' + encodeURIComponent(id))
    if (!res.ok) { $('#incident-slot').textContent = await errorText(res); return }
    openIncident = id
    incidentHtml = await res.text()
    $('#incident-slot').innerHTML = incidentHtml
  }

  async function stream() {
    streaming = true
    while (token) {
      try {
        const headers = { Authorization: 'Bearer ' + token }
        if (lastEventId) headers['Last-Event-ID'] = lastEventId
        const res = await fetch('/api/v1/stream', { headers })
        if (res.status === 401) { logout('The token was refused. Enter it again.'); break }
        if (!res.ok || !res.body) throw new Error('stream ' + res.status)
        setLive('on', 'live')
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          let end
          while ((end = buffer.indexOf('\\n\\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            let type = 'message'
            for (const line of block.split('\\n')) {
              if (line.startsWith('event:')) type = line.slice(6).trim()
              else if (line.startsWith('id:')) lastEventId = line.slice(3).trim()
            }
            if (block.startsWith(':') || type === 'hello') continue
            if (type === 'unavailable') setLive('off', 'store unavailable')
            else { setLive('on', 'live'); soon() }
          }
        }
      } catch (e) {}
      if (!token) break
      setLive('off', 'reconnecting…')
      await new Promise((r) => setTimeout(r, 2000))
      soon()
    }
    streaming = false
  }

  function ask(card, decision) {
    card.classList.add('confirming')
    card.dataset.decision = decision
    const button = card.querySelector('[data-act=decide]')
    button.textContent = decision === 'approve' ? 'Confirm approve' : 'Confirm deny'
    button.className = decision === 'approve' ? 'approve' : 'deny'
  }

  async function decide(card) {
    const reason = card.querySelector('input[name=reason]').value.trim()
    const decision = card.dataset.decision
    const res = await api('/api/v1/approvals/' + encodeURIComponent(card.dataset.approval) + '/' + decision, {
      method: 'POST',
      body: JSON.stringify(reason ? { reason } : {}),
    })
    if (!res.ok) { card.querySelector('[data-role=error]').textContent = await errorText(res); return }
    card.classList.remove('confirming')
    soon()
  }

  document.addEventListener('click', async (event) => {
    const el = event.target.closest('[data-act], [data-incident]')
    if (!el) return
    const act = el.dataset.act
    const card = el.closest('.approval')
    try {
      if (act === 'ask') ask(card, el.dataset.decision)
      else if (act === 'cancel') card.classList.remove('confirming')
      else if (act === 'decide') await decide(card)
      else if (act === 'expire') {
        const res = await api('/api/v1/silences/' + encodeURIComponent(el.dataset.id), { method: 'DELETE' })
        if (res.ok) soon()
      } else if (act === 'close-incident') { openIncident = null; incidentHtml = ''; $('#incident-slot').innerHTML = '' }
      else if (act === 'logout') logout('')
      else if (el.dataset.incident) await loadIncident(el.dataset.incident)
    } catch (e) {}
  })

  $('#login-form').addEventListener('submit', (event) => {
    event.preventDefault()
    token = $('#token').value.trim()
    if (!token) return
    sessionStorage.setItem(KEY, token)
    $('#token').value = ''
    start().catch(() => {})
  })

  // The editor saved: show the site as the daemon runs it now.
  document.addEventListener('tandem:refresh', () => soon())
  setInterval(() => pollConnections().catch(() => {}), 5000)
  // Relative times ("3m ago") stay right between updates.
  setInterval(() => { if (token && !document.hidden) soon() }, 30000)
  if (token) start().catch(() => {})
  else logout('')
})()
`
