// What the ballot panel, the facilitator's controls and the projector share about a vote:
// its words, its counts as a list, its counts by badge as a table.
import { h } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'

export const BADGES = ['citizen', 'elected', 'organiser', 'none']

export const choiceText = (choice) => t(`room_vote_choice_${choice}`)

export function subjectText(subject) {
  return t(`room_vote_subject_${subject.kind}`, { title: subject.title || '' })
}

export const ballotsText = (vote) => tn('room_vote_ballots', vote.ballots)

/** "Agree: 3, can live with it: 1, objection: 0", for the live region. */
export function countsSentence(vote) {
  return vote.choices
    .map((choice) => t('room_vote_count_item', { choice: choiceText(choice), n: vote.counts[choice] }))
    .join(', ')
}

/** One line per choice: its name, its count, a bar (its share of the ballots). */
export function countsList(vote, { className = 'vote-counts' } = {}) {
  const total = Math.max(1, vote.ballots)
  return h('ul', { class: className },
    vote.choices.map((choice) => {
      const bar = h('span', { class: 'vote-bar', 'aria-hidden': 'true' })
      bar.style.setProperty('--share', String(vote.counts[choice] / total))
      return h('li', { class: `vote-count choice-${choice}`, dataset: { choice } },
        h('span', { class: 'vote-choice-name' }, choiceText(choice)),
        h('strong', { class: 'vote-number' }, String(vote.counts[choice])),
        bar)
    }))
}

/** The counts by badge, a table with a caption; only the badges that voted. A secret vote
 * shows it only with three ballots or more in each badge (the server leaves it out). */
export function badgeTable(vote) {
  if (!vote.by_badge) {
    return vote.ballots ? h('p', { class: 'vote-badges-hidden' }, t('room_vote_by_badge_hidden')) : null
  }
  const badges = BADGES.filter((badge) => vote.by_badge[badge])
  if (!badges.length) return null
  return h('table', { class: 'vote-badges' },
    h('caption', null, t('room_vote_by_badge')),
    h('thead', null, h('tr', null, h('td'),
      vote.choices.map((choice) => h('th', { scope: 'col' }, choiceText(choice))))),
    h('tbody', null, badges.map((badge) => h('tr', { dataset: { badge } },
      h('th', { scope: 'row' }, t(`room_vote_badge_${badge}`)),
      vote.choices.map((choice) => h('td', null, String(vote.by_badge[badge][choice])))))))
}

/** Public votes: who voted what. */
export function votersList(vote) {
  if (!vote.voters || !vote.voters.length) return null
  return h('details', { class: 'vote-voters' },
    h('summary', null, t('room_vote_voters')),
    h('ul', null, vote.voters.map((v) => h('li', null, v.name, ' — ', choiceText(v.choice)))))
}

export function changedNote(slug, vote) {
  if (!vote.text_changed) return null
  const href = `/charters/${encodeURIComponent(slug)}/compare?from=${vote.version_before}&to=${vote.version_after}`
  return h('p', { class: 'vote-changed' }, t('room_vote_text_changed'), ' ', h('a', { href }, t('room_vote_see_change')))
}

export function endsText(vote) {
  if (!vote.closes_at) return null
  const time = new Date(vote.closes_at).toLocaleTimeString(document.documentElement.lang || 'fr',
    { hour: '2-digit', minute: '2-digit', second: '2-digit' })
  return t('room_vote_ends_at', { time })
}
