// The person's marker in an article's discussion (its amendments' included): everything up
// to the latest comment shown counts as seen, so it is no longer marked new next time.
import { commentApi } from './common.js'

const SEEN_DELAY = 1500

/** The function that moves the marker, debounced (`delay` 0: at once). */
export function seenMarker(panel) {
  const { state, slug, key } = panel
  let seenTimer = null // a marker waiting to be sent

  /** The person has seen everything shown: move their marker (debounced; `keepalive`,
   * so that leaving the page right away does not cancel it). */
  function markSeen(delay = SEEN_DELAY) {
    if (!state.me || !state.me.participant_id || !state.latest) return
    clearTimeout(seenTimer)
    const send = () => {
      seenTimer = null
      fetch(commentApi.seen(slug, key), {
        method: 'PUT',
        credentials: 'same-origin',
        keepalive: true,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ through: state.latest }),
      }).catch(() => {})
    }
    if (delay === 0) send()
    else seenTimer = setTimeout(send, delay)
  }
  window.addEventListener('pagehide', () => {
    if (seenTimer !== null) {
      clearTimeout(seenTimer)
      markSeen(0)
    }
  })
  return markSeen
}
