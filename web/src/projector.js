// Projector mode: one article in very large type, no editing chrome, following the article
// the facilitator puts on the projector (a `projector` event on the charter's channel).
// On a long article the place where people are typing stays in view, and a mark says when
// the article goes on above or below the screen. "f" toggles full screen.
import './css/projector.css'
import { errorText } from './lib/api.js'
import { $, h, fill } from './lib/dom.js'
import { t } from './lib/i18n.js'
import { loadCharter, shellData, showMessage, startSession } from './lib/page.js'
import { onReconnect } from './lib/reconnect.js'
import { bindText, lineAt } from './lib/render.js'
import { CONNECTED } from './lib/session.js'

const { slug, language } = shellData()
const session = startSession()
session.setPlace({ page: 'projector' })

const state = { charter: null, key: null, shown: null }

const sectionEl = h('p', { class: 'projector-section', lang: language })
const titleEl = h('h1', { class: 'projector-title', lang: language })
const bodyEl = h('div', { class: 'projector-body', lang: language })
const statusEl = h('p', { class: 'projector-status', role: 'status' })
const aboveEl = h('p', { class: 'projector-more above', hidden: true, 'aria-hidden': 'true' }, t('projector_more_above'))
const belowEl = h('p', { class: 'projector-more below', hidden: true, 'aria-hidden': 'true' }, t('projector_more_below'))

function layout() {
  fill($('#main'), sectionEl, titleEl, bodyEl, aboveEl, belowEl, statusEl)
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

function follow() {
  if (followLine !== null) {
    const blocks = [...bodyEl.querySelectorAll('[data-line]')]
    const target = blocks.filter((el) => Number(el.dataset.line) <= followLine).pop() || blocks[0]
    followLine = null
    if (target) {
      const box = target.getBoundingClientRect()
      if (box.top < 0 || box.bottom > window.innerHeight) {
        target.scrollIntoView({ block: 'center', behavior: calm.matches ? 'auto' : 'smooth' })
      }
    }
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

function show(key) {
  state.key = key
  const found = key ? find(key) : null
  if (!found) {
    if (state.shown) stopShowing()
    sectionEl.textContent = ''
    titleEl.textContent = state.charter.title
    fill(bodyEl, h('p', { class: 'waiting' }, t('projector_waiting')))
    document.title = `${t('nav_projector')} — ${state.charter.title}`
    return
  }
  sectionEl.textContent = found.section.title
  titleEl.textContent = found.article.title
  document.title = `${found.article.title} — ${t('nav_projector')}`
  if (state.shown?.document === found.article.document) return
  if (state.shown) stopShowing()
  const entry = session.open(found.article.document)
  const unbind = bindText(bodyEl, entry.text, { level: 1, afterDraw: follow })
  entry.text.observe(noteChange)
  state.shown = {
    document: found.article.document,
    unbind: () => { unbind(); entry.text.unobserve(noteChange) },
  }
  window.scrollTo(0, 0)
  showMore()
}

function stopShowing() {
  state.shown.unbind()
  session.close(state.shown.document)
  state.shown = null
}

function updateStatus() {
  // Nothing on screen while all is well; a discreet line when the connection is lost.
  statusEl.textContent = session.status === CONNECTED ? '' : t('status_offline')
}

async function refresh() {
  try {
    const { charter } = await loadCharter(slug)
    const first = state.charter === null
    state.charter = charter
    if (first) layout()
    show(charter.projector ?? null)
  } catch (error) {
    console.error(error)
    if (state.charter === null) showMessage(t('load_failed_title'), errorText(error))
  }
}

onReconnect(session, refresh)
session.on('projector', (event) => {
  if (state.charter) show(event.article ?? null)
})
session.on('outline', (event) => {
  if (!state.charter) return
  state.charter = event.charter
  show('projector' in event.charter ? event.charter.projector : state.key)
})
session.on('status', updateStatus)
session.on('denied', () => showMessage(t('denied_title'), t('denied_text')))
document.addEventListener('keydown', (event) => {
  if (event.key !== 'f' || event.ctrlKey || event.metaKey || event.altKey) return
  if (document.fullscreenElement) document.exitFullscreen()
  else document.documentElement.requestFullscreen?.().catch(() => {})
})

updateStatus()
refresh()
