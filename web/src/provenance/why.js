// "Where does this passage come from?": the server's answer (GET …/articles/{key}/why) in
// words — the passage, who wrote it, since which saved version, the amendments that brought
// its words, the discussions on it. And the legend of the text's colours by author. The
// editor's panel and the projector both show them.
import { votesText } from '../amend/common.js'
import { api, charterPath } from '../lib/api.js'
import { formatDate } from '../lib/dates.js'
import { h } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import { countsSentence, subjectText } from '../votes/common.js'

/** The passage [start, end) of the live text (UTF-16 units; a caret: its sentence). */
export function fetchWhy(slug, key, start, end) {
  return api('GET', `${charterPath(slug)}/articles/${encodeURIComponent(key)}/why?start=${start}&end=${end}`)
}

/** `{who, list}`: the sentence to speak, and the whole answer as a list. */
export function whyView(found, { slug, language, links = true }) {
  const names = found.people.map((p) => p.name + (p.badge ? ` (${t(`badge_${p.badge}`).toLowerCase()})` : ''))
  if (found.unknown) names.push(t('authors_unknown'))
  const who = t('authors_written_by', { names: names.join(', ') || t('authors_unknown') })
  const items = [
    h('li', null, h('q', { lang: language }, found.passage.text)),
    h('li', null, who),
    h('li', null, found.first_version
      ? t('why_since_version', { label: found.first_version.label, date: formatDate(found.first_version.created_at) })
      : t('why_since_last_version')),
  ]
  for (const a of found.amendments) {
    const title = t('why_amendment', { number: a.id, title: a.title })
    items.push(h('li', null,
      links ? h('a', { href: `/charters/${encodeURIComponent(slug)}/amendments/${a.id}` }, title) : title,
      ' ', t('why_amendment_status', { status: t(`status_${a.status}`), votes: votesText(a.votes) }),
      a.rationale ? ` ${t('why_rationale', { text: a.rationale })}` : ''))
  }
  for (const vote of found.votes || []) { // the room's votes on the article or the charter
    items.push(h('li', { class: 'why-vote' }, t('room_vote_why', { subject: subjectText(vote.subject) }),
      ' ', countsSentence(vote), '.', vote.text_changed ? ` ${t('room_vote_text_changed')}` : ''))
  }
  for (const thread of found.threads) {
    items.push(h('li', null, t('why_thread', {
      quote: thread.quote, author: thread.author, comments: tn('why_comments', thread.comments),
    })))
  }
  if (!found.threads.length) items.push(h('li', null, t('why_no_thread')))
  return { who, list: h('ul', { class: 'why-list' }, items) }
}

/** The legend of the colours by author (`mode`: person or badge), from an authors summary:
 * a sample of each highlight, the name and, with `shares`, the share of the words. */
export function legendItems(summary, mode, { shares = true } = {}) {
  const sample = (name) => h('span', { class: `who-sample ${name}`, 'aria-hidden': 'true' }, 'Abc')
  const share = (words) => (shares ? ` — ${percent(words, summary.words)}` : '')
  if (mode === 'badge') {
    return ['citizen', 'elected', 'organiser', 'none']
      .filter((badge) => summary.by_badge[badge])
      .map((badge) => h('li', null, sample(`who-${badge}`),
        (badge === 'none' ? t('authors_no_badge') : t(`badge_${badge}`)) + share(summary.by_badge[badge])))
  }
  const items = summary.by_person.map((p) => h('li', null, sample(`who-p${p.shade}`), p.name + share(p.words)))
  if (summary.unknown) {
    items.push(h('li', null, sample('who-unknown'), t('authors_unknown') + share(summary.unknown)))
  }
  return items
}

export function percent(part, whole) {
  return `${whole ? Math.round((100 * part) / whole) : 0}\u00a0%`
}
