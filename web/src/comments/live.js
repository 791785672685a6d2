// Keeping the discussion true: loading its threads (at start, after a reconnection and
// when someone is renamed), fetching one thread again when a `comment` event on the
// charter's channel names it (said to screen readers when someone else did it), and
// bringing into view the thread the address points to (#thread-N) or the panel itself
// (#comments-title).
import { api } from '../lib/api.js'
import { announce } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { commentApi } from './common.js'

export function liveThreads(panel) {
  const { session, state, slug, amendment } = panel

  // A `comment` event is followed by a fetch of its thread: an answer to a load during which
  // one came may be older than that thread, and is replaced by another load.
  let heard = 0
  async function load() {
    const at = heard
    try {
      const found = await api('GET', panel.threadsUrl)
      if (heard !== at) return load()
      state.threads = new Map(found.threads.map((thread) => [thread.id, thread]))
      state.latest = found.latest
      state.loaded = true
      if (amendment !== null) panel.allowStart(found.may_comment, found.status)
      panel.errorEl.textContent = ''
      panel.render()
      panel.markSeen(0)
      focusFromAddress()
    } catch (error) {
      panel.errorEl.textContent = panel.failure(error)
    }
  }

  function focusFromAddress() {
    if (location.hash === '#comments-title' && !state.scrolled) {
      state.scrolled = true
      panel.el.scrollIntoView({ block: 'start' })
    }
    const match = /^#thread-(\d+)$/.exec(location.hash)
    const view = match && state.views.get(Number(match[1]))
    if (view && !view.focused) {
      view.focused = true
      view.el.scrollIntoView({ block: 'center' })
      view.el.focus({ preventScroll: true })
    }
  }

  async function refreshThread(id) {
    try {
      panel.take(await api('GET', commentApi.thread(slug, id)))
    } catch (error) {
      if (error.status === 404) {
        state.threads.delete(id)
        panel.render()
      }
    }
  }

  session.on('comment', async (event) => {
    if (!panel.ours(event)) return
    heard += 1
    if (!state.loaded) return // the first load, under way or to come, will have it
    const before = state.threads.get(event.thread)
    await refreshThread(event.thread)
    const after = state.threads.get(event.thread)
    if (!after) return
    const last = after.comments[after.comments.length - 1]
    if (event.event === 'created' && !before && !after.comments[0].mine) {
      announce(t('comment_event_created', { name: after.author }))
    } else if (event.event === 'replied' && last && !last.mine) {
      announce(t('comment_event_replied', { name: last.author }))
    } else if (['resolved', 'reopened', 'hidden'].includes(event.event)) {
      announce(t(`comment_event_${event.event}`))
    }
    panel.markSeen()
  })

  // Someone was renamed: their comments say the new name.
  session.on('participant', () => {
    if (state.loaded) load()
  })

  return { load, refreshThread }
}
