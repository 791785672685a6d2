// The heat-map of stances, computed in the browser: where the open threads' passages are
// in the text (their anchors resolved on the page's own Yjs document, see
// comments/common.js placeOf), how many people are for and against over each character, the
// shade of each stretch of text, and the passages most contested first. `for` counts as
// agreement, `against` as disagreement; `mixed` (neither) shades nothing but is counted and
// listed. Shared by the editor's panel and the projector. Nothing here touches the text.
import { h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { placeOf } from '../comments/common.js'

export const HEAT_FILTERS = ['all', 'citizen', 'elected', 'organiser']
export const HEAT_KINDS = ['for', 'against', 'split']
const ZERO = Object.freeze({ for: 0, against: 0, mixed: 0 })

/** A thread's counts for a filter: everyone's, or one badge's authors. */
export function countsFor(thread, filter) {
  if (filter === 'all') return thread.total || ZERO
  return (thread.counts && thread.counts[filter]) || ZERO
}

/** The threads with where their passage is now in `doc` (null: the server's place). */
export function placed(threads, doc, filter) {
  return threads.map((thread) => {
    const place = placeOf(doc, thread.anchor)
    return { thread, place, counts: countsFor(thread, filter) }
  })
}

/** Runs `{start, end, origin: {for, against}}` of the text where someone is for or
 * against, the counts of every passage covering a character added up. */
export function heatRuns(items) {
  const steps = new Map() // index -> [for change, against change]
  const step = (index, a, d) => {
    const s = steps.get(index) || [0, 0]
    s[0] += a
    s[1] += d
    steps.set(index, s)
  }
  for (const { place, counts } of items) {
    if (place.state !== 'attached' || !(place.length > 0)) continue
    if (!counts.for && !counts.against) continue
    step(place.index, counts.for, counts.against)
    step(place.index + place.length, -counts.for, -counts.against)
  }
  const at = [...steps.keys()].sort((x, y) => x - y)
  const runs = []
  let pro = 0
  let con = 0
  for (let i = 0; i < at.length - 1; i++) {
    pro += steps.get(at[i])[0]
    con += steps.get(at[i])[1]
    if (pro > 0 || con > 0) runs.push({ start: at[i], end: at[i + 1], origin: { for: pro, against: con } })
  }
  return runs
}

/** for (at least twice as many for as against), against (the reverse) or split. */
export function heatKind(origin) {
  if (origin.for >= 2 * origin.against) return 'for'
  if (origin.against >= 2 * origin.for) return 'against'
  return 'split'
}

/** The highlight of a stretch: its kind, and 1–3 by how many people (1, 2–3, 4 or more). */
export function heatShade(origin) {
  const people = origin.for + origin.against
  const level = people >= 4 ? 3 : people >= 2 ? 2 : 1
  return `heat-${heatKind(origin)}-${level}`
}

/** How contested a passage is: against first, then how split it is, then mixed. */
function contestedKey({ counts }) {
  return [counts.against, Math.min(counts.for, counts.against), counts.mixed, counts.for]
}

/** The passages with a stance against or mixed, most contested first (then in the order
 * of the text). */
export function mostContested(items, limit = 10) {
  const rank = (item) => (item.place.state === 'attached' ? item.place.index : Infinity)
  return items
    .filter((item) => item.counts.against > 0 || item.counts.mixed > 0)
    .sort((a, b) => {
      const ka = contestedKey(a)
      const kb = contestedKey(b)
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return kb[i] - ka[i]
      return rank(a) - rank(b) || a.thread.id - b.thread.id
    })
    .slice(0, limit)
}

/** "2 for · 1 against · 0 mixed", in words. */
export function countsText(counts) {
  return t('heat_counts', { for: counts.for, against: counts.against, mixed: counts.mixed })
}

/** The legend: a sample of each kind in its own style, named in words. */
export function heatLegend() {
  return HEAT_KINDS.map((kind) => h('li', null,
    h('span', { class: `heat-sample heat-${kind}-2`, 'aria-hidden': 'true' }, t('heat_sample')),
    t(`heat_kind_${kind}`)))
}
