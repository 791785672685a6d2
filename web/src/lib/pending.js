// A safety net for edits the server has not acknowledged yet: while a document has
// unacknowledged changes for more than a moment (offline, a slow network), its state is
// copied to this browser's localStorage, and applied again if the page is reloaded before
// the connection comes back. The copy is removed as soon as the server has committed
// everything. Yjs merges it without duplicating anything already on the server.
import * as Y from 'yjs'

const PREFIX = 'charter-pending:'
const DELAY = 1500

function encode(bytes) {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

function decode(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

function storage() {
  try {
    return window.localStorage
  } catch {
    return null // storage disabled: the open page still keeps everything in memory
  }
}

export function keepPending({ name, doc, provider }) {
  const store = storage()
  if (!store) return
  const key = PREFIX + name
  const saved = store.getItem(key)
  if (saved) {
    try {
      Y.applyUpdate(doc, decode(saved), 'pending') // sent to the server like any local edit
    } catch {
      store.removeItem(key)
    }
  }
  let timer = null
  let edited = Boolean(saved) // local changes not yet acknowledged
  const save = () => {
    timer = null
    if (!edited || !provider.hasUnsyncedChanges) return
    try {
      store.setItem(key, encode(Y.encodeStateAsUpdate(doc)))
    } catch {
      // quota exceeded: the page itself still holds the edits
    }
  }
  doc.on('update', (update, origin) => {
    if (origin === provider) return
    edited = true
    if (timer === null) timer = setTimeout(save, DELAY)
  })
  provider.on('unsyncedChanges', ({ number }) => {
    if (number === 0) {
      edited = false
      clearTimeout(timer)
      timer = null
      store.removeItem(key)
    }
  })
  window.addEventListener('pagehide', save)
}
