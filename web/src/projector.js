// Projector mode: one article in very large type, no editing chrome, following the article
// the facilitator puts on the projector (a `projector` event on the charter's channel).
// On a long article the place where people are typing stays in view — or the passage the
// facilitator chose, marked — and a mark says when the article goes on above or below the
// screen. The facilitator may also show the article's changes since the last named version,
// or the article as an open amendment would make it: both computed by the server on demand,
// never written to the text. "f" toggles full screen.
import * as Y from 'yjs'
import './css/projector.css'
import './css/authors.css'
import './css/votes.css'
import { api, charterPath, errorText } from './lib/api.js'
import { formatDate } from './lib/dates.js'
import { diffView } from './lib/diff-view.js'
import { $, h, fill } from './lib/dom.js'
import { t } from './lib/i18n.js'
import { loadCharter, shellData, showMessage, startSession, showDenied } from './lib/page.js'
import { keepFresh } from './lib/reconnect.js'
import { bindText, lineAt } from './lib/render.js'
import {
  authorship, highlightsSupported, paint, renderedTextNodes, runsOf, shadeOf, unpaint,
} from './lib/authorship.js'
import { CONNECTED } from './lib/session.js'
import { fetchWhy, legendItems, whyView } from './provenance/why.js'
import { voteScreen } from './votes/projector-view.js'
import { heatEl, shadeByStances } from './stances/projector-heat.js'
import { drawGroups } from './amend/groups-board.js'

const { slug, language } = shellData()
const session = startSession()
session.setPlace({ page: 'projector' })

const LIVE = { mode: 'live', amendment: null, passage: null }
const state = { charter: null, key: null, view: LIVE, shown: null }

const sectionEl = h('p', { class: 'projector-section', lang: language })
const titleEl = h('h1', { class: 'projector-title', lang: language })
const bodyEl = h('div', { class: 'projector-body', lang: language })
const viewEl = h('p', { class: 'projector-view', hidden: true })
const statusEl = h('p', { class: 'projector-status', role: 'status' })
const aboveEl = h('p', { class: 'projector-more above', hidden: true, 'aria-hidden': 'true' }, t('projector_more_above'))
const belowEl = h('p', { class: 'projector-more below', hidden: true, 'aria-hidden': 'true' }, t('projector_more_below'))
const votesEl = voteScreen({ session, slug }) // a vote's result, instead of an article
const legendEl = h('ul', { class: 'projector-authors authors-legend', hidden: true, 'aria-label': t('authors_legend') })

function layout() {
  fill($('#main'), sectionEl, titleEl, viewEl, legendEl, heatEl, bodyEl, aboveEl, belowEl, statusEl, whyButton, whyBox)
  $('#main').append(votesEl.el)
  document.body.classList.add('projector-page')
}

// -- following the writing: the line of the latest change stays in view.

const calm = window.matchMedia('(prefers-reduced-motion: reduce)')
let followLine = null // the line to bring into view after the next rendering

function noteChange(event) {
  const whole = event.delta.length === 1 && event.delta[0].insert !== undefined
  if (whole) return // the article arriving: its start stays on screen
  let offset = 0
  let last = null
  for (const op of event.delta) {
    if (op.retain) offset += op.retain
    else if (op.insert) {
      offset += typeof op.insert === 'string' ? op.insert.length : 1
      last = offset
    } else if (op.delete) last = offset
  }
  if (last !== null) followLine = lineAt(event.target.toString(), Math.max(0, last - 1))
}

function bringIntoView(target) {
  const box = target.getBoundingClientRect()
  if (box.top < 0 || box.bottom > window.innerHeight) {
    target.scrollIntoView({ block: 'center', behavior: calm.matches ? 'auto' : 'smooth' })
  }
}

function follow() {
  const chosen = bodyEl.querySelector('mark.passage')
  if (chosen) {
    followLine = null // the chosen passage stays in view, whatever is typed elsewhere
    bringIntoView(chosen)
  } else if (followLine !== null) {
    const blocks = [...bodyEl.querySelectorAll('[data-line]')]
    const target = blocks.filter((el) => Number(el.dataset.line) <= followLine).pop() || blocks[0]
    followLine = null
    if (target) bringIntoView(target)
  }
  showMore()
}

function showMore() {
  const box = bodyEl.getBoundingClientRect()
  aboveEl.hidden = box.top >= 0
  belowEl.hidden = box.bottom <= window.innerHeight + 1
}
window.addEventListener('scroll', showMore, { passive: true })
window.addEventListener('resize', showMore)

function find(key) {
  for (const section of state.charter.sections) {
    const article = section.articles.find((a) => a.id === key)
    if (article) return { article, section }
  }
  return null
}

function show(key, view = LIVE) {
  const voting = votesEl.show(view)
  document.body.classList.toggle('showing-vote', voting)
  if (voting) {
    if (state.shown) stopShowing()
    state.key = key
    state.view = view
    document.title = `${t('room_vote_open_title')} — ${t('nav_projector')}`
    return
  }
  state.key = key
  const found = key ? find(key) : null
  if (!found) {
    if (state.shown) stopShowing()
    sectionEl.textContent = ''
    titleEl.textContent = state.charter.title
    viewEl.hidden = true
    fill(bodyEl, h('p', { class: 'waiting' }, t('projector_waiting')))
    document.title = `${t('nav_projector')} — ${state.charter.title}`
    return
  }
  sectionEl.textContent = found.section.title
  titleEl.textContent = found.article.title
  document.title = `${found.article.title} — ${t('nav_projector')}`
  const same = state.shown?.document === found.article.document
  if (same && JSON.stringify(view) === JSON.stringify(state.view)) return
  if (state.shown && !same) stopShowing()
  state.view = view
  const entry = session.open(found.article.document)
  state.shown?.unbind()
  state.shown = { document: found.article.document, unbind: draw(entry, key, view) }
  if (!same) window.scrollTo(0, 0)
  showMore()
}

/** Draw `entry` as `view` asks until the returned function is called. */
function draw(entry, key, view) {
  viewEl.hidden = view.mode === 'live'
  if (view.mode === 'since') {
    return drawChanges(entry, async () => {
      const found = await api('GET', `${charterPath(slug)}/articles/${key}/changes`)
      const label = found.version
        ? t('projector_since', { label: found.version.label, date: formatDate(found.version.created_at) })
        : t('projector_since_nothing')
      return { label, hunks: found.hunks }
    })
  }
  if (view.mode === 'groups') { // the sub-groups' drafts side by side, then merged
    return drawGroups({ slug, key, session, entry, bodyEl, viewEl, language, onError: (error) => { viewEl.textContent = errorText(error) } })
  }
  if (view.mode === 'amendment') {
    let fork = null
    const stop = drawChanges(entry, async (again) => {
      const found = await api('GET', `${charterPath(slug)}/amendments/${view.amendment}`)
      if (!fork) { // the amendment's own text changes too: watch it
        fork = session.open(found.document)
        fork.text.observe(again)
      }
      const label = t(found.status === 'open' ? 'projector_amendment' : 'projector_amendment_decided',
        { title: found.title, status: t(`status_${found.status}`) })
      return { label, hunks: found.review.preview }
    })
    return () => {
      stop()
      if (fork) session.close(fork.name)
    }
  }
  const passage = view.passage ? decodePassage(view.passage) : null
  const colours = view.authors ? colourByAuthors(entry, key, view.authors) : null
  const heat = view.heatmap // the text shaded by stances (stances/projector-heat.js)
    ? shadeByStances({ slug, key, session, entry, bodyEl, filter: view.heatmap, language, onError: (text) => { statusEl.textContent = text } })
    : null
  whyHere = { key, text: entry.text } // "where does this passage come from?" asks of it
  const unbind = bindText(bodyEl, entry.text, {
    level: 1,
    afterDraw: () => { follow(); colours?.draw(); heat?.draw() },
    passage: passage ? () => resolvePassage(passage, entry.doc) : undefined,
  })
  entry.text.observe(noteChange)
  return () => { unbind(); entry.text.unobserve(noteChange); colours?.stop(); heat?.stop(); whyHere = null; whyBox.hidden = true }
}

// -- "Where does this passage come from?": select words on the screen (the facilitator's
// mouse, or a keyboard), the answer comes in large type at the bottom.

let whyHere = null // the article's key and live text while the live text is shown
const whyButton = h('button', { type: 'button', class: 'projector-why-button', hidden: true }, t('why_button'))
const whyAnswer = h('div', { class: 'projector-why-answer' })
const whyClose = h('button', { type: 'button', class: 'secondary' }, t('why_close'))
const whyBox = h('section', { class: 'projector-why', hidden: true, role: 'status', 'aria-label': t('why_button') }, whyAnswer, whyClose)
let whyRange = null

document.addEventListener('selectionchange', () => {
  const selection = document.getSelection()
  const range = selection && selection.rangeCount ? selection.getRangeAt(0) : null
  const inside = range && !range.collapsed && bodyEl.contains(range.commonAncestorContainer)
  whyRange = inside && whyHere ? range : null
  whyButton.hidden = !whyRange
})
whyButton.addEventListener('mousedown', (event) => event.preventDefault()) // keep the selection
whyButton.addEventListener('click', async () => {
  if (!whyRange || !whyHere) return
  const nodes = renderedTextNodes(bodyEl, whyHere.text.toString())
  const at = (container, offset) => {
    const found = nodes.find((n) => n.node === container)
    return found ? found.start + offset : null
  }
  const start = at(whyRange.startContainer, whyRange.startOffset)
  const end = at(whyRange.endContainer, whyRange.endOffset)
  if (start === null || end === null) return
  try {
    const { list } = whyView(await fetchWhy(slug, whyHere.key, start, end), { slug, language, links: false })
    fill(whyAnswer, list)
    whyBox.hidden = false
  } catch (error) {
    fill(whyAnswer, errorText(error))
    whyBox.hidden = false
  }
})
whyClose.addEventListener('click', () => { whyBox.hidden = true })

/** The live text coloured by who wrote it (by person or by badge), with a legend in large
 * type: the same highlights as the editor's "who wrote what". */
function colourByAuthors(entry, key, mode) {
  const drawn = []
  let known = null
  let asked = 0
  let alive = true
  const load = async () => {
    asked = Date.now()
    try {
      const data = await api('GET', `${charterPath(slug)}/articles/${encodeURIComponent(key)}/authors`)
      if (!alive) return
      known = authorship(data)
      legendEl.hidden = false
      fill(legendEl, legendItems(data.summary, mode, { shares: false }))
      draw()
    } catch (error) {
      if (alive) statusEl.textContent = errorText(error)
    }
  }
  const draw = () => {
    if (!known || !alive || !highlightsSupported()) return
    const unknown = new Set()
    const runs = runsOf(entry.text, known, unknown)
    paint(runs, renderedTextNodes(bodyEl, entry.text.toString()), shadeOf(known, mode), drawn)
    if (unknown.size && Date.now() - asked > 3000) load() // someone new is writing
  }
  load()
  return {
    draw,
    stop() {
      alive = false
      unpaint(drawn)
      legendEl.hidden = true
    },
  }
}

/** The text with words added and removed marked, fetched by `load(again)` now and again
 * whenever the live text changes (at most every 400 ms). */
function drawChanges(entry, load) {
  let alive = true
  let timer = null
  let running = false
  let pending = false
  let first = true
  const again = () => {
    if (!timer && alive) timer = setTimeout(() => { timer = null; run() }, 400)
  }
  const run = async () => {
    if (running) { pending = true; return }
    running = true
    try {
      const { label, hunks } = await load(again)
      if (!alive) return
      viewEl.textContent = label
      fill(bodyEl, diffView(hunks, { language, emptyText: t('projector_no_text') }))
      if (first) {
        first = false
        const change = bodyEl.querySelector('ins, del')
        if (change) bringIntoView(change)
      }
      showMore()
    } catch (error) {
      if (alive) viewEl.textContent = errorText(error)
    } finally {
      running = false
      if (pending) { pending = false; again() }
    }
  }
  entry.text.observe(again)
  run()
  return () => {
    alive = false
    clearTimeout(timer)
    entry.text.unobserve(again)
  }
}

function decodePassage({ start, end }) {
  try {
    const decode = (raw) => Y.decodeRelativePosition(Uint8Array.from(atob(raw), (c) => c.charCodeAt(0)))
    return { start: decode(start), end: decode(end) }
  } catch {
    return null // not a position this browser can read: follow the writing instead
  }
}

/** Where the chosen passage is in the text now (null when it was deleted). */
function resolvePassage(passage, doc) {
  const start = Y.createAbsolutePositionFromRelativePosition(passage.start, doc)
  const end = Y.createAbsolutePositionFromRelativePosition(passage.end, doc)
  if (!start || !end || end.index <= start.index) return null
  return { start: start.index, end: end.index }
}

function stopShowing() {
  state.shown.unbind()
  session.close(state.shown.document)
  state.shown = null
  state.view = LIVE
}

function updateStatus() {
  // Nothing on screen while all is well; a discreet line when the connection is lost.
  statusEl.textContent = session.status === CONNECTED ? '' : t('status_offline')
}

async function refresh(current = () => true) {
  try {
    const { charter } = await loadCharter(slug)
    if (!current()) return // older than an event shown meanwhile: another load follows
    const first = state.charter === null
    state.charter = charter
    if (first) layout()
    show(charter.projector ?? null, charter.projector_view ?? LIVE)
  } catch (error) {
    console.error(error)
    if (state.charter === null) showMessage(t('load_failed_title'), errorText(error))
  }
}

session.on('projector', (event) => {
  if (state.charter) show(event.article ?? null, event.view ?? LIVE)
})
session.on('outline', (event) => {
  if (!state.charter) return
  state.charter = event.charter
  if ('projector' in event.charter) show(event.charter.projector, event.charter.projector_view ?? LIVE)
  else show(state.key, state.view)
})
session.on('status', updateStatus)
session.on('denied', () => showDenied(session, []))
document.addEventListener('keydown', (event) => {
  if (event.key !== 'f' || event.ctrlKey || event.metaKey || event.altKey) return
  if (document.fullscreenElement) document.exitFullscreen()
  else document.documentElement.requestFullscreen?.().catch(() => {})
})

updateStatus()
keepFresh(session, refresh, ['projector', 'outline']) // again each time the channel is ready
