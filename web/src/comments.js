// Every discussion of the charter: threads on articles and on amendments, filtered by
// article, by the text discussed (articles, amendments), status and author (kept in the
// address, so a filtered list can be shared), what is new since the person's last visit,
// refreshed live on the charter's `comment` events; and the moderation log.
import './css/comments.css'
import { amendmentPath } from './amend/common.js'
import { api, errorText } from './lib/api.js'
import { formatDate } from './lib/dates.js'
import { $, h, fill } from './lib/dom.js'
import { t, tn } from './lib/i18n.js'
import { loadCharter, pagePath, shellData, showMessage, startSession, topBar, showDenied } from './lib/page.js'
import { withBadge } from './lib/presence.js'
import { keepFresh, latestOnly } from './lib/reconnect.js'
import { commentApi, quoteView, statusMark, stanceBadge } from './comments/common.js'

const { slug, language } = shellData()
const session = startSession()
session.setPlace({ page: 'comments' })

const query = new URLSearchParams(location.search)
const state = {
  charter: null,
  threads: [],
  hidden: [],
  reverts: [],
  article: query.get('article') || '',
  status: query.get('status') === 'all' ? '' : query.get('status') === 'resolved' ? 'resolved' : 'open',
  author: query.get('author') || '',
  kind: ['articles', 'amendments'].includes(query.get('kind')) ? query.get('kind') : '',
}

const errorEl = h('p', { class: 'error', role: 'alert' })
const articleSelect = h('select', { id: 'filter-article', name: 'article' })
const statusSelect = h('select', { id: 'filter-status', name: 'status' },
  h('option', { value: 'open' }, t('comment_open')),
  h('option', { value: 'resolved' }, t('comment_resolved')),
  h('option', { value: '' }, t('comment_status_all')))
const authorSelect = h('select', { id: 'filter-author', name: 'author' })
const kindSelect = h('select', { id: 'filter-kind', name: 'kind' },
  h('option', { value: '' }, t('comment_kind_all')),
  h('option', { value: 'articles' }, t('comment_kind_articles')),
  h('option', { value: 'amendments' }, t('comment_kind_amendments')))
const countEl = h('p', { class: 'thread-count', role: 'status' })
const listEl = h('ul', { class: 'discussion-list' })
const logEl = h('ul', { class: 'moderation-log' })

function layout() {
  const label = (id, key, control) =>
    h('label', { for: id }, h('span', { class: 'label-text' }, t(key)), control)
  fill($('#main'),
    h('h1', { tabindex: -1 }, t('comments_page_title')),
    h('p', { class: 'hint' }, t('comments_intro')),
    errorEl,
    h('form', { class: 'inline-form comment-filters', role: 'search', 'aria-label': t('comment_filter_label') },
      label('filter-article', 'filter_article', articleSelect),
      label('filter-kind', 'comment_filter_kind', kindSelect),
      label('filter-status', 'filter_status', statusSelect),
      label('filter-author', 'comment_filter_author', authorSelect)),
    countEl, listEl,
    h('section', { class: 'box', 'aria-labelledby': 'moderation-title' },
      h('h2', { id: 'moderation-title' }, t('moderation_title')),
      h('p', { class: 'hint' }, t('moderation_intro')),
      logEl))
  for (const select of [articleSelect, kindSelect, statusSelect, authorSelect]) {
    select.addEventListener('change', () => {
      state.article = articleSelect.value
      state.kind = kindSelect.value
      state.status = statusSelect.value
      state.author = authorSelect.value
      const params = new URLSearchParams(Object.entries({
        article: state.article, kind: state.kind, status: state.status === 'open' ? '' : state.status || 'all', author: state.author,
      }).filter(([, v]) => v))
      history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`)
      render()
    })
  }
}

function renderFilters() {
  fill(articleSelect, h('option', { value: '' }, t('filter_all_articles')),
    state.charter.sections.map((section) => h('optgroup', { label: section.title },
      section.articles.map((a) => h('option', { value: a.id }, a.title)))))
  const authors = new Map()
  for (const thread of state.threads) {
    if (thread.author_id !== null) authors.set(String(thread.author_id), thread.author)
  }
  fill(authorSelect, h('option', { value: '' }, t('comment_filter_all_authors')),
    [...authors].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => h('option', { value: id }, name)))
  articleSelect.value = state.article
  kindSelect.value = state.kind
  statusSelect.value = state.status
  authorSelect.value = authors.has(state.author) ? state.author : ''
}

function shown() {
  return state.threads.filter((thread) =>
    (!state.article || thread.article.id === state.article) &&
    (!state.kind || (state.kind === 'amendments') === Boolean(thread.amendment)) &&
    (!state.status || thread.status === state.status) &&
    (!state.author || String(thread.author_id) === state.author))
}

function item(thread) {
  const first = thread.comments[0]
  const titleId = `discussion-${thread.id}`
  const link = `${pagePath.article(slug, thread.article.id)}#thread-${thread.id}`
  const amendment = thread.amendment
  let heading
  if (amendment) {
    // On an amendment's text: its title links to its page (its discussion is there).
    heading = [h('span', { class: 'discussion-kind' }, `${t('comment_amendment_label')}\u00a0: `),
      h('a', { href: `${amendmentPath.one(slug, amendment.id)}#thread-${thread.id}`, lang: language }, amendment.title),
      ' ', h('span', { class: 'hint' }, `(${t('comment_on_amendment_of')} `, h('span', { lang: language }, thread.article.title), ')')]
  } else if (thread.article.deleted) {
    heading = [h('span', { lang: language }, thread.article.title), ' ', h('span', { class: 'hint' }, `(${t('article_deleted_short')})`)]
  } else {
    heading = h('a', { href: link, lang: language }, thread.article.title)
  }
  return h('li', { class: 'discussion-item box', dataset: { id: String(thread.id), status: thread.status, ...(amendment ? { amendment: String(amendment.id) } : {}) } },
    h('article', { 'aria-labelledby': titleId },
      h('h2', { id: titleId }, heading,
        thread.unread ? [' ', h('span', { class: 'unread-mark' }, tn('comments_unread', thread.unread))] : null),
      quoteView(thread, thread.anchor ? thread.anchor.state : 'article', language),
      h('p', { class: 'meta' }, statusMark(thread), thread.status === 'resolved' ? ' ' : null,
        withBadge(h('span', { class: 'comment-author' }, thread.author), thread.author_badge), ' · ',
        h('time', { datetime: thread.created_at }, formatDate(thread.created_at)), ' · ',
        tn('comment_replies', thread.comments.length - 1),
        first && first.body !== null && first.stance ? [' ', stanceBadge(first.stance)] : null),
      first && first.body !== null ? h('p', { class: 'comment-text' }, first.body) : null))
}

function render() {
  const items = shown()
  countEl.textContent = tn('comments_count', items.length)
  fill(listEl, items.length ? items.map(item)
    : h('li', { class: 'empty' }, state.threads.length ? t('comments_none_match') : t('comments_none_charter')))
  const hidden = state.hidden.map((entry) => ({ at: entry.at, el: h('li', null, t('moderation_entry', {
    author: entry.author, article: entry.amendment ? entry.amendment.title : entry.article.title, by: entry.by, date: formatDate(entry.at), reason: entry.reason,
  })) }))
  // One person's edits on an article reverted (vandalism): who, since when, by whom, why.
  const reverts = state.reverts.map((entry) => ({ at: entry.at, el: h('li', null, t('moderation_revert', {
    author: entry.participant, article: entry.article.title, since: formatDate(entry.since_at), by: entry.by, date: formatDate(entry.at), reason: entry.reason,
    removed: entry.words_removed, restored: entry.words_restored,
  })) }))
  const entries = [...hidden, ...reverts].sort((a, b) => (a.at < b.at ? -1 : 1))
  fill(logEl, entries.length ? entries.map((e) => e.el) : h('li', { class: 'empty' }, t('moderation_none')))
}

// Loads overlap (the page's own, and each `comment` event's): only the latest is shown.
const askThreads = latestOnly(() => Promise.all([
  api('GET', commentApi.list(slug)),
  api('GET', commentApi.moderation(slug)),
]))

async function loadThreads() {
  const answer = await askThreads()
  if (!answer) return // a later load is under way
  const [found, log] = answer
  state.threads = found.threads
  state.hidden = log.hidden
  state.reverts = log.reverts || []
}

async function refresh() {
  try {
    const { charter } = await loadCharter(slug)
    const first = state.charter === null
    state.charter = charter
    await loadThreads()
    if (first) {
      topBar(session, charter, 'comments')
      layout()
    }
    renderFilters()
    render()
    errorEl.textContent = ''
  } catch (error) {
    if (state.charter === null) showMessage(t('load_failed_title'), errorText(error))
    else errorEl.textContent = errorText(error)
  }
}

let timer = null
function reloadSoon() {
  clearTimeout(timer)
  timer = setTimeout(async () => {
    try {
      await loadThreads()
      renderFilters()
      render()
    } catch (error) {
      errorEl.textContent = errorText(error)
    }
  }, 150)
}
session.on('comment', reloadSoon)
session.on('participant', reloadSoon) // someone renamed: their threads say the new name
session.on('denied', () => showDenied(session))

keepFresh(session, refresh) // again each time the channel is ready: events may have been missed
