// The charter page's line under each article: how many discussions it has and how many
// comments are new since this person's last visit (a link to the article's discussion),
// kept up to date on the charter's `comment` events.
import { api } from '../lib/api.js'
import { h, fill } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import { pagePath } from '../lib/page.js'
import { latestOnly } from '../lib/reconnect.js'
import { commentApi } from './common.js'

export function discussionMarks({ session, slug }) {
  let counts = new Map() // article key -> {threads, unread}
  const slots = new Map() // article key -> element
  let timer = null

  function render() {
    for (const [key, el] of slots) {
      const count = counts.get(key)
      el.hidden = !count
      if (!count) continue
      fill(el, h('a', { href: `${pagePath.article(slug, key)}#comments-title` },
        tn('comments_count', count.threads),
        h('span', { class: 'visually-hidden' }, ` (${t('comments_title')})`)),
      count.unread ? [' ', h('span', { class: 'unread-mark' }, tn('comments_unread', count.unread))] : null)
    }
  }

  // Loads overlap (the page's own, each `comment` event's): only the latest is shown.
  const ask = latestOnly(() => api('GET', commentApi.list(slug)))
  async function load() {
    try {
      const answer = await ask()
      if (!answer) return
      const { threads } = answer
      counts = new Map()
      for (const thread of threads) {
        // An amendment's discussion is on its own page, not in the article's.
        if (thread.amendment || (thread.status === 'resolved' && !thread.unread)) continue
        const count = counts.get(thread.article.id) || { threads: 0, unread: 0 }
        count.threads += 1
        count.unread += thread.unread
        counts.set(thread.article.id, count)
      }
      render()
    } catch {
      // the article pages still show their discussion
    }
  }

  session.on('comment', () => {
    clearTimeout(timer)
    timer = setTimeout(load, 200)
  })

  return {
    /** The element to put under an article (kept per article). */
    slot(key) {
      if (!slots.has(key)) slots.set(key, h('p', { class: 'article-discussion', hidden: true }))
      return slots.get(key)
    },
    load,
    render,
  }
}
