// "Who is here": the people on the charter's channel, one entry per person (several tabs
// of one person count once), named as the server stamped them.
import { h, setColor } from './dom.js'
import { t, tn } from './i18n.js'

const key = (user) => `${user.name}\u0000${user.color}\u0000${user.role}\u0000${user.badge || ''}`

/** [{user, places: [...]}] for named people, and the number of anonymous readers. */
export function people(states, me) {
  const byKey = new Map()
  let anonymous = 0
  const add = (user, place) => {
    if (!user || user.anonymous || !user.name) {
      anonymous += 1
      return
    }
    const k = key(user)
    if (!byKey.has(k)) byKey.set(k, { user, places: [], self: false })
    if (place) byKey.get(k).places.push(place)
    return byKey.get(k)
  }
  for (const { user, place } of states) add(user, place)
  if (me) {
    const mine = add(me.user, me.place)
    if (mine) mine.self = true
  }
  const named = [...byKey.values()].sort((a, b) =>
    a.self !== b.self ? (a.self ? -1 : 1) : a.user.name.localeCompare(b.user.name))
  return { named, anonymous }
}

export function badgeText(badge) {
  return ['citizen', 'elected', 'organiser'].includes(badge) ? t(`badge_${badge}`) : ''
}

/** A person's badge as text (citizen, elected official, organiser), or null if none. */
export function badgeMark(badge) {
  const text = badgeText(badge)
  return text ? h('span', { class: 'badge' }, text) : null
}

/** A name as shown (an element), followed by the person's badge if they have one: on
 * comments, amendment authors and voters. */
export function withBadge(nameEl, badge) {
  const mark = badgeMark(badge)
  return mark ? [nameEl, ' ', mark] : nameEl
}

/** A person's name with their colour mark and badge. */
export function personLabel(user, { self = false } = {}) {
  return h('span', { class: 'person' },
    user.color ? setColor(h('span', { class: 'swatch', 'aria-hidden': 'true' }), user.color) : null,
    h('span', { class: 'person-name' }, user.name),
    self ? h('span', { class: 'person-note' }, ` (${t('you')})`) : null,
    badgeMark(user.badge))
}

/** Fill the "who is here" box: a count heading and the list of names. */
export function renderPeople(box, { named, anonymous }) {
  const total = named.length + anonymous
  const list = h('ul', { class: 'people-list' },
    named.map((p) => h('li', null, personLabel(p.user, { self: p.self }))),
    anonymous ? h('li', { class: 'anonymous' }, tn('anonymous_readers', anonymous)) : null)
  box.querySelector('.people-count').textContent = tn('people_here', total)
  box.querySelector('.people-list').replaceWith(list)
}
