// Keeping a page fresh: a page loads what it shows over HTTP as soon as it opens, before its
// live channel has subscribed to the charter's events; an event sent in between (the
// projector moved, an article added), or while the page was cut off, never reaches it. So
// every time the channel is (re)authenticated — the first time included — the page loads
// again, once the subscription is in place.

/** Call `load` now, and again each time the channel is ready. Never two at once: a `ready`
 * during a load runs one more after it, so the last thing shown was asked for after the last
 * subscription. Returns the function that stops it. */
export function keepFresh(session, load) {
  let running = false
  let again = false
  let stopped = false
  const run = async () => {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        try {
          await load()
        } catch (error) {
          console.error(error) // each page shows its own errors; this is a last resort
        }
      } while (again && !stopped)
    } finally {
      running = false
    }
  }
  const off = session.on('ready', run)
  run()
  return () => {
    stopped = true
    off()
  }
}
