// The list of a text's threads: in the order of the text (each passage found again in the
// editor's own document), resolved ones only on demand, the count, the summary of what is
// unread, and the passages drawn in the editor (the one under the caret marked current).
import { h, reorder } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import { placeOf } from './common.js'

export function threadList(panel) {
  const { state } = panel
  const countEl = h('span', { class: 'thread-count' })
  const unreadEl = h('p', { class: 'unread-summary', hidden: true })
  const listEl = h('ol', { class: 'thread-list' })
  const emptyEl = h('p', { class: 'empty' }, t('comments_none'))
  const resolvedBox = h('input', { type: 'checkbox', id: 'show-resolved' })
  const filterEl = h('p', { class: 'check' }, resolvedBox, h('label', { for: 'show-resolved' }, t('comments_show_resolved')))

  resolvedBox.addEventListener('change', () => {
    state.showResolved = resolvedBox.checked
    render()
  })

  /** A thread as the server answered it, new or changed. */
  function take(thread) {
    state.threads.set(thread.id, thread)
    state.latest = Math.max(state.latest, thread.last_comment || 0)
    render()
  }

  function visible(thread) {
    return state.showResolved || thread.status !== 'resolved'
  }

  function locate() {
    for (const thread of state.threads.values()) {
      state.places.set(thread.id, panel.entry ? placeOf(panel.entry.doc, thread.anchor) : placeOf(null, thread.anchor))
    }
  }

  function ordered() {
    const rank = (place) => (place.state === 'article' ? -1 : place.index ?? Infinity)
    return [...state.threads.values()].sort((a, b) =>
      rank(state.places.get(a.id)) - rank(state.places.get(b.id)) || a.id - b.id)
  }

  function render() {
    if (!state.loaded) return
    locate()
    const all = ordered()
    const shown = all.filter(visible)
    reorder(listEl, shown.map((thread) => panel.threadView(thread)))
    emptyEl.hidden = shown.length > 0
    emptyEl.textContent = all.length ? t('comments_none_match') : panel.tt('comments_none')
    countEl.textContent = `(${tn('comments_count', shown.length)})`
    const unread = all.reduce((n, thread) => n + thread.unread, 0)
    unreadEl.hidden = unread === 0
    unreadEl.textContent = tn('comments_unread', unread)
    drawMarks()
  }

  function drawMarks() {
    if (!panel.marks) return
    const spans = []
    for (const thread of state.threads.values()) {
      const place = state.places.get(thread.id)
      if (!visible(thread) || !place || place.state !== 'attached') continue
      const current = state.caret !== null && state.caret >= place.index && state.caret <= place.index + place.length
      spans.push({ id: thread.id, index: place.index, length: place.length, current })
      const view = state.views.get(thread.id)
      if (view) view.el.classList.toggle('current', current)
    }
    panel.marks.show(spans)
  }

  return { countEl, unreadEl, filterEl, listEl, emptyEl, take, render, drawMarks }
}
