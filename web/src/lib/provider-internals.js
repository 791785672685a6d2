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
