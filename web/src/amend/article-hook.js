// The amendments part of the article editor: how many amendments the article has (a link
// to them), "Propose an amendment", and the "amendments only" phase — a banner, and a
// locked editor for everyone but the facilitators, switched live by `phase` events.
// Facilitators also get the control that sets this article's phase.
import '../css/amendments.css'
import { amendmentApi, amendmentPath, mayTakePart, proposeDialog } from './common.js'
import { groupBadge, groupName } from './subgroups.js'
import { api, charterPath, errorText } from '../lib/api.js'
import { announce, h, fill, held } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import { latestOnly } from '../lib/reconnect.js'

/**
 * `onChange()` runs when the lock changes (a phase event): the editor then asks
 * `locked()` again. `update(charter, me)` after every load of the charter; `gone()` once
 * the article is deleted.
 */
export function articleAmendments({ session, slug, key, language, onChange }) {
  const state = { charter: null, me: null, phase: 'open', count: null, gone: false }
  const banner = h('div', { class: 'phase-banner', hidden: true })
  const countLink = h('a', { href: amendmentPath.list(slug, { article: key }) })
  const propose = h('button', { type: 'button', class: 'secondary' }, t('amend_propose'))
  const followOption = h('option', { value: 'follow' })
  const phaseSelect = h('select', { id: 'article-phase', name: 'phase' },
    followOption, h('option', { value: 'open' }, t('phase_open')), h('option', { value: 'amendments' }, t('phase_amendments')))
  const phaseChoice = held(phaseSelect)
  const phaseForm = h('form', { class: 'inline-form phase-form', hidden: true },
    h('label', { for: 'article-phase' }, h('span', { class: 'label-text' }, t('phase_article_label')), phaseSelect),
    h('button', { type: 'submit', class: 'secondary' }, t('phase_apply')))
  const errorEl = h('p', { class: 'error', role: 'alert' })
  const groupLink = h('p', { class: 'group-draft-link', hidden: true }) // "your group's draft"
  const el = h('div', { class: 'article-amendments' },
    banner, h('p', { class: 'amend-row' }, countLink, ' ', propose), phaseForm, errorEl)

  const locked = () => state.phase === 'amendments' && !(state.me && state.me.role === 'facilitator')

  function open() {
    if (state.charter) proposeDialog({ slug, charter: state.charter, articleKey: key, language })
  }
  propose.addEventListener('click', open)

  function render() {
    const me = state.me
    // In the amendments phase the banner carries the button: one is enough. A deleted
    // article takes no amendment (its existing ones stay listed).
    propose.hidden = state.gone || !mayTakePart(me) || (state.phase === 'amendments' && me.role !== 'facilitator')
    fill(countLink, state.count === null ? t('amend_see')
      : state.count.all === 0 ? t('amend_article_none')
        : tn('amend_article_count', state.count.all, { open: state.count.open }))
    if (state.phase === 'amendments' && !state.gone) {
      const button = h('button', { type: 'button', onclick: open }, t('amend_propose'))
      banner.hidden = false
      if (me && me.role === 'facilitator') fill(banner, h('p', null, t('phase_banner_facilitator')))
      else if (mayTakePart(me)) fill(banner, h('p', null, t('phase_banner')), h('p', null, button))
      else fill(banner, h('p', null, t('phase_banner_reader')))
    } else {
      banner.hidden = true
    }
    renderPhaseForm()
  }

  function renderPhaseForm() {
    const facilitator = state.me && state.me.role === 'facilitator' && !state.gone
    phaseForm.hidden = !facilitator
    if (!facilitator) return
    const charterPhase = t(`phase_${state.charter.phase || 'open'}`)
    followOption.textContent = t('phase_follow', { phase: charterPhase })
    // The charter JSON gives the article's effective phase: when it differs from the
    // charter's, the article has its own.
    phaseChoice.show(state.phase === (state.charter.phase || 'open') ? 'follow' : state.phase)
  }

  phaseForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    errorEl.textContent = ''
    const value = phaseSelect.value === 'follow' ? null : phaseSelect.value
    try {
      await api('PUT', `${charterPath(slug)}/articles/${encodeURIComponent(key)}/phase`, { phase: value })
      phaseChoice.done()
      announce(t('phase_done'))
    } catch (error) {
      errorEl.textContent = errorText(error)
    }
  })

  // Loads overlap (each `amendment` event's, a reconnection's): only the latest is shown.
  const askCount = latestOnly(() => api('GET', `${amendmentApi.list(slug)}?article=${encodeURIComponent(key)}`))
  async function loadCount() {
    try {
      const answer = await askCount()
      if (!answer) return // a later load is under way
      const { amendments } = answer
      state.count = { all: amendments.length, open: amendments.filter((a) => a.status === 'open').length }
      showGroupDraft(amendments)
      render()
    } catch {
      // the link still leads to the list
    }
  }

  function showGroupDraft(amendments) {
    const mine = state.me && state.me.participant_id
    const draft = amendments.find((a) => a.group && a.group.status === 'open' && a.co_authors.includes(mine))
    groupLink.hidden = !draft
    if (draft) {
      fill(groupLink, groupBadge(draft.group), ' ',
        h('a', { href: amendmentPath.one(slug, draft.id) }, t('group_your_draft', { name: groupName(draft.group) })))
    }
  }

  function setPhase(charter) {
    const article = charter.sections.flatMap((s) => s.articles).find((a) => a.id === key)
    const before = locked()
    const previous = state.phase
    state.charter = charter
    state.phase = (article && article.phase) || charter.phase || 'open'
    render()
    if (previous !== state.phase || before !== locked()) onChange()
    return previous !== state.phase
  }

  session.on('phase', async (event) => {
    if (!state.charter || (event.article && event.article !== key)) return
    try {
      // A charter-wide change does not say whether this article has its own phase: ask.
      const charter = await api('GET', charterPath(slug))
      if (setPhase(charter)) announce(state.phase === 'amendments' ? t('phase_now_amendments') : t('phase_now_open'))
    } catch (error) {
      errorEl.textContent = errorText(error)
    }
  })
  session.on('amendment', (event) => {
    if (event.amendment.article === key) loadCount()
  })

  return {
    el,
    groupEl: groupLink, // placed after the editor (the text stays within a few Tab presses)
    locked,
    gone() {
      state.gone = true
      if (state.charter) render()
    },
    update(charter, me) {
      state.me = me
      setPhase(charter)
      loadCount() // also after a reconnection: events may have been missed
    },
  }
}
