// The charter page: sections and articles in order, each article's live text, who is here
// and where, the connection state; facilitators also get the tools to shape the charter.
import './css/charter.css'
import './css/votes.css'
import { errorText } from './lib/api.js'
import { $, announce, h, fill, reorder } from './lib/dom.js'
import { t } from './lib/i18n.js'
import {
  canWrite, loadCharter, meAsUser, pagePath, shellData, showMessage, startSession, topBar, showDenied } from './lib/page.js'
import { people, personLabel, renderPeople } from './lib/presence.js'
import { keepFresh } from './lib/reconnect.js'
import { bindText } from './lib/render.js'
import { discussionMarks } from './comments/charter-marks.js'
import { ballotPanel } from './votes/panel.js'
import { charterSincePanel, followToggle, mailPreferences } from './follows/panel.js'

const { slug, language } = shellData()
const session = startSession()
session.setPlace({ page: 'charter' })

const state = {
  charter: null,
  me: null,
  sections: new Map(), // section id -> {el, list, title, ...}
  articles: new Map(), // article key -> {el, title, body, unbind, document, ...}
  tools: null, // the facilitator's tools, loaded on demand
}

const discussions = discussionMarks({ session, slug })
const outlineEl = h('div', { class: 'outline', id: 'outline' })
const outlineEnd = h('div', { class: 'outline-end' }) // the facilitator's "add a section"
const outlineColumn = h('div', { class: 'outline-column' }, outlineEl, outlineEnd)
const peopleBox = h('section', { class: 'people box', 'aria-labelledby': 'people-title' },
  h('h2', { id: 'people-title', class: 'people-count' }),
  h('ul', { class: 'people-list' }))
const follow = followToggle({ slug, kind: 'charter' }) // participants only
const mail = mailPreferences({ slug })
const since = charterSincePanel({ slug, language }) // what changed since the last visit
const side = h('div', { class: 'side' }, peopleBox, follow.el, mail.el)
const roleNote = h('p', { class: 'role-note' })
const versionNote = h('p', { class: 'version-note', hidden: true }) // the latest saved version
const errorBox = h('p', { class: 'error', role: 'alert' })
const roomVote = ballotPanel({ session, slug }) // the room's vote, while one is open

function layout() {
  fill($('#main'),
    h('div', { class: 'charter-head' },
      h('h1', { lang: language, tabindex: -1 }, state.charter.title),
      roleNote,
      versionNote,
      errorBox,
      roomVote.el,
      since.el),
    h('div', { class: 'charter-layout' }, outlineColumn, side))
}

function updateRoleNote() {
  const { role, name } = state.me
  // Someone reading a public charter without an invitation has no name: no name said.
  const key = role === 'reader' && !name ? 'role_note_public' : `role_note_${role}`
  // Everyone but the public is here from an invitation: the guide is one link away.
  const guide = key === 'role_note_public' ? null : h('a', { href: '/guide' }, t('guide_link'))
  fill(roleNote, t(key, { name: name || '' }), guide ? ' ' : null, guide)
}

// -- the outline, kept in place: elements are reused so that live text, focus and open
// tools survive every update pushed by the server.

function sectionView(section) {
  let view = state.sections.get(section.id)
  if (!view) {
    const titleId = `section-${section.id}-title`
    view = {
      id: section.id,
      title: h('h2', { id: titleId, class: 'section-title', lang: language, tabindex: -1 }),
      list: h('ol', { class: 'articles', role: 'list' }),
      empty: h('p', { class: 'empty', text: t('section_empty') }),
      toolsSlot: h('div', { class: 'tools-slot' }),
    }
    view.el = h('section', { class: 'section', 'aria-labelledby': titleId, dataset: { id: section.id } },
      view.title, view.toolsSlot, view.list, view.empty)
    state.sections.set(section.id, view)
  }
  view.data = section
  view.title.textContent = section.title
  view.empty.hidden = section.articles.length > 0
  return view
}

function articleView(article) {
  let view = state.articles.get(article.id)
  if (!view) {
    const titleId = `article-${article.id}-title`
    view = {
      key: article.id,
      document: article.document,
      titleText: h('span', { lang: language }),
      here: h('p', { class: 'here' }),
      onProjector: h('p', { class: 'on-projector', text: t('on_projector'), hidden: true }),
      body: h('div', { class: 'body', lang: language }),
      action: h('a', { class: 'button secondary' }),
      toolsSlot: h('div', { class: 'tools-slot' }),
    }
    view.el = h('li', { class: 'article', dataset: { key: article.id } },
      h('article', { 'aria-labelledby': titleId },
        h('h3', { id: titleId, class: 'article-title' }, view.titleText),
        view.onProjector, view.here, view.body,
        h('p', { class: 'article-actions' }, view.action),
        discussions.slot(article.id),
        view.toolsSlot))
    const entry = session.open(article.document)
    view.unbind = bindText(view.body, entry.text, { level: 3, emptyText: t('article_empty') })
    state.articles.set(article.id, view)
  }
  view.data = article
  view.titleText.textContent = article.title
  view.action.href = pagePath.article(slug, article.id)
  fill(view.action,
    canWrite(state.me) ? t('write_in_article') : t('follow_article'),
    h('span', { class: 'visually-hidden' }, `: ${article.title}`))
  return view
}

function dropArticle(key) {
  const view = state.articles.get(key)
  if (!view) return
  view.unbind()
  session.close(view.document)
  state.articles.delete(key)
}

function renderOutline() {
  const { charter } = state
  const seen = new Set()
  const sectionEls = charter.sections.map((section) => {
    const view = sectionView(section)
    const items = section.articles.map((article) => {
      seen.add(article.id)
      return articleView(article).el
    })
    reorder(view.list, items)
    return view.el
  })
  for (const key of [...state.articles.keys()]) if (!seen.has(key)) dropArticle(key)
  for (const id of [...state.sections.keys()]) {
    if (!charter.sections.some((s) => s.id === id)) state.sections.delete(id)
  }
  const empty = charter.sections.length ? null : h('p', { class: 'empty', text: t('charter_empty') })
  reorder(outlineEl, empty ? [...sectionEls, empty] : sectionEls)
  renderProjectorMarks()
  renderPresence()
  if (state.tools) state.tools.render(state)
}

function renderProjectorMarks() {
  for (const view of state.articles.values()) {
    view.onProjector.hidden = view.key !== state.charter.projector
  }
}

// -- presence: the count and names, and under each article who is writing there.

function renderPresence() {
  if (!state.me) return
  const everyone = people(session.presence(), { user: meAsUser(state.me), place: { page: 'charter' } })
  renderPeople(peopleBox, everyone)
  const byArticle = new Map()
  for (const person of everyone.named) {
    for (const place of person.places) {
      if (place && place.article && !person.self) {
        if (!byArticle.has(place.article)) byArticle.set(place.article, new Map())
        byArticle.get(place.article).set(person.user.name + person.user.color, person.user)
      }
    }
  }
  for (const view of state.articles.values()) {
    const here = [...(byArticle.get(view.key) || new Map()).values()]
    view.here.hidden = here.length === 0
    if (here.length) fill(view.here, t('writing_here'), ' ', here.map((user) => personLabel(user)))
  }
}

// -- start, and keep up with the server.

async function refresh(current = () => true) {
  try {
    const { charter, me } = await loadCharter(slug)
    if (!current()) return // older than an event shown meanwhile: another load follows
    const first = state.charter === null
    state.charter = charter
    state.me = me
    if (first) {
      topBar(session, charter, 'charter', me)
      layout()
    }
    roomVote.start(me)
    document.title = charter.title
    updateRoleNote()
    renderPresence() // my own entry: a facilitator may have renamed me
    if (me.role === 'facilitator' && !state.tools) {
      const { installTools } = await import('./facilitator.js')
      state.tools = installTools({ state, session, side, outlineEnd, onChange: applyCharter, onError: showError })
    } else if (me.role !== 'facilitator' && state.tools) {
      state.tools.remove()
      state.tools = null
    }
    renderOutline()
    discussions.load() // also after a reconnection: events may have been missed
  } catch (error) {
    console.error(error)
    if (state.charter === null) {
      showMessage(t('load_failed_title'), errorText(error), [h('a', { href: pagePath.read(slug) }, t('nav_read'))])
    } else {
      showError(error)
    }
  }
}

function applyCharter(charter) {
  const kept = 'projector' in charter ? charter : state.charter
  state.charter = { ...charter, projector: kept.projector, projector_view: kept.projector_view }
  renderOutline()
}

function showError(error) {
  errorBox.textContent = error ? errorText(error) : ''
}

session.on('outline', (event) => {
  if (!state.charter) return
  const before = state.charter
  applyCharter(event.charter)
  if (!state.tools || !state.tools.busy) announce(describeChange(before, state.charter))
})
session.on('projector', (event) => {
  if (!state.charter) return
  state.charter.projector = event.article
  state.charter.projector_view = event.view
  renderProjectorMarks()
  if (state.tools) state.tools.render(state)
})
session.on('presence', renderPresence)
session.on('version', (event) => {
  if (event.event !== 'saved' || !event.version) return
  const text = t('version_saved_note', { label: event.version.label })
  fill(versionNote, text, ' ', h('a', { href: `/charters/${encodeURIComponent(slug)}/versions` }, t('versions_all')))
  versionNote.hidden = false
  if (!state.tools) announce(text) // a facilitator's own panel already said it
})
session.on('denied', () => showDenied(session))

function describeChange(before, after) {
  const count = (c) => c.sections.reduce((n, s) => n + s.articles.length, 0)
  if (count(after) > count(before) || after.sections.length > before.sections.length) return t('outline_added')
  if (count(after) < count(before) || after.sections.length < before.sections.length) return t('outline_removed')
  return t('outline_changed')
}

keepFresh(session, refresh, ['outline', 'projector']) // again each time the channel is ready
