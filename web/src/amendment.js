// One amendment: its title, rationale, authors, status and history; support (for, against,
// abstain, with names); the review (its own change, what the live article would read if it
// were accepted now, conflicts said in words: what the amendment does, what the text says
// since); its text in the article editor, writable by its
// authors while it is a draft or open; the authors' and the facilitators' decisions; its
// co-authors, chosen by name; its discussion (the editor's comment threads, on the fork's
// text). Everything follows the charter's `amendment` and `comment` events, the fork's and
// the article's text.
import './css/amendments.css'
import './css/votes.css'
import {
  CHOICES, EDITABLE, amendError, amendmentApi, amendmentPath, coAuthors, field, isAuthor,
  mayTakePart, missing, openDialog, statusBadge, votesText,
} from './amend/common.js'
import { forkEditor } from './amend/fork-editor.js'
import { groupBadge, groupName } from './amend/subgroups.js'
import { articleComments } from './comments/panel.js'
import { api, errorText } from './lib/api.js'
import { formatDate } from './lib/dates.js'
import { diffView } from './lib/diff-view.js'
import { $, announce, h, fill } from './lib/dom.js'
import { t } from './lib/i18n.js'
import { loadCharter, pagePath, shellData, showMessage, startSession, topBar, showDenied } from './lib/page.js'
import { withBadge } from './lib/presence.js'
import { keepFresh, latestOnly } from './lib/reconnect.js'
import { ballotPanel } from './votes/panel.js'
import { followToggle } from './follows/panel.js'

const { slug, language } = shellData()
const id = Number(location.pathname.split('/').pop())
const session = startSession()
session.setPlace({ page: 'amendment', amendment: id })

const state = {
  charter: null, me: null, amendment: null, fork: null, watched: null,
  candidates: null, // who its authors may invite as co-authors, by name (or null: not for this viewer)
  comments: null, // the discussion panel
}

const titleEl = h('h1', { id: 'amendment-title', lang: language, tabindex: -1 })
const crumbEl = h('p', { class: 'crumb' })
const statusLine = h('p', { class: 'status-line' })
const errorEl = h('p', { class: 'error', role: 'alert' })
const rationaleEl = h('div', { class: 'rationale', lang: language })
const forkSlot = h('div')
const askNote = h('p', { class: 'hint', hidden: true })
const changeEl = h('div')
const previewEl = h('div')
const previewNote = h('p', { class: 'hint', hidden: true })
// What accepting it now would do: only while it can still be accepted.
const previewPart = h('div')
const closedNote = h('p', { class: 'hint', hidden: true })
const conflictsEl = h('div', { class: 'conflicts' })
const votesBox = h('section', { class: 'box votes', 'aria-labelledby': 'votes-title' })
const actionsBox = h('section', { class: 'box actions', 'aria-labelledby': 'actions-title', hidden: true })
const historyList = h('ol', { class: 'history' })

// -- votes: three toggle buttons kept in place (focus survives every refresh)

const voteCounts = h('p', { class: 'vote-counts' })
const myVote = h('p', { class: 'my-vote' })
const voteNote = h('p', { class: 'hint' })
const voteButtons = CHOICES.map((choice) => {
  const el = h('button', { type: 'button', class: `secondary vote vote-${choice}`, 'aria-pressed': 'false', dataset: { choice } },
    t(`choice_${choice}`))
  el.addEventListener('click', () => {
    const mine = myChoice()
    vote(mine === choice ? null : choice)
  })
  return el
})
const withdrawVote = h('button', { type: 'button', class: 'secondary', hidden: true }, t('vote_withdraw'))
withdrawVote.addEventListener('click', () => vote(null))
const voteGroup = h('div', { class: 'button-row', role: 'group', 'aria-labelledby': 'votes-title' }, voteButtons, withdrawVote)
const votersEl = h('div', { class: 'voters' })
fill(votesBox, h('h2', { id: 'votes-title' }, t('votes_title')), voteCounts, voteGroup, myVote, voteNote, votersEl)

const roomVote = ballotPanel({ session, slug }) // the room's vote, while one is open

function layout() {
  const section = (titleId, title, ...content) =>
    h('section', { class: 'amend-part', 'aria-labelledby': titleId }, h('h2', { id: titleId }, title), content)
  fill($('#main'),
    h('div', { class: 'amend-head' },
      h('p', { class: 'back' }, h('a', { href: amendmentPath.list(slug) }, `← ${t('amend_back_to_list')}`)),
      crumbEl, titleEl, statusLine, errorEl),
    h('div', { class: 'amend-layout' },
      h('div', { class: 'amend-main' },
        section('rationale-title', t('amend_rationale'), rationaleEl),
        section('review-title', t('review_title'),
          h('h3', null, t('review_change')), changeEl,
          closedNote,
          fill(previewPart, h('h3', null, t('review_preview')), previewNote, previewEl, conflictsEl)),
        section('fork-title', t('amend_text'), forkSlot, askNote)),
      h('div', { class: 'amend-side' },
        roomVote.el, votesBox, actionsBox, followToggle({ slug, kind: 'amendment', id }).el, state.comments.el,
        h('section', { class: 'box', 'aria-labelledby': 'history-title' },
          h('h2', { id: 'history-title' }, t('history_title')), historyList))))
}

const me = () => state.me
const myChoice = () => (state.me && state.amendment.choices[String(state.me.participant_id)]) || null
const mayEdit = (a) => EDITABLE.includes(a.status) && (isAuthor(a, me()) || me().role === 'facilitator')

// -- rendering

function render() {
  const a = state.amendment
  titleEl.textContent = a.group ? t('group_draft_of', { name: groupName(a.group) }) : a.title
  document.title = `${a.title} — ${t('amendments_title')} — ${state.charter.title}`
  fill(crumbEl, t('amend_of_article'), ' ', a.article.deleted
    ? h('span', { lang: language }, a.article.title, ` (${t('article_deleted_short')})`)
    : h('a', { href: pagePath.article(slug, a.article.id), lang: language }, a.article.title))
  fill(statusLine, statusBadge(a.status), ' ',
    t('amend_by', { date: formatDate(a.created_at) }), ' ', withBadge(h('strong', null, a.author), a.author_badge), authorsText(a))
  rationaleEl.textContent = a.rationale
  renderReview(a.review)
  previewPart.hidden = !EDITABLE.includes(a.status)
  closedNote.hidden = EDITABLE.includes(a.status)
  closedNote.textContent = a.status === 'accepted' ? t('review_accepted') : t('review_closed')
  renderVotes(a)
  renderActions(a)
  if (a.group) { // a sub-group's draft: merged with the others, not supported or decided alone
    fill(statusLine, groupBadge(a.group), ' ', t('group_draft_banner', { name: groupName(a.group) }))
    votesBox.hidden = actionsBox.hidden = true
  }
  fill(historyList, a.history.map((e) => h('li', null,
    h('span', { class: 'when' }, formatDate(e.at)), ' — ', h('strong', null, t(`history_${e.status}`)), ' — ',
    t('history_by'), ' ', e.by,
    e.reason ? [' — ', h('q', { lang: language }, e.reason)] : null)))
  if (state.fork) state.fork.setWritable(mayEdit(a))
  // Someone who would like to co-write it: its authors invite by name.
  askNote.hidden = !(EDITABLE.includes(a.status) && mayTakePart(me()) && !mayEdit(a))
  askNote.textContent = t('coauthor_ask')
}

function authorsText(a) {
  return coAuthors(a.co_author_names, ({ id: pid, name }) =>
    (state.me && pid === state.me.participant_id ? t('you') : name))
}

function renderReview(review) {
  fill(changeEl, diffView(review.change, { language, emptyText: t('review_no_change') }))
  fill(previewEl, diffView(review.preview, { language, emptyText: t('review_no_change') }))
  previewNote.hidden = !review.live_changed_since_base
  previewNote.textContent = t('review_live_changed')
  const live = review.conflicts.live
  const others = review.conflicts.amendments
  if (!live.length && !others.length) {
    fill(conflictsEl, h('h3', null, t('conflicts_title')), h('p', { class: 'no-conflict' }, t('conflicts_none')))
    conflictsEl.classList.remove('has-conflicts')
    return
  }
  conflictsEl.classList.add('has-conflicts')
  const total = live.length + others.reduce((n, o) => n + o.conflicts.length, 0)
  fill(conflictsEl,
    h('h3', null, h('span', { 'aria-hidden': 'true' }, '⚠ '), t(total === 1 ? 'conflicts_one' : 'conflicts_other', { n: total })),
    live.length ? [
      h('p', null, t('conflicts_live_intro')),
      h('ul', null, live.map((c) => h('li', { class: 'conflict' }, conflictSentence(c, 'live')))),
      state.me && state.me.role === 'facilitator' ? h('p', { class: 'hint' }, t('conflicts_choose_on_accept')) : null,
    ] : null,
    others.map((other) => [
      h('p', null, t('conflicts_amendment_intro'), ' ',
        h('a', { href: amendmentPath.one(slug, other.id), lang: language }, other.title)),
      h('ul', null, other.conflicts.map((c) => h('li', { class: 'conflict' }, conflictSentence(c, 'other')))),
    ]))
}

/** A conflict in plain words: what the amendment does to the starting words, and what the
 * live text (`side` 'live') or the other amendment ('other') made of them. */
function conflictSentence(c, side) {
  const q = (text) => t('quoted', { text })
  const does = !c.base ? t('conflict_adds', { words: q(c.amendment) })
    : !c.amendment ? t('conflict_deletes', { words: q(c.base) })
      : t('conflict_replaces', { base: q(c.base), words: q(c.amendment) })
  const since = c.other
    ? t(side === 'live' ? 'conflict_live_says' : 'conflict_other_says', { words: q(c.other) })
    : t(side === 'live' ? 'conflict_live_deleted' : 'conflict_other_deleted')
  return h('span', null, t('conflict_join', { does, since }))
}

function renderVotes(a) {
  voteCounts.textContent = votesText(a.votes)
  const canVote = a.status === 'open' && mayTakePart(me())
  voteGroup.hidden = !canVote
  const mine = myChoice()
  for (const button of voteButtons) button.setAttribute('aria-pressed', String(button.dataset.choice === mine))
  withdrawVote.hidden = !mine
  myVote.hidden = !canVote
  myVote.textContent = mine ? t('vote_yours', { choice: t(`choice_${mine}`) }) : t('vote_none')
  voteNote.textContent = a.status === 'draft' ? t('vote_draft') : (a.status === 'open' ? (canVote ? '' : t('vote_cannot')) : t('vote_closed'))
  voteNote.hidden = !voteNote.textContent
  fill(votersEl, CHOICES.map((choice) => {
    const voters = a.voters.filter((v) => v.choice === choice)
    return voters.length
      ? h('p', null, h('strong', null, `${t(`choice_${choice}`)} (${voters.length})`), ' ',
        voters.flatMap((v, i) => [i ? ', ' : '', withBadge(h('span', null, v.name), v.badge)]))
      : null
  }))
}

async function vote(choice) {
  errorEl.textContent = ''
  try {
    state.amendment = { ...state.amendment, ...(await api('PUT', `${amendmentApi.one(slug, id)}/vote`, { choice })) }
    renderVotes(state.amendment)
    announce(choice ? t('vote_done', { choice: t(`choice_${choice}`) }) : t('vote_withdrawn'))
  } catch (error) {
    errorEl.textContent = amendError(error)
  }
}

// -- what the authors and the facilitators may do

let actionsKey = null

function renderActions(a) {
  // Rebuilt only when what it offers changes: a half-typed co-author keeps its value.
  const key = [a.status, me().role, a.author_id, ...a.co_authors, '|',
    ...(state.candidates || []).map((p) => p.id)].join(' ')
  if (key === actionsKey) return
  actionsKey = key
  const author = isAuthor(a, me()) || me().via === 'admin'
  const facilitator = me().role === 'facilitator'
  const buttons = []
  if (author && a.status === 'draft') buttons.push(actionButton(t('action_open'), () => decide('open', {}, t('done_opened'))))
  if (facilitator && a.status === 'open') {
    buttons.push(actionButton(t('action_accept'), acceptDialog))
    buttons.push(actionButton(t('action_reject'), rejectDialog, 'danger'))
  }
  if (author && EDITABLE.includes(a.status)) buttons.push(actionButton(t('action_withdraw'), withdrawDialog, 'danger'))
  const invite = (author || facilitator) && EDITABLE.includes(a.status) ? coAuthorForm(a) : null
  actionsBox.hidden = !buttons.length && !invite
  const focused = document.activeElement && actionsBox.contains(document.activeElement)
  fill(actionsBox, h('h2', { id: 'actions-title', tabindex: -1 }, t('actions_title')),
    buttons.length ? h('div', { class: 'button-row' }, buttons) : null, invite)
  if (focused) actionsBox.querySelector('h2').focus() // the button pressed is gone
}

function actionButton(text, onClick, kind = '') {
  return h('button', { type: 'button', class: kind || null, onclick: onClick }, text)
}

async function decide(action, body, said) {
  const done = await api('POST', `${amendmentApi.one(slug, id)}/${action}`, body)
  announce(said)
  await reload()
  return done
}

function acceptDialog() {
  const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, lang: language })
  const conflicts = state.amendment.review.conflicts.live
  const choices = conflicts.map(conflictChoice)
  openDialog({
    title: t('accept_title', { title: state.amendment.title }),
    intro: conflicts.length ? t('accept_intro_conflicts', { n: conflicts.length }) : t('accept_intro'),
    fields: [...choices.map((c) => c.el), field(t('reason_optional'), reason)],
    submitText: t('action_accept'),
    onSubmit: async ({ showError }) => {
      const resolutions = []
      for (const choice of choices) {
        const picked = choice.value()
        if (!picked) return missing(choice.first, showError, t('conflict_choose_missing'))
        if (picked.choose === 'text' && !picked.text) return missing(choice.own, showError, t('conflict_own_missing'))
        resolutions.push(picked)
      }
      const body = { ...(reason.value.trim() ? { reason: reason.value.trim() } : {}), ...(resolutions.length ? { resolutions } : {}) }
      await decide('accept', body, t('done_accepted'))
      return true
    },
  })
}

let choiceGroups = 0

/** For one conflict: keep the amendment's words, the live words, both when each only
 * added words at the same place, or write others. */
function conflictChoice(c) {
  const name = `conflict-${++choiceGroups}`
  const q = (text) => (text ? t('quoted', { text }) : t('conflict_nothing'))
  const radio = (value) => h('input', { type: 'radio', name, value })
  const [ours, theirs, both, mine] = ['amendment', 'live', 'both', 'text'].map(radio)
  const added = !c.base && c.amendment && c.other // both only added words there
  const own = h('input', { type: 'text', name: `${name}-text`, maxlength: 2000, lang: language, disabled: true,
    'aria-label': t('conflict_own_label') })
  for (const input of [ours, theirs, both, mine]) {
    input.addEventListener('change', () => {
      own.disabled = !mine.checked
      if (mine.checked) own.focus()
    })
  }
  const el = h('fieldset', { class: 'conflict-choice' },
    h('legend', null, conflictSentence(c, 'live')),
    h('label', { class: 'check' }, ours, h('span', null, t('conflict_keep_amendment', { words: q(c.amendment) }))),
    h('label', { class: 'check' }, theirs, h('span', null, t('conflict_keep_live', { words: q(c.other) }))),
    added ? h('label', { class: 'check' }, both, h('span', null, t('conflict_keep_both'))) : null,
    h('label', { class: 'check' }, mine, h('span', null, t('conflict_write'))),
    own)
  return {
    el,
    first: ours,
    own,
    value() {
      if (ours.checked) return { choose: 'amendment' }
      if (theirs.checked) return { choose: 'live' }
      if (both.checked) return { choose: 'both' }
      if (mine.checked) return { choose: 'text', text: own.value.trim() }
      return null
    },
  }
}

function rejectDialog() {
  const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, required: true, lang: language })
  openDialog({
    title: t('reject_title', { title: state.amendment.title }),
    intro: t('reject_intro'),
    fields: [field(t('reason_required'), reason)],
    submitText: t('action_reject'),
    danger: true,
    onSubmit: async ({ showError }) => {
      if (!reason.value.trim()) return missing(reason, showError, t('reason_missing'))
      await decide('reject', { reason: reason.value.trim() }, t('done_rejected'))
      return true
    },
  })
}

function withdrawDialog() {
  const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 2000, lang: language })
  openDialog({
    title: t('withdraw_title', { title: state.amendment.title }),
    intro: t('withdraw_intro'),
    fields: [field(t('reason_optional'), reason)],
    submitText: t('action_withdraw'),
    danger: true,
    onSubmit: async () => {
      const body = reason.value.trim() ? { reason: reason.value.trim() } : {}
      await decide('withdraw', body, t('done_withdrawn'))
      return true
    },
  })
}

/** Invite a co-author, chosen by name among the participants who may co-write it (a
 * native list: typing the first letters picks a name, on a phone too). */
function coAuthorForm(a) {
  const taken = new Set([a.author_id, ...a.co_authors])
  const people = (state.candidates || []).filter((p) => !taken.has(p.id))
  if (!people.length) {
    return h('div', null, h('h3', null, t('coauthor_title')),
      h('p', { class: 'hint' }, state.candidates ? t('coauthor_none') : t('coauthor_unavailable')))
  }
  const named = new Map()
  for (const p of people) named.set(p.name, (named.get(p.name) || 0) + 1)
  const label = (p) => `${p.name} — ${t(`role_${p.role}`)}${named.get(p.name) > 1 ? ` (${t('coauthor_number_short', { n: p.id })})` : ''}`
  const control = h('select', { name: 'participant', id: 'coauthor-select' },
    h('option', { value: '' }, t('coauthor_choose')),
    [...people].sort((x, y) => x.name.localeCompare(y.name)).map((p) => h('option', { value: String(p.id) }, label(p))))
  control.addEventListener('change', () => control.removeAttribute('aria-invalid'))
  const note = h('p', { class: 'error', role: 'alert' })
  const form = h('form', { class: 'inline-form coauthor' },
    field(t('coauthor_label'), control, t('coauthor_hint')),
    h('button', { type: 'submit', class: 'secondary' }, t('coauthor_add')), note)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    note.textContent = ''
    const chosen = people.find((p) => String(p.id) === control.value)
    if (!chosen) {
      missing(control, (text) => { note.textContent = text }, t('coauthor_missing'))
      return
    }
    try {
      await api('POST', `${amendmentApi.one(slug, id)}/authors`, { participant_id: chosen.id })
      announce(t('coauthor_done_named', { name: chosen.name }))
      await reload()
    } catch (error) {
      const refused = error && (error.status === 422 || (error.status === 409 && /already/.test(error.message)))
      note.textContent = refused ? t('coauthor_refused') : amendError(error)
      await reload()
    }
  })
  return h('div', null, h('h3', null, t('coauthor_title')), form)
}

/** Who its authors (and the facilitators) may invite; nobody else asks. */
async function loadCandidates() {
  const a = state.amendment
  const mayInvite = (isAuthor(a, me()) || me().role === 'facilitator' || me().via === 'admin') && EDITABLE.includes(a.status)
  if (!mayInvite) {
    state.candidates = null
    return
  }
  try {
    state.candidates = (await api('GET', `${amendmentApi.one(slug, id)}/candidates`)).participants
  } catch {
    state.candidates = null // said in the form
  }
}

// -- loading, and keeping up

// Reloads overlap (events, the texts' changes, a reconnection): only the latest is shown.
const askAmendment = latestOnly(() => api('GET', amendmentApi.one(slug, id)))

async function reload() {
  try {
    const found = await askAmendment()
    if (!found) return // a later reload is under way
    state.amendment = found
    await loadCandidates()
    render()
  } catch (error) {
    errorEl.textContent = amendError(error)
  }
}

let reviewTimer = null
/** The text changed (the fork or the live article): refresh the review in a moment. */
function reviewSoon() {
  clearTimeout(reviewTimer)
  reviewTimer = setTimeout(reload, 800)
}

function watch(entry) {
  entry.doc.on('update', reviewSoon)
}

async function start() {
  try {
    const [{ charter, me: who }, amendment] = await Promise.all([
      loadCharter(slug), api('GET', amendmentApi.one(slug, id)),
    ])
    Object.assign(state, { charter, me: who, amendment })
    await loadCandidates()
  } catch (error) {
    console.error(error)
    const title = error.status === 404 ? t('amend_not_found') : t('load_failed_title')
    showMessage(title, errorText(error), [h('a', { href: amendmentPath.list(slug) }, t('amend_back_to_list'))])
    return
  }
  topBar(session, state.charter, 'amendments')
  state.comments = articleComments({ session, slug, key: state.amendment.article.id, language, amendment: id })
  layout()
  roomVote.start(state.me)
  state.fork = forkEditor({ session, documentName: state.amendment.document, labelledBy: 'fork-title', language })
  forkSlot.append(state.fork.el)
  state.comments.attach(state.fork.quill, state.fork.entry)
  state.comments.update(state.charter, state.me)
  watch(state.fork.entry)
  const article = state.charter.sections.flatMap((s) => s.articles).find((x) => x.id === state.amendment.article.id)
  if (article) watch(session.open(article.document))
  render()
}

/** Once the page is drawn, what each ready channel asks again: events may have been missed. */
async function catchUp() {
  try {
    state.me = (await loadCharter(slug)).me // a changed role takes effect here too
    roomVote.start(state.me)
  } catch (error) {
    errorEl.textContent = errorText(error)
  }
  actionsKey = null
  await reload()
  state.comments?.update(state.charter, state.me)
}
// What changes who may comment on it: its status and its authors.
const DISCUSSION_EVENTS = ['opened', 'withdrawn', 'accepted', 'rejected', 'authors']
session.on('amendment', (event) => {
  if (!state.amendment || event.amendment.id !== id) return
  announce(t(`event_${event.event}`, { title: event.amendment.title }))
  reload()
  if (DISCUSSION_EVENTS.includes(event.event)) state.comments?.update(state.charter, state.me)
})
session.on('participant', () => {
  if (state.amendment) reload() // someone renamed: an author or a voter, maybe
})
session.on('denied', () => showDenied(session))

keepFresh(session, () => (state.amendment ? catchUp() : start()))
