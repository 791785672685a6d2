// On the article page, for facilitators: put this article on the projector (or take it
// off), and keep a chosen passage on the projector's screen — the passage is remembered as
// two Yjs relative positions, so it stays the same words while people go on typing — or go
// back to following the writing.
import * as Y from 'yjs'
import { api, charterPath, errorText } from '../lib/api.js'
import { announce, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'

function base64(bytes) {
  return btoa(String.fromCharCode(...bytes))
}

/** `showError(text)` shows a problem beside the editor ('' clears it). */
export function projectorHere({ slug, key, showError }) {
  const state = { charter: null, facilitator: false, text: null, range: null }
  const project = h('button', { type: 'button', class: 'secondary project', hidden: true })
  const passage = h('button', { type: 'button', class: 'secondary project-passage', hidden: true },
    t('project_passage'))
  const follow = h('button', { type: 'button', class: 'secondary project-follow', hidden: true },
    t('project_follow'))
  const el = h('span', { class: 'projector-here' }, project, passage, follow)

  async function put(body, said) {
    showError('')
    try {
      const shown = await api('PUT', `${charterPath(slug)}/projector`, body)
      state.charter.projector = shown.article
      state.charter.projector_view = shown.view
      render()
      announce(said)
    } catch (error) {
      showError(errorText(error))
    }
  }

  project.addEventListener('click', () => {
    const next = state.charter.projector === key ? null : key
    put({ article: next }, next ? t('done_projected') : t('done_unprojected'))
  })
  passage.addEventListener('click', () => {
    const range = state.range
    if (!range || !range.length || !state.text) {
      showError(t('project_passage_select'))
      return
    }
    const at = (index, assoc) =>
      base64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(state.text, index, assoc)))
    // The end sticks to the passage's last character: words typed just after it stay out.
    const chosen = { start: at(range.index, 0), end: at(range.index + range.length, -1) }
    put({ article: key, view: { mode: 'live', passage: chosen } }, t('done_passage_projected'))
  })
  follow.addEventListener('click', () => put({ article: key }, t('done_projected')))

  function render() {
    const shown = Boolean(state.facilitator && state.charter)
    project.hidden = !shown
    const here = shown && state.charter.projector === key
    passage.hidden = !here || !state.text
    follow.hidden = !here || !state.charter.projector_view?.passage
    if (shown) project.textContent = here ? t('unproject') : t('project')
  }

  return {
    el,
    /** The charter as it stands, and whether the person may use the projector. */
    update(charter, facilitator) {
      state.charter = charter
      state.facilitator = facilitator
      render()
    },
    /** The editor's text and selection, once it exists. */
    attach(quill, ytext) {
      state.text = ytext
      quill.on('selection-change', (range) => { if (range) state.range = range })
      quill.on('text-change', () => { state.range = quill.getSelection() ?? state.range })
      render()
    },
    projected(event) {
      if (!state.charter) return
      state.charter.projector = event.article
      state.charter.projector_view = event.view
      render()
    },
  }
}
