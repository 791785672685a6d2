// The projector's view of a vote (the facilitator's "show the result on the projector"):
// the subject and question, the counts per choice in very large type with bars, the counts
// by badge; live while it is open (`vote` events), the result once it closes.
import { api, charterPath, errorText } from '../lib/api.js'
import { h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { badgeTable, ballotsText, changedNote, countsList, endsText, subjectText } from './common.js'

export function voteScreen({ session, slug }) {
  const el = h('section', { class: 'vote-screen', hidden: true, 'aria-labelledby': 'vote-screen-title' })
  let shown = null // the id of the vote on screen
  let vote = null

  function render() {
    if (!vote) return
    const open = vote.status === 'open'
    fill(el,
      h('p', { class: 'vote-screen-state' }, open ? t('room_vote_open_title') : t('room_vote_closed_title')),
      h('h1', { id: 'vote-screen-title', class: 'projector-title' }, subjectText(vote.subject)),
      vote.question ? h('p', { class: 'vote-question' }, vote.question) : null,
      countsList(vote, { className: 'vote-counts big' }),
      badgeTable(vote),
      h('p', { class: 'vote-meta' }, ballotsText(vote), ' · ',
        vote.secret ? t('room_vote_secret') : t('room_vote_public'), ' ', open ? endsText(vote) : null),
      open ? null : changedNote(slug, vote))
  }

  // A `vote` event carries the vote as it is then, and every later ballot has its own: an
  // answer to a load during which one came may be older, and is not shown.
  let heard = 0
  async function load(id) {
    const at = heard
    try {
      const found = await api('GET', `${charterPath(slug)}/votes/${id}`)
      if (shown === id && heard === at) {
        vote = found
        render()
      }
    } catch (error) {
      if (shown === id) fill(el, h('p', { class: 'error' }, errorText(error)))
    }
  }

  session.on('vote', (event) => {
    if (shown !== null && event.vote.id === shown) {
      heard += 1
      vote = event.vote
      render()
    }
  })
  session.on('ready', () => { if (shown !== null) load(shown) })

  return {
    el,
    /** Show the vote the projector's view names; false (and hidden) for any other view. */
    show(view) {
      const id = view && view.mode === 'vote' ? view.vote : null
      el.hidden = id === null
      if (id !== shown) {
        shown = id
        vote = null
        fill(el)
        if (id !== null) load(id)
      }
      return id !== null
    },
  }
}
