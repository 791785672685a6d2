// The people of the charter: each one's role (changed here), whether they are connected
// now, block and unblock; the list follows presence (someone came or left).
import { api } from '../lib/api.js'
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
