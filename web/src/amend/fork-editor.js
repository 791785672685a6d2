// The amendment's own text (its fork document) in the same editor as articles: Quill 2
// bound to the fork's Y.Text `body` over /collab, with the others' cursors, a small
// formatting toolbar and a "saved" mark that means committed. Read-only unless the page
// says its viewer may write (an author or a facilitator, while the amendment is open).
import Quill from '../lib/quill.js'
import { QuillBinding } from 'y-quill'
import '../css/editor.css'
import { editorDoc, othersCursors } from '../lib/editor-doc.js'
import { h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { CONNECTED } from '../lib/session.js'

const TOOLS = [
  ['bold', 'tool_bold', 'bold', true, 'B'],
  ['italic', 'tool_italic', 'italic', true, 'I'],
  ['h1', 'tool_heading', 'header', 1, 'T1'],
  ['h2', 'tool_subheading', 'header', 2, 'T2'],
  ['bullet', 'tool_bullet', 'list', 'bullet', '•'],
  ['ordered', 'tool_ordered', 'list', 'ordered', '1.'],
  ['quote', 'tool_quote', 'blockquote', true, '❝'],
]

export function forkEditor({ session, documentName, labelledBy, language }) {
  const editorEl = h('div', { id: 'fork-editor', class: 'editor', lang: language })
  const saveEl = h('p', { class: 'save-state', role: 'status', 'aria-live': 'polite' })
  const help = h('p', { id: 'fork-help', class: 'hint' })
  const buttons = TOOLS.map(([name, label, format, value, letter]) => {
    const el = h('button', { type: 'button', class: `tool tool-${name}`, 'aria-pressed': 'false', title: t(label) },
      h('span', { class: 'tool-icon', 'aria-hidden': 'true' }, letter),
      h('span', { class: 'visually-hidden' }, t(label)))
    el.addEventListener('mousedown', (event) => event.preventDefault())
    el.addEventListener('click', () => toggle(format, value))
    return { el, format, value }
  })
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('toolbar'), 'aria-controls': 'fork-editor' },
    h('div', { class: 'tool-group' }, buttons.map((b) => b.el)))
  const el = h('div', { class: 'fork' }, saveEl, toolbar, editorEl, help)

  const entry = session.open(documentName, { awareness: true })
  const quill = new Quill(editorEl, {
    modules: {
      cursors: { hideDelayMs: 5000, hideSpeedMs: 300, transformOnTextChange: true },
      history: { userOnly: true },
      keyboard: { bindings: { tab: false, indent: false, outdent: false, 'remove tab': false, underline: false } },
      clipboard: {},
    },
    formats: ['bold', 'italic', 'header', 'list', 'link', 'blockquote'],
    placeholder: t('editor_placeholder'),
    readOnly: true,
  })
  quill.root.setAttribute('role', 'textbox')
  quill.root.setAttribute('aria-multiline', 'true')
  quill.root.setAttribute('aria-labelledby', labelledBy)
  quill.root.setAttribute('aria-describedby', 'fork-help')
  const shown = { ...entry, ...editorDoc(entry, quill) } // what this editor shows (composing)
  new QuillBinding(shown.text, quill, othersCursors(entry.provider.awareness))

  let allowed = false
  let everSynced = false

  function toggle(format, value) {
    if (!quill.isEnabled()) return
    const range = quill.getSelection(true)
    const current = quill.getFormat(range)[format]
    quill.format(format, current === value || (value === true && current) ? false : value, 'user')
    updateToolbar()
  }

  function updateToolbar() {
    const enabled = quill.isEnabled()
    toolbar.hidden = !enabled
    const range = enabled ? quill.getSelection() : null
    const formats = range ? quill.getFormat(range) : {}
    for (const { el: button, format, value } of buttons) {
      const on = value === true ? Boolean(formats[format]) : formats[format] === value
      button.setAttribute('aria-pressed', String(on))
    }
  }

  function saveState() {
    if (session.status !== CONNECTED) return allowed && everSynced ? 'offline-kept' : 'offline'
    if (!entry.provider.isSynced && !everSynced) return 'loading'
    if (!allowed) return 'reading'
    return entry.provider.hasUnsyncedChanges ? 'saving' : 'saved'
  }

  const SAVE_TEXT = {
    'offline-kept': 'offline_kept', offline: 'status_offline', loading: 'loading',
    reading: 'reading_only', saving: 'saving', saved: 'saved',
  }

  function update() {
    const ready = entry.provider.isSynced || everSynced
    quill.enable(allowed && ready)
    quill.root.setAttribute('aria-readonly', String(!(allowed && ready)))
    help.textContent = allowed ? t('amend_fork_help') : t('amend_fork_read_only')
    const state = saveState()
    if (saveEl.dataset.state !== state) {
      saveEl.dataset.state = state
      saveEl.textContent = t(SAVE_TEXT[state])
    }
    updateToolbar()
  }

  entry.provider.on('synced', () => { everSynced = true; update() })
  entry.provider.on('unsyncedChanges', update)
  session.on('status', update)
  quill.on('editor-change', updateToolbar)
  update()

  return {
    el,
    entry: shown,
    quill, // for the discussion's highlights and its "comment" button
    /** Whether the viewer may write the fork now (the page knows the status and authors). */
    setWritable(value) {
      allowed = value
      update()
    },
  }
}
