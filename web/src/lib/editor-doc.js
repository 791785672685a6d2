// The copy of an article that an editor shows. While the person composes a word — a
// phone's keyboard, accents, any input method — the browser holds text that the editor has
// not read yet; a change from someone else applied at that moment is placed by positions
// that no longer match the screen, and the two texts interleave ("e et et l le les").
// So the editor is bound to a document of its own: its edits go to the shared document at
// once, while others' changes wait until the composition ends, then arrive in order.
// Both documents hold the same items (same ids), so relative positions (comments'
// anchors, cursors) mean the same in either. The editor's document has an id of its own
// (two documents writing under one id would each take the other's edits for an
// impostor's); so the cursors are drawn from presence without this page's own entry.
import * as Y from 'yjs'

const COPY = Symbol('editor copy') // the origin of a change copied between the two

/**
 * `entry` as opened by the session; `quill` the editor that will be bound to the result.
 * Returns `{ doc, text }`: the editor's document and its `body`.
 */
export function editorDoc(entry, quill) {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(entry.doc), COPY)

  let composing = false
  const held = []
  entry.doc.on('update', (update, origin) => {
    if (origin === COPY) return
    if (composing) held.push(update)
    else Y.applyUpdate(doc, update, COPY)
  })
  doc.on('update', (update, origin) => {
    if (origin !== COPY) Y.applyUpdate(entry.doc, update, COPY)
  })
  quill.on('composition-before-start', () => { composing = true })
  // After the editor has read the composed text (and sent it), the held changes land.
  quill.on('composition-end', () => {
    composing = false
    if (held.length) Y.applyUpdate(doc, Y.mergeUpdates(held.splice(0)), COPY)
  })
  return { doc, text: doc.getText('body') }
}

/** The presence the editor's cursors are drawn from (for y-quill): everyone's but this
 * page's own, which the editor's document, having its own id, would take for another's. */
export function othersCursors(awareness) {
  return {
    getLocalState: () => awareness.getLocalState(),
    setLocalStateField: (field, value) => awareness.setLocalStateField(field, value),
    getStates: () => {
      const states = new Map(awareness.getStates())
      states.delete(awareness.clientID)
      return states
    },
    on: (name, handler) => awareness.on(name, handler),
    off: (name, handler) => awareness.off(name, handler),
  }
}
