// Catching up after a reconnection: the page loads what it shows once at start, and events
// sent while it was cut off are lost, so each later (re)authentication of the charter's
// channel asks the server again.

/** Call `fn` every time the channel is ready again, never the first time (the first load
 * is already under way). Returns the function that stops it. */
export function onReconnect(session, fn) {
  let first = true
  return session.on('ready', () => {
    if (!first) fn()
    first = false
  })
}
