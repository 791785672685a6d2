// The article editor: Quill 2 bound to the article's Y.Text `body` (y-quill), remote
// cursors with names and colours (quill-cursors), a "saved" mark that turns on only when
// the server has committed every change (SyncStatus after the commit), and an offline state
// that keeps typing in the document until the connection comes back.
import { charterEditor } from './lib/quill.js'
import { QuillBinding } from 'y-quill'
import './css/editor.css'
import './css/votes.css'
import { api, charterPath, errorText } from './lib/api.js'
import { $, announce, h, fill } from './lib/dom.js'
import { t, tn } from './lib/i18n.js'
import { editorDoc, othersCursors } from './lib/editor-doc.js'
import { keepPending } from './lib/pending.js'
import { formatToolbar } from './lib/toolbar.js'
import {
  canWrite, loadCharter, pagePath, shellData, showMessage, startSession, topBar, showDenied } from './lib/page.js'
import { people, personLabel } from './lib/presence.js'
import { keepFresh } from './lib/reconnect.js'
import { CONNECTED } from './lib/session.js'
import { articleAmendments } from './amend/article-hook.js'
import { mayComment } from './comments/common.js'
import { articleComments } from './comments/panel.js'
import { projectorHere } from './facilitator/projector-here.js'
import { authorsPanel } from './provenance/authors-panel.js'
import { ballotPanel } from './votes/panel.js'
import { historyPlayer } from './provenance/history-player.js'
import { heatmapPanel } from './stances/panel.js'
import { followToggle, sincePanel } from './follows/panel.js'

const { slug, article: key, language } = shellData()
const session = startSession()
session.setPlace({ page: 'article', article: key })

const state = {
  charter: null,
  me: null,
  article: null,
  section: null,
  gone: false,
  scope: null, // what the server granted on this document: read-write or readonly
  everSynced: false,
}

const titleEl = h('h1', { id: 'article-title', lang: language, tabindex: -1 })
const sectionEl = h('p', { class: 'crumb', lang: language })
const saveEl = h('p', { class: 'save-state', role: 'status', 'aria-live': 'polite' })
// Who else is here: a count that opens on the names (twenty names would push the text
// off a phone's first screen).
const hereNames = h('p', { class: 'here-names' })
const hereCount = h('summary', null)
const hereEl = h('details', { class: 'here', hidden: true }, hereCount, hereNames)
const noticeEl = h('p', { class: 'notice', hidden: true })
const errorEl = h('p', { class: 'error', role: 'alert' })
const editorEl = h('div', { id: 'editor', class: 'editor', lang: language })
const helpEl = h('p', { id: 'editor-help', class: 'hint' })
// Formatting: the toolbar every editor has (the amendment's text has the same).
const toolbar = formatToolbar({
  controls: 'editor', quill: () => quill, showError: (text) => { errorEl.textContent = text },
})

let quill = null
let entry = null
// Amendments: the count and "propose", and the "amendments only" phase that locks the
// editor for all but facilitators. A phase change makes the granted scope stale.
const amendments = articleAmendments({
  session, slug, key, language,
  onChange: () => { state.scope = null; updateWritable(); updateSaveState() },
})
// The discussion: threads on passages, beside the text (below it on a phone).
const comments = articleComments({ session, slug, key, language })
// Facilitators put the article, or a passage of it, on the projector from here.
const projector = projectorHere({
  slug, key, showError: (text) => { errorEl.textContent = text },
})

// Who wrote what: the text coloured by person or badge, and "who wrote this passage?".
const roomVote = ballotPanel({ session, slug }) // the room's vote, while one is open
const authors = authorsPanel({ slug, key, language, me: () => state.me, onColour: () => heatmap.mute() })
// Where people stand on the passages: the text shaded by stance (one colouring at a time).
const heatmap = heatmapPanel({ slug, key, language, session, onShow: () => authors.mute() })
// The drafting history played back.
const drafting = historyPlayer({ slug, key, language, me: () => state.me })
// Following the article, and its text's change since this participant's last visit.
const follow = followToggle({ slug, kind: 'article', id: key })
const since = sincePanel({ slug, key, language })

function layout() {
  // Before the page's own "skip to the content": straight into the text, one Tab away.
  const skip = h('a', { class: 'skip-link', href: '#editor' }, t('skip_to_text'))
  skip.addEventListener('click', (event) => {
    event.preventDefault()
    if (quill) quill.focus()
  })
  $('#top').prepend(skip)
  fill($('#main'),
    h('div', { class: 'editor-head' },
      h('p', { class: 'back' }, h('a', { href: pagePath.charter(slug) }, `← ${t('back_to_charter')}`)),
      sectionEl, titleEl,
      h('div', { class: 'editor-status' }, saveEl, hereEl, projector.el),
      noticeEl, amendments.el, errorEl),
    h('div', { class: 'editor-layout' },
      h('div', { class: 'editor-main' }, toolbar.el, editorEl, amendments.groupEl, roomVote.el, authors.el, heatmap.el, drafting.el, since.el, follow.el),
      comments.el))
}

// -- the editor itself

function startEditor() {
  entry = session.open(state.article.document, { awareness: true })
  keepPending(entry, session)
  quill = charterEditor(editorEl, t('editor_placeholder'))
  const root = quill.root
  root.setAttribute('role', 'textbox')
  root.setAttribute('aria-multiline', 'true')
  root.setAttribute('aria-labelledby', 'article-title')
  root.setAttribute('aria-describedby', 'editor-help')
  editorEl.after(helpEl)
  const shown = { ...entry, ...editorDoc(entry, quill) } // what this editor shows (composing)
  new QuillBinding(shown.text, quill, othersCursors(entry.provider.awareness))
  toolbar.attach(quill)
  comments.attach(quill, shown)
  projector.attach(quill, shown.text)
  authors.attach(quill, shown.text, [shown.doc.clientID, entry.doc.clientID])
  heatmap.attach(quill, shown.doc)
  // Show a person's name for a few seconds whenever their cursor moves (not only on hover).
  const cursors = quill.getModule('cursors')
  entry.provider.awareness.on('change', ({ added, updated }) => {
    for (const id of [...added, ...updated]) {
      if (id !== entry.provider.awareness.clientID && cursors.cursors().some((c) => c.id === String(id))) {
        cursors.toggleFlag(String(id), true)
      }
    }
  })
  entry.provider.on('authenticated', ({ scope }) => { state.scope = scope; updateWritable() })
  entry.provider.on('authenticationFailed', () => articleGone())
  entry.provider.on('synced', () => {
    state.everSynced = true // from now on the text is here, even offline
    updateWritable()
    updateSaveState()
  })
  entry.provider.on('unsyncedChanges', updateSaveState)
  entry.provider.on('awarenessChange', renderHere)
  entry.doc.on('update', (update, origin) => {
    if (origin !== entry.provider) updateSaveState()
  })
  session.on('status', () => { updateSaveState(); updateWritable() })
  updateWritable()
  updateSaveState()
}

function updateWritable() {
  if (!quill) return
  const writable = !state.gone && canWrite(state.me) && state.scope !== 'readonly' && !amendments.locked()
  // Before the first sync the text is not there yet: wait for it (offline later is fine).
  const ready = entry.provider.isSynced || state.everSynced
  quill.enable(writable && ready)
  quill.root.setAttribute('aria-readonly', String(!(writable && ready)))
  if (state.gone) showNotice(t('article_deleted'))
  else if (amendments.locked()) showNotice('') // its own banner says why, and what to do
  else if (!canWrite(state.me) || state.scope === 'readonly') {
    showNotice(t(mayComment(state.me) ? 'comment_only_notice' : 'read_only_notice'))
  } else showNotice('')
  // "Shared live and saved automatically" is for those who write.
  helpEl.textContent = t(writable ? 'editor_help' : 'editor_help_reading')
  toolbar.update()
}

function showNotice(text) {
  noticeEl.textContent = text
  noticeEl.hidden = !text
}

// -- "saved": only when the server acknowledged (after its commit) every change made here.

let saveTimer = null
let shownState = null

function computeSaveState() {
  if (state.gone) return 'gone'
  const writer = canWrite(state.me) && state.scope !== 'readonly' && !amendments.locked()
  if (session.status !== CONNECTED || (!entry.provider.isSynced && state.everSynced)) {
    return writer ? 'offline-kept' : 'offline'
  }
  if (!entry.provider.isSynced) return 'loading'
  if (!writer) return 'reading'
  if (entry.provider.hasUnsyncedChanges) return 'saving'
  return 'saved'
}

const SAVE_TEXT = {
  gone: 'article_deleted_short',
  'offline-kept': 'offline_kept',
  offline: 'status_offline',
  loading: 'loading',
  reading: 'reading_only',
  saving: 'saving',
  saved: 'saved',
}

function updateSaveState() {
  if (!entry) return
  const next = computeSaveState()
  clearTimeout(saveTimer)
  // "Saving…" only when it lasts: acknowledgements usually come within milliseconds, and
  // a mark blinking at every keystroke (and a screen reader saying it) helps nobody.
  if (next === 'saving' && shownState === 'saved') {
    saveTimer = setTimeout(() => showSaveState(computeSaveState()), 700)
    return
  }
  showSaveState(next)
}

function showSaveState(value) {
  if (value === shownState) return
  shownState = value
  saveEl.dataset.state = value
  // A commenter does not just read: say what they may do.
  saveEl.textContent = t(value === 'reading' && mayComment(state.me) ? 'comment_only' : SAVE_TEXT[value])
}

// -- who is in this article (its awareness: the server stamps each name)

function renderHere() {
  if (!entry) return
  const states = []
  entry.provider.awareness.getStates().forEach((value, clientId) => {
    if (clientId !== entry.provider.awareness.clientID && value && value.user) states.push({ user: value.user })
  })
  const { named, anonymous } = people(states, null)
  const total = named.length + anonymous
  hereEl.hidden = total === 0
  if (!total) return
  hereCount.textContent = tn('also_here_count', total)
  fill(hereNames, t('also_here'), ' ', named.map((p) => personLabel(p.user)))
}

// -- keeping up with the outline: renamed, moved or deleted while open

function findArticle(charter) {
  for (const section of charter.sections) {
    const article = section.articles.find((a) => a.id === key)
    if (article) return { article, section }
  }
  return null
}

function applyCharter(charter) {
  // An outline event carries no projector state: it has its own events.
  const kept = 'projector' in charter || !state.charter ? charter : state.charter
  state.charter = { ...charter, projector: kept.projector, projector_view: kept.projector_view }
  const found = findArticle(charter)
  if (!found) return articleGone()
  state.article = found.article
  state.section = found.section
  titleEl.textContent = found.article.title
  sectionEl.textContent = found.section.title
  document.title = `${found.article.title} — ${charter.title}`
  amendments.update(charter, state.me)
  updateProjectButton()
}

function updateProjectButton() {
  projector.update(state.charter, Boolean(state.me && state.me.role === 'facilitator' && !state.gone))
}

function articleGone() {
  if (state.gone) return
  state.gone = true
  updateProjectButton()
  amendments.gone()
  if (!quill) {
    showMessage(t('article_deleted_short'), t('article_deleted'), [h('a', { href: pagePath.charter(slug) }, t('back_to_charter'))])
    return
  }
  updateWritable()
  updateSaveState()
  announce(t('article_deleted'))
}

async function refresh(current = () => true) {
  try {
    const { charter, me } = await loadCharter(slug)
    if (!current()) return // older than an event shown meanwhile: another load follows
    const first = state.charter === null
    state.me = me
    if (first) {
      topBar(session, charter, null)
      if (!findArticle(charter)) {
        state.charter = charter
        return articleGone()
      }
      layout()
    }
    applyCharter(charter)
    roomVote.start(me)
    if (!state.gone) comments.update(charter, me) // again after a reconnection
    if (first && !state.gone) startEditor()
    updateWritable()
    updateSaveState()
  } catch (error) {
    console.error(error)
    if (state.charter === null) showMessage(t('load_failed_title'), errorText(error))
    else errorEl.textContent = errorText(error)
  }
}

session.on('outline', (event) => {
  if (state.charter && !state.gone) applyCharter(event.charter)
})
session.on('projector', (event) => {
  if (!state.charter) return
  projector.projected(event)
})
session.on('denied', () => showDenied(session))

keepFresh(session, refresh, ['outline', 'projector']) // again each time the channel is ready (a role too)
