// The article editor: Quill 2 bound to the article's Y.Text `body` (y-quill), remote
// cursors with names and colours (quill-cursors), a "saved" mark that turns on only when
// the server has committed every change (SyncStatus after the commit), and an offline state
// that keeps typing in the document until the connection comes back.
import Quill, { linkAllowed } from './lib/quill.js'
import { QuillBinding } from 'y-quill'
import './css/editor.css'
import { api, charterPath, errorText } from './lib/api.js'
import { $, announce, h, fill } from './lib/dom.js'
import { t, tn } from './lib/i18n.js'
import { editorDoc, othersCursors } from './lib/editor-doc.js'
import { keepPending } from './lib/pending.js'
import {
  canWrite, loadCharter, pagePath, shellData, showMessage, startSession, topBar, showDenied } from './lib/page.js'
import { people, personLabel } from './lib/presence.js'
import { onReconnect } from './lib/reconnect.js'
import { CONNECTED } from './lib/session.js'
import { articleAmendments } from './amend/article-hook.js'
import { mayComment } from './comments/common.js'
import { articleComments } from './comments/panel.js'
import { projectorHere } from './facilitator/projector-here.js'

// Toolbar icons: letters, or small SVG drawings built through the DOM (never markup).
const SVG = 'http://www.w3.org/2000/svg'
const PATHS = {
  bullet: ['M9 6h11M9 12h11M9 18h11', 'M4 6h.01M4 12h.01M4 18h.01'],
  ordered: ['M10 6h10M10 12h10M10 18h10', 'M4 4v4M3 8h2M3 12.5c.5-1 2.5-1 2.5.2 0 1-2.5 1.8-2.5 3.3h2.7'],
  quote: ['M5 17c0-4 1-7 4-9M13 17c0-4 1-7 4-9', 'M5 17h3v-3H5zM13 17h3v-3h-3z'],
  link: ['M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1', 'M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1'],
  clean: ['M5 19h8', 'M9 5h9M13 5l-3 10', 'M15 14l5 5M20 14l-5 5'],
}
const LETTERS = { bold: 'B', italic: 'I', h1: 'T1', h2: 'T2' }

function toolIcon(name) {
  if (LETTERS[name]) return h('span', { class: 'tool-icon', 'aria-hidden': 'true' }, LETTERS[name])
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('class', 'tool-icon tool-svg')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  for (const d of PATHS[name]) {
    const path = document.createElementNS(SVG, 'path')
    path.setAttribute('d', d)
    svg.append(path)
  }
  return svg
}

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
const toolbar = buildToolbar()

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
      h('div', { class: 'editor-main' }, toolbar.el, editorEl),
      comments.el))
}

// -- the toolbar: real buttons with names, pressed state and the usual shortcuts

function buildToolbar() {
  const buttons = []
  const make = (name, label, format, value, shortcut) => {
    const el = h('button', {
      type: 'button', class: `tool tool-${name}`, 'aria-pressed': 'false', tabindex: -1,
      title: shortcut ? `${label} (${shortcut})` : label,
      'aria-keyshortcuts': shortcut ? shortcut.replace('Ctrl', 'Control') : null,
    }, toolIcon(name), h('span', { class: 'visually-hidden' }, label))
    el.addEventListener('mousedown', (event) => event.preventDefault()) // keep the selection
    el.addEventListener('click', () => applyFormat(format, value))
    buttons.push({ el, format, value })
    return el
  }
  const linkInput = h('input', { type: 'url', inputmode: 'url', placeholder: 'https://', autocomplete: 'off' })
  const linkForm = h('form', { class: 'link-form', hidden: true },
    h('label', null, h('span', { class: 'label-text' }, t('link_address')), linkInput),
    h('button', { type: 'submit' }, t('link_apply')),
    h('button', { type: 'button', class: 'secondary', onclick: () => closeLinkForm() }, t('cancel')))
  let linkRange = null
  const openLinkForm = () => {
    linkRange = quill.getSelection(true)
    linkInput.value = quill.getFormat(linkRange).link || ''
    linkForm.hidden = false
    linkInput.focus()
  }
  const closeLinkForm = () => {
    linkForm.hidden = true
    if (linkRange) quill.setSelection(linkRange)
    linkRange = null
  }
  linkForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const url = linkInput.value.trim()
    if (url && !linkAllowed(url)) {
      linkInput.setAttribute('aria-invalid', 'true')
      errorEl.textContent = t('link_invalid')
      return
    }
    linkInput.removeAttribute('aria-invalid')
    errorEl.textContent = ''
    quill.setSelection(linkRange)
    if (linkRange && linkRange.length === 0 && url) {
      quill.insertText(linkRange.index, url, { link: url }, 'user')
    } else {
      quill.format('link', url || false, 'user')
    }
    closeLinkForm()
  })
  linkForm.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeLinkForm()
  })
  const link = h('button', { type: 'button', class: 'tool tool-link', 'aria-pressed': 'false', title: t('tool_link'), tabindex: -1 },
    toolIcon('link'), h('span', { class: 'visually-hidden' }, t('tool_link')))
  link.addEventListener('mousedown', (event) => event.preventDefault())
  link.addEventListener('click', openLinkForm)
  buttons.push({ el: link, format: 'link', value: true })
  const el = h('div', {
    class: 'toolbar', role: 'toolbar', 'aria-label': t('toolbar'), 'aria-controls': 'editor',
    'aria-keyshortcuts': 'Alt+F10',
  },
    h('div', { class: 'tool-group' },
      make('bold', t('tool_bold'), 'bold', true, 'Ctrl+B'),
      make('italic', t('tool_italic'), 'italic', true, 'Ctrl+I')),
    h('div', { class: 'tool-group' },
      make('h1', t('tool_heading'), 'header', 1),
      make('h2', t('tool_subheading'), 'header', 2)),
    h('div', { class: 'tool-group' },
      make('bullet', t('tool_bullet'), 'list', 'bullet'),
      make('ordered', t('tool_ordered'), 'list', 'ordered'),
      make('quote', t('tool_quote'), 'blockquote', true)),
    h('div', { class: 'tool-group' }, link, make('clean', t('tool_clean'), 'clean', true)),
    linkForm)
  // Out of the Tab order (the text is a few presses away); Alt+F10 from the text comes
  // here, the arrows move along, Escape goes back to the text.
  el.addEventListener('keydown', (event) => {
    const all = [...el.querySelectorAll('button.tool')] // in the order they are shown
    const at = all.indexOf(document.activeElement)
    if (at < 0) return
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault()
      all[(at + (event.key === 'ArrowRight' ? 1 : all.length - 1)) % all.length].focus()
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault()
      all[event.key === 'Home' ? 0 : all.length - 1].focus()
    } else if (event.key === 'Escape') {
      event.preventDefault()
      quill?.focus()
    }
  })
  return { el, buttons }
}

function applyFormat(format, value) {
  if (!quill || !quill.isEnabled()) return
  const range = quill.getSelection(true)
  if (format === 'clean') {
    if (range.length) quill.removeFormat(range.index, range.length, 'user')
    else quill.format('header', false, 'user')
  } else {
    const current = quill.getFormat(range)[format]
    quill.format(format, current === value || (value === true && current) ? false : value, 'user')
  }
  updateToolbar()
}

function updateToolbar() {
  const enabled = Boolean(quill && quill.isEnabled())
  const range = enabled ? quill.getSelection() : null
  const formats = range ? quill.getFormat(range) : {}
  toolbar.el.hidden = !enabled
  for (const { el, format, value } of toolbar.buttons) {
    const on = format !== 'clean' && (value === true ? Boolean(formats[format]) : formats[format] === value)
    if (format !== 'clean') el.setAttribute('aria-pressed', String(on))
  }
}

// -- the editor itself

function startEditor() {
  entry = session.open(state.article.document, { awareness: true })
  keepPending(entry, session)
  quill = new Quill(editorEl, {
    modules: {
      cursors: { hideDelayMs: 5000, hideSpeedMs: 300, transformOnTextChange: true },
      history: { userOnly: true },
      keyboard: {
        // Tab leaves the editor (no keyboard trap); lists are not nested in a charter.
        bindings: { tab: false, indent: false, outdent: false, 'remove tab': false, 'indent code-block': false, 'outdent code-block': false, underline: false },
      },
      clipboard: {},
    },
    formats: ['bold', 'italic', 'header', 'list', 'link', 'blockquote'],
    placeholder: t('editor_placeholder'),
    readOnly: true,
  })
  const root = quill.root
  root.setAttribute('role', 'textbox')
  root.setAttribute('aria-multiline', 'true')
  root.setAttribute('aria-labelledby', 'article-title')
  root.setAttribute('aria-describedby', 'editor-help')
  editorEl.after(helpEl)
  const shown = { ...entry, ...editorDoc(entry, quill) } // what this editor shows (composing)
  new QuillBinding(shown.text, quill, othersCursors(entry.provider.awareness))
  root.addEventListener('keydown', (event) => {
    if (event.key === 'F10' && event.altKey && !toolbar.el.hidden) {
      event.preventDefault()
      toolbar.el.querySelector('button.tool').focus()
    }
  })
  comments.attach(quill, shown)
  projector.attach(quill, shown.text)
  // Show a person's name for a few seconds whenever their cursor moves (not only on hover).
  const cursors = quill.getModule('cursors')
  entry.provider.awareness.on('change', ({ added, updated }) => {
    for (const id of [...added, ...updated]) {
      if (id !== entry.provider.awareness.clientID && cursors.cursors().some((c) => c.id === String(id))) {
        cursors.toggleFlag(String(id), true)
      }
    }
  })
  quill.on('editor-change', updateToolbar)
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
  updateToolbar()
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
  state.charter = charter
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

async function refresh() {
  try {
    const { charter, me } = await loadCharter(slug)
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

onReconnect(session, refresh) // catch up after a reconnection (and a changed role)
session.on('outline', (event) => {
  if (state.charter && !state.gone) applyCharter(event.charter)
})
session.on('projector', (event) => {
  if (!state.charter) return
  projector.projected(event)
})
session.on('denied', () => showDenied(session))

refresh()
