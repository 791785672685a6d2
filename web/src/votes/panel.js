// The room's vote on a participant's page (the charter, the editor, an amendment): while a
// vote is open, big buttons to cast, change or withdraw one's ballot (radio-like buttons
// with aria-pressed), the count of ballots; when it closes, the result, said in the
// page's live region. Kept up to date by the `vote` events of the charter's channel.
import { api, charterPath, errorText } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import {
  badgeTable, ballotsText, changedNote, choiceText, countsList, countsSentence, endsText, subjectText, votersList,
} from './common.js'

let panels = 0

export function ballotPanel({ session, slug }) {
  const base = `${charterPath(slug)}/votes`
  const titleId = `room-vote-title-${++panels}`
  const title = h('h2', { id: titleId, class: 'vote-title' })
  const body = h('div', { class: 'vote-body' })
  const el = h('section', { class: 'vote-panel box', 'aria-labelledby': titleId, hidden: true }, title, body)
  const state = { vote: null, mine: null, canVote: false, busy: false, error: '' }

  // A `vote` event carries the vote as it is then: an answer to a load during which one came
  // may be older (a vote shown open again after it closed), and is not shown.
  let heard = 0
  async function load() {
    const at = heard
    try {
      const { votes } = await api('GET', base)
      if (heard !== at) return
      const open = votes.find((v) => v.status === 'open')
      if (open) {
        state.vote = open
        state.mine = open.mine ?? null
      } else if (state.vote && state.vote.status === 'open') {
        state.vote = votes.find((v) => v.id === state.vote.id) || null
      }
      render()
    } catch (error) {
      console.error(error)
    }
  }

  async function cast(choice) {
    if (state.busy) return
    state.busy = true
    state.error = ''
    try {
      const vote = await api('PUT', `${base}/${state.vote.id}/ballot`, { choice })
      state.vote = vote
      state.mine = vote.mine
      announce(choice ? t('room_vote_taken', { choice: choiceText(choice) }) : t('room_vote_withdrawn'))
    } catch (error) {
      state.error = errorText(error)
    } finally {
      state.busy = false
      render()
    }
  }

  function onEvent(event) {
    heard += 1
    const vote = event.vote
    if (event.event === 'opened') {
      state.vote = vote
      state.mine = null
    } else if (!state.vote || state.vote.id !== vote.id) {
      if (vote.status !== 'open') return
      state.vote = vote
    } else {
      state.vote = vote
    }
    if (event.event === 'closed') {
      announce(t('room_vote_closed_announce', { subject: subjectText(vote.subject), counts: countsSentence(vote) }))
    }
    render()
  }

  function choices(vote) {
    if (!state.canVote) return h('p', { class: 'hint' }, t('room_vote_cannot'))
    const group = h('div', { class: 'vote-choices', role: 'group', 'aria-label': t('room_vote_my_choice') },
      vote.choices.map((choice) => h('button', {
        type: 'button',
        class: `vote-choice choice-${choice}`,
        'aria-pressed': String(state.mine === choice),
        dataset: { choice },
        onclick: () => cast(choice),
      }, choiceText(choice))))
    const mine = state.mine
      ? t('room_vote_mine', { choice: choiceText(state.mine) })
      : t('room_vote_mine_none')
    return [
      group,
      h('p', { class: 'vote-mine' }, mine),
      state.mine ? h('button', { type: 'button', class: 'secondary vote-withdraw', onclick: () => cast(null) }, t('room_vote_withdraw')) : null,
    ]
  }

  function render() {
    const vote = state.vote
    el.hidden = !vote
    if (!vote) return
    const open = vote.status === 'open'
    el.classList.toggle('closed', !open)
    fill(title, open ? t('room_vote_open_title') : t('room_vote_closed_title'), ' — ', subjectText(vote.subject))
    const focused = document.activeElement
    const refocus = focused && el.contains(focused) ? focused.dataset.choice || focused.className : null
    fill(body,
      vote.question ? h('p', { class: 'vote-question' }, vote.question) : null,
      h('p', { class: 'vote-meta' }, vote.secret ? t('room_vote_secret') : t('room_vote_public'), ' ', open ? endsText(vote) : null),
      open ? choices(vote) : [countsList(vote), badgeTable(vote), votersList(vote), changedNote(slug, vote)],
      h('p', { class: 'vote-ballots' }, ballotsText(vote)),
      state.error ? h('p', { class: 'error', role: 'alert' }, state.error) : null,
      open ? null : h('button', { type: 'button', class: 'secondary vote-dismiss', onclick: dismiss }, t('room_vote_dismiss')))
    if (refocus) {
      const again = body.querySelector(`[data-choice="${refocus}"]`) || body.querySelector('.vote-choice')
      if (again) again.focus({ preventScroll: true })
    }
  }

  function dismiss() {
    state.vote = null
    render()
  }

  session.on('vote', onEvent)
  session.on('ready', load) // the first time and after every reconnection

  return {
    el,
    /** Who is here: readers and anonymous readers follow without voting. */
    start(me) {
      state.canVote = Boolean(me && me.participant_id && me.role !== 'reader')
      load()
    },
  }
}
