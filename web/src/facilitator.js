// The facilitator's tools on the charter page, loaded only for facilitators: shape the
// outline (add, rename, reorder, move, delete), choose what the projector shows, invite
// people (with a QR code to show in the room) and change their roles, and set the charter's
// licence and open data. Every change goes through the JSON API; the server pushes the new
// outline to everyone.
import QRCode from 'qrcode'
import { api, charterPath } from './lib/api.js'
import { announce, h, fill } from './lib/dom.js'
import { formatDate } from './lib/dates.js'
import { t, tn } from './lib/i18n.js'
import { pagePath, shellData } from './lib/page.js'
import { personLabel } from './lib/presence.js'
import { phasePanel } from './amend/phase-panel.js'

const ROLES = ['facilitator', 'editor', 'commenter', 'reader']

export function installTools({ state, session, side, outlineEnd, onChange, onError }) {
  const { slug } = shellData()
  const base = charterPath(slug)
  const tools = { busy: false }
  const sectionTools = new Map()
  const articleTools = new Map()

  /** Run one change; the answer (the updated charter) is applied at once. */
  async function act(change, said) {
    tools.busy = true
    onError(null)
    try {
      const charter = await change()
      if (charter && charter.sections) onChange(charter)
      if (said) announce(said)
      return true
    } catch (error) {
      onError(error)
      return false
    } finally {
      tools.busy = false
    }
  }

  const charter = () => state.charter
  const sectionOf = (key) => charter().sections.find((s) => s.articles.some((a) => a.id === key))

  function moved(list, index, delta) {
    const order = [...list]
    const [item] = order.splice(index, 1)
    order.splice(index + delta, 0, item)
    return order
  }

  // Adding answers only the new item and pushes nothing: a no-op reorder of the
  // fresh outline pushes it to everyone and answers the whole charter.
  async function pushSections() {
    const fresh = await api('GET', base)
    return api('PUT', `${base}/sections/order`, { order: fresh.sections.map((s) => s.id) })
  }
  async function pushArticles(sectionId) {
    const fresh = await api('GET', base)
    const section = fresh.sections.find((s) => s.id === sectionId)
    return api('PUT', `${base}/sections/${sectionId}/order`, { order: section.articles.map((a) => a.id) })
  }

  // -- small form helpers

  function titleForm(labelText, buttonText, onSubmit, { value = '' } = {}) {
    const input = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, value, autocomplete: 'off' })
    const form = h('form', { class: 'inline-form' },
      h('label', null, h('span', { class: 'label-text' }, labelText), input),
      h('button', { type: 'submit' }, buttonText))
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      const title = input.value.trim()
      if (!title) {
        input.setAttribute('aria-invalid', 'true')
        onError({ status: 422, field: 'title' })
        input.focus()
        return
      }
      input.removeAttribute('aria-invalid')
      await onSubmit(title)
    })
    return { form, input }
  }

  function button(text, onClick, { danger = false, hiddenText = '' } = {}) {
    const el = h('button', { type: 'button', class: danger ? 'danger' : 'secondary' },
      text, hiddenText ? h('span', { class: 'visually-hidden' }, hiddenText) : null)
    el.addEventListener('click', () => {
      if (el.getAttribute('aria-disabled') === 'true') return
      onClick()
    })
    return el
  }

  function setEnabled(el, enabled) {
    // aria-disabled keeps the button focusable: focus is not lost when it stops applying.
    if (enabled) el.removeAttribute('aria-disabled')
    else el.setAttribute('aria-disabled', 'true')
  }

  function disclosure(summaryText, hiddenText, ...content) {
    const titleSpan = h('span', { class: 'visually-hidden' })
    titleSpan.textContent = hiddenText
    const details = h('details', { class: 'tools' },
      h('summary', null, summaryText, titleSpan),
      h('div', { class: 'tools-body' }, content))
    return { details, titleSpan }
  }

  // -- section tools

  function decorateSection(view, index, count) {
    const section = view.data
    let tool = sectionTools.get(section.id)
    if (!tool) {
      const rename = titleForm(t('section_title_label'), t('rename'), (title) =>
        act(() => api('PATCH', `${base}/sections/${section.id}`, { title }), t('done_renamed')))
      const up = button(t('move_up'), () => moveSection(section.id, -1))
      const down = button(t('move_down'), () => moveSection(section.id, +1))
      const remove = button(t('delete_section'), () => deleteSection(section.id), { danger: true })
      const add = titleForm(t('new_article_label'), t('add_article'), async (title) => {
        const ok = await act(async () => {
          await api('POST', `${base}/sections/${section.id}/articles`, { title })
          return pushArticles(section.id)
        }, t('done_added'))
        if (ok) add.input.value = ''
        return ok
      })
      const { details, titleSpan } = disclosure(t('organise_section'), '',
        rename.form, h('div', { class: 'button-row' }, up, down, remove), add.form)
      tool = { details, titleSpan, rename, up, down }
      view.toolsSlot.append(details)
      sectionTools.set(section.id, tool)
    }
    tool.titleSpan.textContent = `: ${section.title}`
    if (document.activeElement !== tool.rename.input) tool.rename.input.value = section.title
    setEnabled(tool.up, index > 0)
    setEnabled(tool.down, index < count - 1)
  }

  function moveSection(id, delta) {
    const ids = charter().sections.map((s) => s.id)
    const index = ids.indexOf(id)
    if (index + delta < 0 || index + delta >= ids.length) return
    act(() => api('PUT', `${base}/sections/order`, { order: moved(ids, index, delta) }),
      delta < 0 ? t('done_moved_up') : t('done_moved_down'))
  }

  async function deleteSection(id) {
    const section = charter().sections.find((s) => s.id === id)
    if (!section || !window.confirm(t('confirm_delete_section', { title: section.title }))) return
    const ok = await act(() => api('DELETE', `${base}/sections/${id}`), t('done_deleted'))
    if (ok) document.querySelector('main h1')?.focus()
  }

  // -- article tools

  function decorateArticle(view, section, index, count) {
    const article = view.data
    let tool = articleTools.get(article.id)
    if (!tool) {
      const key = article.id
      const rename = titleForm(t('article_title_label'), t('rename'), (title) =>
        act(() => api('PATCH', `${base}/articles/${key}`, { title }), t('done_renamed')))
      const up = button(t('move_up'), () => moveArticle(key, -1))
      const down = button(t('move_down'), () => moveArticle(key, +1))
      const target = h('select', { name: 'section' })
      const moveForm = h('form', { class: 'inline-form' },
        h('label', null, h('span', { class: 'label-text' }, t('move_to_section')), target),
        h('button', { type: 'submit', class: 'secondary' }, t('move')))
      moveForm.addEventListener('submit', (event) => {
        event.preventDefault()
        const sectionId = Number(target.value)
        if (sectionId === sectionOf(key)?.id) return
        act(() => api('PATCH', `${base}/articles/${key}`, { section_id: sectionId }), t('done_moved'))
      })
      const project = button('', () => {
        const next = charter().projector === key ? null : key
        act(async () => {
          await api('PUT', `${base}/projector`, { article: next })
          state.charter.projector = next
          tools.render(state)
        }, next ? t('done_projected') : t('done_unprojected'))
      })
      const remove = button(t('delete_article'), () => deleteArticle(key), { danger: true })
      const { details, titleSpan } = disclosure(t('organise_article'), '',
        rename.form, h('div', { class: 'button-row' }, up, down, project, remove), moveForm)
      tool = { details, titleSpan, rename, up, down, target, project }
      view.toolsSlot.append(details)
      articleTools.set(key, tool)
    }
    tool.titleSpan.textContent = `: ${article.title}`
    if (document.activeElement !== tool.rename.input) tool.rename.input.value = article.title
    setEnabled(tool.up, index > 0)
    setEnabled(tool.down, index < count - 1)
    if (document.activeElement !== tool.target) {
      fill(tool.target, charter().sections.map((s) =>
        h('option', { value: String(s.id), selected: s.id === section.id }, s.title)))
    }
    fill(tool.project, charter().projector === article.id ? t('unproject') : t('project'))
  }

  function moveArticle(key, delta) {
    const section = sectionOf(key)
    if (!section) return
    const keys = section.articles.map((a) => a.id)
    const index = keys.indexOf(key)
    if (index + delta < 0 || index + delta >= keys.length) return
    act(() => api('PUT', `${base}/sections/${section.id}/order`, { order: moved(keys, index, delta) }),
      delta < 0 ? t('done_moved_up') : t('done_moved_down'))
  }

  async function deleteArticle(key) {
    const section = sectionOf(key)
    const article = section?.articles.find((a) => a.id === key)
    if (!article || !window.confirm(t('confirm_delete_article', { title: article.title }))) return
    const ok = await act(() => api('DELETE', `${base}/articles/${key}`), t('done_deleted'))
    if (ok) document.getElementById(`section-${section.id}-title`)?.focus()
  }

  // -- add a section (below the outline)

  const addSection = titleForm(t('new_section_label'), t('add_section'), async (title) => {
    const ok = await act(async () => {
      await api('POST', `${base}/sections`, { title })
      return pushSections()
    }, t('done_added'))
    if (ok) addSection.input.value = ''
    return ok
  })
  const addSectionBox = h('div', { class: 'add-section box' }, addSection.form)
  outlineEnd.append(addSectionBox)

  // -- the projector

  const projectorNow = h('p')
  const clearProjector = button(t('clear_projector'), () =>
    act(async () => {
      await api('PUT', `${base}/projector`, { article: null })
      state.charter.projector = null
      tools.render(state)
    }, t('done_unprojected')))
  const projectorBox = h('section', { class: 'box', 'aria-labelledby': 'projector-title' },
    h('h2', { id: 'projector-title' }, t('projector_title')),
    projectorNow,
    h('p', { class: 'button-row' },
      h('a', { class: 'button secondary', href: pagePath.projector(slug), target: '_blank', rel: 'noopener' },
        t('open_projector'), h('span', { class: 'visually-hidden' }, ` (${t('new_window')})`)),
      clearProjector),
    h('p', { class: 'hint' }, t('projector_hint')))

  function renderProjector() {
    const key = charter().projector
    const article = key && charter().sections.flatMap((s) => s.articles).find((a) => a.id === key)
    fill(projectorNow, article
      ? [t('projector_showing'), ' ', h('strong', { lang: shellData().language }, article.title)]
      : t('projector_nothing'))
    setEnabled(clearProjector, Boolean(article))
  }

  // -- invitations, with a QR code to show in the room

  const invites = invitesPanel({ base, onError })
  const participants = participantsPanel({ base, onError, session })
  const phase = phasePanel({ base, state, session, onError })
  const settings = settingsPanel({ base, onError })
  side.append(projectorBox, phase.el, invites.el, participants.el, settings.el)

  tools.render = (current) => {
    const sections = current.charter.sections
    sections.forEach((section, i) => {
      decorateSection(current.sections.get(section.id), i, sections.length)
      section.articles.forEach((article, j) => {
        decorateArticle(current.articles.get(article.id), section, j, section.articles.length)
      })
    })
    for (const id of [...sectionTools.keys()]) if (!current.sections.has(id)) sectionTools.delete(id)
    for (const key of [...articleTools.keys()]) if (!current.articles.has(key)) articleTools.delete(key)
    renderProjector()
    phase.render()
  }
  tools.remove = () => {
    for (const tool of [...sectionTools.values(), ...articleTools.values()]) tool.details.remove()
    addSectionBox.remove()
    projectorBox.remove()
    invites.el.remove()
    participants.remove()
    phase.remove()
    settings.el.remove()
  }
  return tools
}

function invitesPanel({ base, onError }) {
  const role = h('select', { name: 'role' },
    ['editor', 'commenter', 'reader', 'facilitator'].map((r) => h('option', { value: r }, t(`role_${r}`))))
  const label = h('input', { type: 'text', name: 'label', maxlength: 100, autocomplete: 'off' })
  const hours = h('input', { type: 'number', name: 'hours', min: 1, step: 1, inputmode: 'numeric' })
  const uses = h('input', { type: 'number', name: 'uses', min: 1, step: 1, inputmode: 'numeric' })
  const field = (text, input, hint) => h('label', null, h('span', { class: 'label-text' }, text),
    hint ? h('span', { class: 'hint' }, hint) : null, input)
  const form = h('form', { class: 'stack' },
    field(t('invite_role'), role),
    field(t('invite_label'), label, t('invite_label_hint')),
    field(t('invite_hours'), hours),
    field(t('invite_uses'), uses),
    h('button', { type: 'submit' }, t('create_invite')))
  const list = h('ul', { class: 'invite-list' })
  const dialog = qrDialog()
  const el = h('section', { class: 'box invites', 'aria-labelledby': 'invites-title' },
    h('h2', { id: 'invites-title' }, t('invites_title')),
    h('details', { class: 'tools' }, h('summary', null, t('new_invite')), h('div', { class: 'tools-body' }, form)),
    list, dialog.el)

  async function load() {
    try {
      const { invites } = await api('GET', `${base}/invites`)
      render(invites.filter((i) => !i.revoked))
    } catch (error) {
      onError(error)
    }
  }

  function render(invites) {
    fill(list, invites.length ? invites.map(inviteItem) : h('li', { class: 'empty' }, t('no_invites')))
  }

  function inviteItem(invite) {
    const link = h('input', { type: 'text', readonly: true, value: invite.link, class: 'link-field' })
    const title = invite.label || t(`role_${invite.role}`)
    const facts = [t(`role_${invite.role}`),
      invite.max_uses ? t('invite_used_of', { uses: invite.uses, max: invite.max_uses }) : tn('invite_used', invite.uses)]
    if (invite.expires_at) facts.push(t('invite_until', { date: formatDate(invite.expires_at) }))
    const copy = h('button', { type: 'button', class: 'secondary' }, t('copy_link'))
    copy.addEventListener('click', async () => {
      if (await copyText(link)) announce(t('copied'))
    })
    const show = h('button', { type: 'button' }, t('show_qr'))
    show.addEventListener('click', () => dialog.open(invite, show))
    const revoke = h('button', { type: 'button', class: 'danger' }, t('revoke'))
    revoke.addEventListener('click', async () => {
      if (!window.confirm(t('confirm_revoke'))) return
      try {
        await api('DELETE', `${base}/invites/${invite.id}`)
        announce(t('done_revoked'))
        await load()
        el.querySelector('h2').focus()
      } catch (error) {
        onError(error)
      }
    })
    return h('li', { class: 'invite' },
      h('p', null, h('strong', null, title), ' — ', facts.join(' · ')),
      h('label', null, h('span', { class: 'label-text' }, t('invite_link')), link),
      h('div', { class: 'button-row' }, show, copy, revoke))
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = { role: role.value }
    if (label.value.trim()) body.label = label.value.trim()
    if (hours.value) body.expires_in_hours = Number(hours.value)
    if (uses.value) body.max_uses = Number(uses.value)
    onError(null)
    try {
      const invite = await api('POST', `${base}/invites`, body)
      label.value = ''
      announce(t('done_invite'))
      await load()
      dialog.open(invite, form.querySelector('button'))
    } catch (error) {
      onError(error)
    }
  })
  el.querySelector('h2').tabIndex = -1
  load()
  return { el }
}

function qrDialog() {
  const heading = h('h2', { id: 'qr-title' })
  const canvas = h('canvas', { class: 'qr', role: 'img' })
  const linkText = h('p', { class: 'qr-link' })
  const close = h('button', { type: 'button' }, t('close'))
  const el = h('dialog', { class: 'qr-dialog', 'aria-labelledby': 'qr-title' },
    heading, h('p', { class: 'qr-hint' }, t('qr_hint')), canvas, linkText, close)
  let returnTo = null
  close.addEventListener('click', () => el.close())
  el.addEventListener('close', () => returnTo?.focus())
  return {
    el,
    async open(invite, opener) {
      returnTo = opener
      heading.textContent = t('qr_title', { role: t(`role_${invite.role}`) })
      canvas.setAttribute('aria-label', t('qr_label', { role: t(`role_${invite.role}`) }))
      linkText.textContent = invite.link
      await QRCode.toCanvas(canvas, invite.link, { errorCorrectionLevel: 'M', margin: 2, width: 512 })
      el.showModal()
      close.focus()
    },
  }
}

function participantsPanel({ base, onError, session }) {
  const list = h('ul', { class: 'participant-list' })
  const reload = h('button', { type: 'button', class: 'secondary' }, t('refresh'))
  const el = h('section', { class: 'box participants', 'aria-labelledby': 'participants-title' },
    h('h2', { id: 'participants-title' }, t('participants_title')),
    h('p', { class: 'hint' }, t('participants_hint')),
    list, reload)

  async function load() {
    try {
      const { participants } = await api('GET', `${base}/participants`)
      render(participants)
    } catch (error) {
      onError(error)
    }
  }

  function render(participants) {
    const focusedId = document.activeElement?.closest?.('.participant')?.dataset.id
    const focusedClass = document.activeElement?.dataset?.control
    fill(list, participants.map(participantItem))
    if (focusedId && focusedClass) {
      list.querySelector(`.participant[data-id="${CSS.escape(focusedId)}"] [data-control="${focusedClass}"]`)?.focus()
    }
  }

  function participantItem(p) {
    const select = h('select', { dataset: { control: 'role' } },
      ROLES.map((r) => h('option', { value: r, selected: r === p.role }, t(`role_${r}`))))
    select.addEventListener('change', () => update(p, { role: select.value }, t('done_role', { name: p.name })))
    const block = h('button', { type: 'button', class: p.blocked ? 'secondary' : 'danger', dataset: { control: 'block' } },
      p.blocked ? t('unblock') : t('block'), h('span', { class: 'visually-hidden' }, `: ${p.name}`))
    block.addEventListener('click', () => {
      if (!p.blocked && !window.confirm(t('confirm_block', { name: p.name }))) return
      update(p, { blocked: !p.blocked }, p.blocked ? t('done_unblocked') : t('done_blocked'))
    })
    const status = p.blocked ? t('blocked') : (p.connections > 0 ? t('connected_now') : t('not_connected'))
    return h('li', { class: 'participant', dataset: { id: String(p.id) } },
      h('p', null, personLabel({ name: p.name, color: p.color, badge: p.badge }), ' ',
        h('span', { class: 'hint' }, status)),
      h('label', null, h('span', { class: 'label-text' }, t('role_label'),
        h('span', { class: 'visually-hidden' }, ` — ${p.name}`)), select),
      block)
  }

  async function update(p, change, said) {
    onError(null)
    try {
      await api('PATCH', `${base}/participants/${p.id}`, change)
      announce(said)
    } catch (error) {
      // The one conflict here: demoting or blocking the last facilitator.
      if (error.status === 409) error.textKey = 'error_last_facilitator'
      onError(error)
    }
    await load()
  }

  reload.addEventListener('click', load)
  let timer = null
  const off = session.on('presence', () => {
    clearTimeout(timer)
    timer = setTimeout(load, 1500) // someone came or left: connection counts changed
  })
  load()
  return { el, remove: () => { off(); el.remove() } }
}

// -- the charter's settings: the licence of its published text, and whether the open-data
// file (the JSON export) also carries the discussion, names included

function settingsPanel({ base, onError }) {
  const licence = h('select', { id: 'charter-licence', name: 'licence', disabled: true,
    'aria-describedby': 'charter-licence-hint' })
  const licenceLink = h('a', { target: '_blank', rel: 'noopener' })
  const linkLine = h('p', { class: 'licence-link', hidden: true }, licenceLink)
  const discussion = h('input', { type: 'checkbox', id: 'charter-discussion', name: 'open_data_discussion',
    disabled: true, 'aria-describedby': 'charter-discussion-warning' })
  const savedNote = h('p', { class: 'hint' }) // seen; the live region says it to screen readers
  const form = h('form', { class: 'stack' },
    h('div', null,
      h('label', { for: 'charter-licence' }, h('span', { class: 'label-text' }, t('settings_licence'))),
      h('p', { class: 'hint', id: 'charter-licence-hint' }, t('settings_licence_hint')),
      licence, linkLine),
    h('div', null,
      h('label', { class: 'check', for: 'charter-discussion' }, discussion, h('span', null, t('settings_discussion'))),
      h('p', { class: 'warning-text', id: 'charter-discussion-warning' }, t('settings_discussion_warning'))),
    h('button', { type: 'submit' }, t('settings_save')),
    savedNote)
  const heading = h('h2', { id: 'charter-settings-title', tabindex: -1 }, t('settings_title'))
  const el = h('section', { class: 'box charter-settings', 'aria-labelledby': 'charter-settings-title' },
    heading, form)
  let current = null
  let busy = false

  function showLink() {
    const chosen = current?.licences.find((l) => l.id === licence.value)
    linkLine.hidden = !chosen?.url
    if (!chosen?.url) return
    licenceLink.href = chosen.url
    fill(licenceLink, t('settings_licence_read', { name: chosen.name }),
      h('span', { class: 'visually-hidden' }, ` (${t('new_window')})`))
  }

  function render(settings) {
    current = settings
    const known = settings.licences.some((l) => l.id === settings.licence)
    // A licence stored before the list existed is shown as it is, until someone changes it.
    const options = known ? settings.licences : [...settings.licences, { id: settings.licence, name: settings.licence }]
    fill(licence, options.map((l) => h('option', { value: l.id, selected: l.id === settings.licence }, l.name)))
    licence.value = settings.licence
    discussion.checked = settings.open_data_discussion
    licence.disabled = false
    discussion.disabled = false
    showLink()
  }

  async function load() {
    try {
      render(await api('GET', `${base}/settings`))
    } catch (error) {
      onError(error)
    }
  }

  licence.addEventListener('change', () => { showLink(); savedNote.textContent = '' })
  discussion.addEventListener('change', () => { savedNote.textContent = '' })
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (busy || !current) return
    const change = { open_data_discussion: discussion.checked }
    if (licence.value !== current.licence) change.licence = licence.value
    busy = true
    onError(null)
    try {
      render(await api('PATCH', `${base}/settings`, change))
      savedNote.textContent = t('settings_saved')
      announce(t('settings_saved'))
    } catch (error) {
      onError(error)
    } finally {
      busy = false
    }
  })
  load()
  return { el }
}

async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value)
    return true
  } catch {
    // Not a secure context (a workshop server on plain http): select it for Ctrl+C.
    input.focus()
    input.select()
    return document.execCommand && document.execCommand('copy')
  }
}
