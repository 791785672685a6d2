// What the app touches inside @hocuspocus/provider beyond its public API, in one place.
// Checked against the version below, pinned exactly in web/package.json; tests/test_pins.py
// fails when the pin, the installed package or the field read here changes.
export const PROVIDER_CHECKED = '4.8.0'

// Frames queued while the socket was down are dropped on reconnection: the Yjs handshake
// (step 1 / step 2) that follows sends everything the server lacks, and replaying them as
// well would let their acknowledgements clear the provider's "unsaved changes" count before
// the handshake's own update is committed.
export function dropQueuedFrames (socket) {
  if (!Array.isArray(socket.messageQueue)) {
    console.error(`@hocuspocus/provider has no messageQueue (checked with ${PROVIDER_CHECKED})`)
    return
  }
  socket.messageQueue = []
}

// When its connection closes, the provider drops the others' presence (origin: the
// provider itself) but y-protocols keeps their clocks; on return the server sends the same
// states with the same clocks, which y-protocols ignores as already seen, so the others
// stayed missing until each one's client renewed its presence (up to 30 s). Forgetting the
// clocks of what the provider dropped lets them show again at once.
export function forgetDroppedPresence (provider) {
  const awareness = provider.awareness
  if (!awareness) return
  awareness.on('update', ({ removed }, origin) => {
    if (origin !== provider) return
    for (const clientId of removed) awareness.meta.delete(clientId)
  })
}
