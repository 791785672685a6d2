// The amendment's own text (its fork document) in the same editor as articles: Quill 2
// bound to the fork's Y.Text `body` over /collab, with the others' cursors, a small
// formatting toolbar (the article editor's) and a "saved" mark that means committed. Read-only unless the page
// says its viewer may write (an author or a facilitator, while the amendment is open).
import { charterEditor } from '../lib/quill.js'
import { QuillBinding } from 'y-quill'
import '../css/editor.css'
import { editorDoc, othersCursors } from '../lib/editor-doc.js'
import { h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { formatToolbar } from '../lib/toolbar.js'
import { CONNECTED } from '../lib/session.js'

export function forkEditor({ session, documentName, labelledBy, language }) {
  const editorEl = h('div', { id: 'fork-editor', class: 'editor', lang: language })
  const saveEl = h('p', { class: 'save-state', role: 'status', 'aria-live': 'polite' })
  const help = h('p', { id: 'fork-help', class: 'hint' })
  const errorEl = h('p', { class: 'error', role: 'alert' })
  let quill = null
  // The article editor's toolbar: the same buttons, drawings and keys.
  const toolbar = formatToolbar({
    controls: 'fork-editor', quill: () => quill, showError: (text) => { errorEl.textContent = text },
  })
  const el = h('div', { class: 'fork' }, saveEl, toolbar.el, editorEl, errorEl, help)

  const entry = session.open(documentName, { awareness: true })
  quill = charterEditor(editorEl, t('editor_placeholder'))
  quill.root.setAttribute('role', 'textbox')
  quill.root.setAttribute('aria-multiline', 'true')
  quill.root.setAttribute('aria-labelledby', labelledBy)
  quill.root.setAttribute('aria-describedby', 'fork-help')
  const shown = { ...entry, ...editorDoc(entry, quill) } // what this editor shows (composing)
  new QuillBinding(shown.text, quill, othersCursors(entry.provider.awareness))

  let allowed = false
  let everSynced = false

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
    toolbar.update()
  }

  entry.provider.on('synced', () => { everSynced = true; update() })
  entry.provider.on('unsyncedChanges', update)
  session.on('status', update)
  toolbar.attach(quill)
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
