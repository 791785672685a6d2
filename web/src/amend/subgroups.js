// Sub-groups of one article (the amendments page, filtered by article): each group's
// letter, name, colour and members, a link to its draft; for facilitators, making groups,
// changing their name, colour and members, closing one, showing the drafts side by side on
// the projector, and merging them into the live article as one step (overlaps chosen as for
// a bundle). A group is always named by its letter and name too, never by colour alone.
import '../css/bundles.css'
import { api, charterPath, errorText } from '../lib/api.js'
import { announce, fill, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { latestOnly } from '../lib/reconnect.js'
import { acceptDialog } from './bundles.js'
import { amendmentPath, field, missing, openDialog } from './common.js'

export const groupApi = {
  list: (slug, key) => `${charterPath(slug)}/articles/${encodeURIComponent(key)}/subgroups`,
  board: (slug, key) => `${charterPath(slug)}/articles/${encodeURIComponent(key)}/subgroups/board`,
  merge: (slug, key) => `${charterPath(slug)}/articles/${encodeURIComponent(key)}/subgroups/merge`,
  one: (slug, id) => `${charterPath(slug)}/subgroups/${encodeURIComponent(id)}`,
}

/** The group's letter in a bordered mark of its colour: "A". */
export function groupBadge(group) {
  const badge = h('span', { class: 'group-letter', 'aria-hidden': 'true' }, group.letter)
  badge.style.setProperty('--group', group.hex)
  badge.style.setProperty('--group-tint', group.tint)
  return badge
}

export function groupName(group) {
  return t('group_named', { letter: group.letter, name: group.name })
}

export function subgroupPanel({ slug, language }) {
  const state = { key: null, me: null, groups: [], palette: [], people: null }
  const listEl = h('ul', { class: 'group-list' })
  const errorEl = h('p', { class: 'error', role: 'alert' })
  const makeButton = h('button', { type: 'button', class: 'secondary' }, t('group_make'))
  const projectButton = h('button', { type: 'button', class: 'secondary' }, t('groups_project'))
  const mergeButton = h('button', { type: 'button' }, t('groups_merge'))
  const tools = h('div', { class: 'button-row', hidden: true }, makeButton, projectButton, mergeButton)
  const el = h('section', { class: 'group-panel', 'aria-labelledby': 'groups-title', hidden: true },
    h('h2', { id: 'groups-title' }, t('groups_title')), h('p', { class: 'hint' }, t('groups_intro')),
    listEl, errorEl, tools)
  const facilitator = () => Boolean(state.me && state.me.role === 'facilitator')

  function render() {
    const open = state.groups.filter((g) => g.status === 'open')
    el.hidden = !state.key || (!state.groups.length && !facilitator())
    tools.hidden = !facilitator()
    projectButton.hidden = mergeButton.hidden = !open.length
    fill(listEl, state.groups.length ? state.groups.map(item) : h('li', { class: 'empty' }, t('groups_none')))
  }

  function item(group) {
    const members = group.members.map((m) => m.name).join(', ') || t('group_no_members')
    const row = h('li', { class: 'group-item', dataset: { letter: group.letter, status: group.status } },
      groupBadge(group), ' ',
      h('a', { href: amendmentPath.one(slug, group.amendment), lang: language },
        t('group_draft_of', { name: groupName(group) })),
      ' ', h('span', { class: `status status-${group.status === 'open' ? 'open' : group.status === 'merged' ? 'accepted' : 'withdrawn'}` },
        t(`group_status_${group.status}`)),
      h('p', { class: 'meta' }, t('group_members', { names: members })))
    row.style.setProperty('--group', group.hex)
    if (facilitator() && group.status === 'open') {
      row.append(h('p', { class: 'button-row' },
        h('button', { type: 'button', class: 'secondary small', 'aria-label': t('group_change_label', { name: groupName(group) }),
          onclick: () => groupDialog(group) }, t('group_change')),
        h('button', { type: 'button', class: 'secondary small', 'aria-label': t('group_close_label', { name: groupName(group) }),
          onclick: () => closeGroup(group) }, t('group_close'))))
    }
    return row
  }

  async function people() {
    if (!state.people) {
      const { participants } = await api('GET', `${charterPath(slug)}/participants`)
      state.people = participants.filter((p) => ['facilitator', 'editor', 'commenter'].includes(p.role) && !p.blocked)
    }
    return state.people
  }

  async function groupDialog(group = null) {
    let everyone
    try {
      everyone = await people()
    } catch (error) {
      errorEl.textContent = errorText(error)
      return
    }
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 80, lang: language, value: group ? group.name : '' })
    const taken = new Set(state.groups.filter((g) => g.status === 'open' && g !== group).map((g) => g.colour))
    const colour = h('select', { name: 'colour' }, state.palette.map((c) =>
      h('option', { value: c.key, selected: group ? group.colour === c.key : false }, t(`colour_${c.key}`))))
    if (!group) colour.value = (state.palette.find((c) => !taken.has(c.key)) || state.palette[0]).key
    const inGroup = new Set(group ? group.members.map((m) => m.id) : [])
    const boxes = everyone.map((p) => ({ id: p.id, box: h('input', { type: 'checkbox', name: 'members', value: String(p.id), checked: inGroup.has(p.id) }), p }))
    const members = h('fieldset', { class: 'bundle-choice' }, h('legend', null, t('group_members_legend')),
      boxes.map(({ box, p }) => h('label', { class: 'check' }, box, h('span', null, p.name))))
    openDialog({
      title: group ? t('group_change_title', { name: groupName(group) }) : t('group_make_title'),
      intro: t('group_make_intro'),
      fields: [field(t('group_name'), name), field(t('group_colour'), colour), members],
      submitText: group ? t('group_save') : t('group_make_submit'),
      onSubmit: async ({ showError }) => {
        if (!name.value.trim()) return missing(name, showError, t('group_need_name'))
        const body = { name: name.value.trim(), colour: colour.value, members: boxes.filter((b) => b.box.checked).map((b) => b.id) }
        if (group) await api('PATCH', groupApi.one(slug, group.id), body)
        else await api('POST', groupApi.list(slug, state.key), body)
        announce(group ? t('group_saved') : t('group_made', { name: body.name }))
        await show(state.key, state.me)
        return true
      },
    })
  }

  async function closeGroup(group) {
    errorEl.textContent = ''
    try {
      await api('POST', `${groupApi.one(slug, group.id)}/close`, {})
      announce(t('group_closed', { name: groupName(group) }))
      await show(state.key, state.me)
    } catch (error) {
      errorEl.textContent = errorText(error)
    }
  }

  makeButton.addEventListener('click', () => groupDialog())
  projectButton.addEventListener('click', async () => {
    errorEl.textContent = ''
    try {
      await api('PUT', `${charterPath(slug)}/projector`, { article: state.key, view: { mode: 'groups' } })
      announce(t('groups_projected'))
    } catch (error) {
      errorEl.textContent = errorText(error)
    }
  })
  mergeButton.addEventListener('click', async () => {
    errorEl.textContent = ''
    try {
      const board = await api('GET', groupApi.board(slug, state.key))
      const letter = (id) => state.groups.find((g) => g.amendment === id)
      acceptDialog({
        slug, language, key: state.key, ids: null, overlaps: board.overlaps || [],
        url: groupApi.merge(slug, state.key),
        title: t('groups_merge_title'),
        submitText: t('groups_merge'),
        versionLabel: (v) => t('group_keep', { name: groupName(letter(v.amendment)), words: t('quoted', { text: v.text }) }),
        onDone: () => show(state.key, state.me),
      })
    } catch (error) {
      errorEl.textContent = errorText(error)
    }
  })

  // Shows overlap (the page's loads, each event's): only the latest answer is shown.
  const askGroups = latestOnly((key) => api('GET', groupApi.list(slug, key)))
  async function show(key, me) {
    state.key = key
    state.me = me
    if (!key) {
      el.hidden = true
      return
    }
    try {
      const found = await askGroups(key)
      if (!found) return // a later show is under way
      state.groups = found.groups
      state.palette = found.palette
    } catch (error) {
      errorEl.textContent = errorText(error)
    }
    render()
  }
  return { el, show }
}
