// The projector's view of an article's sub-groups: while they write, their drafts side by
// side (each a column named by the group's letter and name, bordered in its colour, its
// changes to the live text marked); once merged, the merged text with each group's passages
// marked in its colour and with its letter. Fetched from the server now and again whenever
// the live text or a draft changes (at most every 400 ms).
import '../css/bundles.css'
import { api } from '../lib/api.js'
import { diffView } from '../lib/diff-view.js'
import { fill, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { groupApi, groupBadge, groupName } from './subgroups.js'

function dressed(el, group) {
  el.style.setProperty('--group', group.hex)
  el.style.setProperty('--group-tint', group.tint)
  return el
}

function drafting(board, language) {
  const columns = board.groups.map((group) => dressed(h('section', { class: 'group-column', dataset: { letter: group.letter } },
    h('h2', null, groupBadge(group), h('span', null, groupName(group))),
    diffView(group.hunks, { language, emptyText: t('projector_no_text') })), group))
  const overlaps = board.overlaps.length
    ? h('p', { class: 'groups-overlaps', lang: language }, t('groups_board_overlaps', {
      list: board.overlaps.map((o) => [o.base ? t('quoted', { text: o.base }) : t('bundle_at_same_place'), ' → ',
        o.versions.map((v) => `${v.live ? t('bundle_live_short') : v.letter} ${t('quoted', { text: v.text })}`).join(', ')].join('')).join(' · '),
    }))
    : null
  return [h('div', { class: 'groups-board' }, columns), overlaps]
}

function merged(board, language) {
  const groups = new Map(board.groups.map((g) => [g.letter, g]))
  return h('div', { class: 'groups-merged', lang: language }, board.segments.map((s) => {
    const group = s.group && groups.get(s.group)
    if (!group) return s.text
    return dressed(h('mark', { class: 'group-passage', dataset: { letter: group.letter } }, s.text,
      groupBadge(group), h('span', { class: 'visually-hidden' }, ` (${t('group_from', { letter: group.letter })})`)), group)
  }))
}

/** Draw the board of `key` in `bodyEl` until the returned function is called. */
export function drawGroups({ slug, key, session, entry, bodyEl, viewEl, language, onError }) {
  let alive = true
  let timer = null
  const drafts = new Map() // document name -> entry, watched while it is shown
  const again = () => {
    if (!timer && alive) timer = setTimeout(() => { timer = null; run() }, 400)
  }
  const watch = (groups) => {
    for (const group of groups) {
      if (group.status !== 'open' || drafts.has(group.document)) continue
      const draft = session.open(group.document)
      draft.text.observe(again)
      drafts.set(group.document, draft)
    }
  }
  const run = async () => {
    try {
      const board = await api('GET', groupApi.board(slug, key))
      if (!alive) return
      watch(board.groups)
      viewEl.hidden = false
      if (board.stage === 'drafting') {
        viewEl.textContent = t('groups_board_title')
        fill(bodyEl, drafting(board, language))
      } else if (board.stage === 'merged') {
        viewEl.textContent = t('groups_board_merged')
        fill(bodyEl, merged(board, language))
      } else {
        viewEl.textContent = t('groups_board_none')
        fill(bodyEl)
      }
    } catch (error) {
      if (alive) onError(error)
    }
  }
  entry.text.observe(again)
  const off = session.on('subgroup', again) // a group made, changed, closed or merged
  run()
  return () => {
    alive = false
    clearTimeout(timer)
    entry.text.unobserve(again)
    off()
    for (const [name, draft] of drafts) {
      draft.text.unobserve(again)
      session.close(name)
    }
  }
}
