// The people of the charter, grouped by role (facilitators first) and found by name with
// a search box (accents and case aside), so that sixty people stay manageable: each one's
// role (changed here; taking rights away asks first), whether they are connected now,
// their name (corrected here, facilitator/rename.js), block (asks first) and unblock. The
// list follows presence (someone came or left), keeping the search and the focus.
import { api } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import { personLabel } from '../lib/presence.js'
import { renamer } from './rename.js'

const ROLES = ['facilitator', 'editor', 'commenter', 'reader']

/** A name as the search compares it: without accents or case. */
const plain = (text) => text.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase()

export function participantsPanel({ base, onError, session }) {
  const search = h('input', { type: 'search', id: 'participants-search', autocomplete: 'off', spellcheck: 'false' })
  const count = h('p', { class: 'participants-count hint', role: 'status' })
  const groups = h('div', { class: 'participant-groups' })
  const empty = h('p', { class: 'participants-empty empty', hidden: true })
  const reload = h('button', { type: 'button', class: 'secondary' }, t('refresh'))
  const el = h('section', { class: 'box participants', 'aria-labelledby': 'participants-title' },
    h('h2', { id: 'participants-title' }, t('participants_title')),
    h('p', { class: 'hint' }, t('participants_hint')),
    h('p', { class: 'participants-search' },
      h('label', { for: 'participants-search', class: 'label-text' }, t('participants_search')), search),
    count, groups, empty, reload)
  let everyone = []
  const rename = renamer({ base, onError, reload: load, redraw: render, focusControl })

  async function load() {
    try {
      everyone = (await api('GET', `${base}/participants`)).participants
      render()
    } catch (error) {
      onError(error)
    }
  }

  function render() {
    const focused = document.activeElement
    const focusedId = focused?.closest?.('.participant')?.dataset.id
    const control = focused?.dataset?.control
    const query = plain(search.value.trim())
    const found = everyone.filter((p) => plain(p.name).includes(query))
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }))
    fill(groups, ROLES.map((role) => group(role, found.filter((p) => p.role === role))))
    count.textContent = query
      ? tn('participants_found', found.length, { total: everyone.length })
      : tn('participants_total', everyone.length)
    empty.hidden = found.length > 0 || !query
    empty.textContent = t('participants_none', { query: search.value.trim() })
    if (focusedId && control) focusControl(focusedId, control)
  }

  /** Focus a control of a participant's entry (the list was drawn again: new elements). */
  function focusControl(id, control) {
    groups.querySelector(`.participant[data-id="${CSS.escape(String(id))}"] [data-control="${control}"]`)?.focus()
  }

  function group(role, people) {
    if (!people.length) return null
    const id = `participants-${role}`
    return h('section', { class: 'participant-group', 'aria-labelledby': id },
      h('h3', { id }, t('participants_group', { role: t(`role_${role}`), n: people.length })),
      h('ul', { class: 'participant-list' }, people.map(participantItem)))
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
    const form = rename.formOf(p.id)
    return h('li', { class: 'participant', dataset: { id: String(p.id) } },
      h('p', null, personLabel({ name: p.name, color: p.color, badge: p.badge }), ' ',
        h('span', { class: 'hint' }, status)),
      form,
      h('label', null, h('span', { class: 'label-text' }, t('role_label'),
        h('span', { class: 'visually-hidden' }, ` — ${p.name}`)), select),
      h('p', { class: 'button-row' }, form ? null : rename.button(p), block))
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

  search.addEventListener('input', render)
  reload.addEventListener('click', load)
  let timer = null
  const off = session.on('presence', () => {
    clearTimeout(timer)
    timer = setTimeout(load, 1500) // someone came or left: connection counts changed
  })
  load()
  return { el, remove: () => { off(); el.remove() } }
}
