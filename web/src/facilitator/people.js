// The people of the charter: each one's role (changed here), whether they are connected
// now, their name (corrected here), block and unblock; the list follows presence (someone
// came or left).
import { ApiError, api } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { personLabel } from '../lib/presence.js'

const ROLES = ['facilitator', 'editor', 'commenter', 'reader']

export function participantsPanel({ base, onError, session }) {
  const list = h('ul', { class: 'participant-list' })
  const reload = h('button', { type: 'button', class: 'secondary' }, t('refresh'))
  const el = h('section', { class: 'box participants', 'aria-labelledby': 'participants-title' },
    h('h2', { id: 'participants-title' }, t('participants_title')),
    h('p', { class: 'hint' }, t('participants_hint')),
    list, reload)
  // The name being corrected: its form is kept across redraws (the list is drawn again
  // whenever someone comes or goes), with what was typed and the focus.
  let renaming = null // { id, form, input }

  async function load() {
    try {
      const { participants } = await api('GET', `${base}/participants`)
      render(participants)
    } catch (error) {
      onError(error)
    }
  }

  let shown = []
  function render(participants) {
    shown = participants
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
    select.addEventListener('change', () => {
      // Taking rights away cuts the person's connections at once: ask first.
      const fewer = ROLES.indexOf(select.value) > ROLES.indexOf(p.role)
      if (fewer && !window.confirm(t('confirm_demote', { name: p.name, role: t(`role_${select.value}`).toLowerCase() }))) {
        select.value = p.role
        return
      }
      update(p, { role: select.value }, t('done_role', { name: p.name }))
    })
    const block = h('button', { type: 'button', class: p.blocked ? 'secondary' : 'danger', dataset: { control: 'block' } },
      p.blocked ? t('unblock') : t('block'), h('span', { class: 'visually-hidden' }, `: ${p.name}`))
    block.addEventListener('click', () => {
      if (!p.blocked && !window.confirm(t('confirm_block', { name: p.name }))) return
      update(p, { blocked: !p.blocked }, p.blocked ? t('done_unblocked') : t('done_blocked'))
    })
    const status = p.blocked ? t('blocked') : (p.connections > 0 ? t('connected_now') : t('not_connected'))
    const rename = h('button', { type: 'button', class: 'secondary', dataset: { control: 'rename' } },
      t('rename_person'), h('span', { class: 'visually-hidden' }, `: ${p.name}`))
    rename.addEventListener('click', () => startRename(p))
    const editing = renaming && renaming.id === p.id
    return h('li', { class: 'participant', dataset: { id: String(p.id) } },
      h('p', null, personLabel({ name: p.name, color: p.color, badge: p.badge }), ' ',
        h('span', { class: 'hint' }, status)),
      editing ? renaming.form : null,
      h('label', null, h('span', { class: 'label-text' }, t('role_label'),
        h('span', { class: 'visually-hidden' }, ` — ${p.name}`)), select),
      h('p', { class: 'button-row' }, editing ? null : rename, block))
  }

  function startRename(p) {
    const input = h('input', { type: 'text', name: 'name', value: p.name, maxlength: 64, autocomplete: 'off', required: true, dataset: { control: 'rename-input' } })
    const cancel = h('button', { type: 'button', class: 'secondary', dataset: { control: 'rename-cancel' } }, t('cancel'))
    const form = h('form', { class: 'inline-form rename-form' },
      h('label', null, h('span', { class: 'label-text' }, t('rename_label', { name: p.name })), input),
      h('button', { type: 'submit' }, t('rename_save')), cancel)
    renaming = { id: p.id, form, input }
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      saveRename(p, input)
    })
    cancel.addEventListener('click', () => stopRename(p.id))
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault()
        stopRename(p.id)
      }
    })
    render(shown)
    input.focus()
    input.select()
  }

  function stopRename(id) {
    renaming = null
    render(shown)
    list.querySelector(`.participant[data-id="${id}"] [data-control="rename"]`)?.focus()
  }

  async function saveRename(p, input) {
    const name = input.value.trim()
    if (!name || name === p.name) {
      if (name) stopRename(p.id)
      else {
        input.setAttribute('aria-invalid', 'true')
        onError(new ApiError(422, 'invalid', 'a name is required', 'name'))
        input.focus()
      }
      return
    }
    onError(null)
    try {
      await api('PATCH', `${base}/participants/${p.id}`, { name })
      announce(t('done_renamed_person', { name }))
      renaming = null
      await load()
      list.querySelector(`.participant[data-id="${p.id}"] [data-control="rename"]`)?.focus()
    } catch (error) {
      input.setAttribute('aria-invalid', 'true')
      onError(error)
      input.focus()
    }
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
