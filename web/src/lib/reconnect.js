// Keeping a page fresh: a page loads what it shows over HTTP as soon as it opens, before its
// live channel has subscribed to the charter's events; an event sent in between (the
// projector moved, an article added), or while the page was cut off, never reaches it. So
// every time the channel is (re)authenticated — the first time included — the page loads
// again, once the subscription is in place.
//
// The other way round, an answer can be older than an event: asked for before the
// facilitator's change, it arrives after the event that announced it. A load is told
// whether one of the `events` it covers came while it ran (`current()` is then false): it
// should not show what it got, and another load follows.

/** Call `load(current)` now, and again each time the channel is ready. Never two at once:
 * a `ready` or one of `events` during a load runs one more after it, so the last thing
 * shown was asked for after the last subscription and the last such event. Returns the
 * function that stops it. */
export function keepFresh(session, load, events = []) {
  let running = false
  let again = false
  let stopped = false
  let seen = 0 // events covered by the load, so far
  const run = async () => {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        const at = seen
        try {
          await load(() => seen === at)
        } catch (error) {
          console.error(error) // each page shows its own errors; this is a last resort
        }
      } while (again && !stopped)
    } finally {
      running = false
    }
  }
  const offs = [
    session.on('ready', run),
    ...events.map((name) => session.on(name, () => {
      seen += 1
      if (running) again = true
    })),
  ]
  run()
  return () => {
    stopped = true
    for (const off of offs) off()
  }
}

/** `ask` such that only the answer to the latest call counts: an earlier call's answer that
 * arrives later may be older than the latest one, and resolves to `null` instead. */
export function latestOnly(ask) {
  let asked = 0
  return async (...args) => {
    const mine = ++asked
    const answer = await ask(...args)
    return mine === asked ? answer : null
  }
}
