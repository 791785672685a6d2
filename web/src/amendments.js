// Every amendment of the charter: status, support, article, author; filtered by article
// and status (kept in the address, so a filtered list can be shared); refreshed live on
// the charter's `amendment` events; the form to propose one.
import './css/amendments.css'
import {
  STATUSES, amendmentApi, amendmentPath, articlesOf, coAuthors, mayTakePart, proposeDialog,
  statusBadge, votesText,
} from './amend/common.js'
import { bundlePanel } from './amend/bundles.js'
import { groupBadge, groupName, subgroupPanel } from './amend/subgroups.js'
import { api, errorText } from './lib/api.js'
import { formatDate } from './lib/dates.js'
import { $, announce, h, fill } from './lib/dom.js'
import { t, tn } from './lib/i18n.js'
import { loadCharter, shellData, showMessage, startSession, topBar, showDenied } from './lib/page.js'
import { withBadge } from './lib/presence.js'
import { keepFresh, latestOnly } from './lib/reconnect.js'

const { slug, language } = shellData()
const session = startSession()
session.setPlace({ page: 'amendments' })

const query = new URLSearchParams(location.search)
const state = {
  charter: null,
  me: null,
  amendments: [],
  article: query.get('article') || '',
  status: STATUSES.includes(query.get('status')) ? query.get('status') : '',
}

const phaseNote = h('p', { class: 'phase-banner', hidden: true })
const errorEl = h('p', { class: 'error', role: 'alert' })
const articleSelect = h('select', { id: 'filter-article', name: 'article' })
const statusSelect = h('select', { id: 'filter-status', name: 'status' },
  h('option', { value: '' }, t('filter_all_statuses')),
  STATUSES.map((s) => h('option', { value: s }, t(`status_${s}`))))
const proposeButton = h('button', { type: 'button', hidden: true }, t('amend_propose'))
const countEl = h('p', { class: 'amend-count' })
const listEl = h('ul', { class: 'amendment-list' })
const bundles = bundlePanel({ slug, language })
const groups = subgroupPanel({ slug, language })

function layout() {
  fill($('#main'),
    h('h1', { tabindex: -1 }, t('amendments_title')),
    h('p', { class: 'hint' }, t('amendments_intro')),
    phaseNote, errorEl,
    h('div', { class: 'amend-tools' },
      h('form', { class: 'inline-form filters', role: 'search', 'aria-label': t('filter_label') },
        h('label', { for: 'filter-article' }, h('span', { class: 'label-text' }, t('filter_article')), articleSelect),
        h('label', { for: 'filter-status' }, h('span', { class: 'label-text' }, t('filter_status')), statusSelect)),
      proposeButton),
    groups.el, bundles.el, countEl, listEl)
}

function renderArticles() {
  const current = state.article
  fill(articleSelect, h('option', { value: '' }, t('filter_all_articles')),
    state.charter.sections.map((section) => h('optgroup', { label: section.title },
      section.articles.map((a) => h('option', { value: a.id, selected: a.id === current }, a.title)))))
  articleSelect.value = current
  statusSelect.value = state.status
}

function shown() {
  return state.amendments.filter((a) =>
    (!state.article || a.article.id === state.article) && (!state.status || a.status === state.status))
}

function renderList() {
  const items = shown()
  countEl.textContent = tn('amend_count', items.length)
  fill(listEl, items.length
    ? items.slice().reverse().map(item) // newest first
    : h('li', { class: 'empty' }, state.amendments.length ? t('amend_none_match') : t('amend_none')))
  phaseNote.hidden = state.charter.phase !== 'amendments'
  phaseNote.textContent = t('phase_charter_amendments')
}

function item(a) {
  const titleId = `amendment-${a.id}`
  return h('li', { class: 'amendment-item', dataset: { id: String(a.id), status: a.status } },
    h('article', { 'aria-labelledby': titleId },
      h('h2', { class: 'amendment-title', id: titleId },
        h('a', { href: amendmentPath.one(slug, a.id), lang: language },
          a.group ? t('group_draft_of', { name: groupName(a.group) }) : a.title)),
      h('p', { class: 'meta' }, a.group ? null : [statusBadge(a.status), ' '],
        t('amend_on'), ' ', h('span', { class: 'article-name', lang: language }, a.article.title),
        a.article.deleted ? ` (${t('article_deleted_short')})` : null),
      h('p', { class: 'meta' }, t('amend_by', { date: formatDate(a.created_at) }), ' ',
        withBadge(h('strong', null, a.author), a.author_badge), coAuthors(a.co_author_names)),
      a.group ? h('p', { class: 'meta' }, groupBadge(a.group), ' ', t(`group_status_${a.group.status}`))
        : h('p', { class: 'support' }, votesText(a.votes))))
}

function applyFilters() {
  state.article = articleSelect.value
  state.status = statusSelect.value
  const url = amendmentPath.list(slug, { article: state.article, status: state.status })
  history.replaceState(null, '', url)
  renderList()
  bundles.show(state.article || null, state.me)
  groups.show(state.article || null, state.me)
  announce(countEl.textContent)
}

articleSelect.addEventListener('change', applyFilters)
statusSelect.addEventListener('change', applyFilters)
proposeButton.addEventListener('click', () =>
  proposeDialog({ slug, charter: state.charter, articleKey: null, language }))

// Loads overlap (the page's own, and each event's): only the latest is shown.
const askList = latestOnly(() => api('GET', amendmentApi.list(slug)))

async function loadList() {
  const answer = await askList()
  if (answer) state.amendments = answer.amendments
}

async function refresh(current = () => true) {
  try {
    const [{ charter, me }] = await Promise.all([loadCharter(slug), loadList()])
    if (!current()) return // older than an event shown meanwhile: another load follows
    const first = state.charter === null
    state.charter = charter
    state.me = me
    if (first) {
      topBar(session, charter, 'amendments')
      layout()
      document.title = `${t('amendments_title')} — ${charter.title}`
    }
    proposeButton.hidden = !mayTakePart(me) || articlesOf(charter).length === 0
    renderArticles()
    renderList()
    await bundles.show(state.article || null, me)
    await groups.show(state.article || null, me)
  } catch (error) {
    console.error(error)
    if (state.charter === null) showMessage(t('load_failed_title'), errorText(error))
    else errorEl.textContent = errorText(error)
  }
}

let timer = null
function reloadSoon() {
  clearTimeout(timer)
  timer = setTimeout(async () => {
    try {
      await loadList()
      renderList()
      await bundles.show(state.article || null, state.me)
      await groups.show(state.article || null, state.me)
    } catch (error) {
      errorEl.textContent = errorText(error)
    }
  }, 200)
}

session.on('amendment', (event) => {
  if (!state.charter) return
  if (event.event !== 'voted') announce(t(`event_${event.event}`, { title: event.amendment.title }))
  reloadSoon()
})
session.on('participant', reloadSoon) // someone renamed: an author or voter, maybe
session.on('subgroup', reloadSoon) // a sub-group made, renamed, closed or merged
session.on('phase', (event) => {
  if (!state.charter || event.article) return
  state.charter.phase = event.phase
  renderList()
})
session.on('outline', (event) => {
  if (!state.charter) return
  state.charter = { ...state.charter, ...event.charter }
  renderArticles()
})
session.on('denied', () => showDenied(session))

keepFresh(session, refresh, ['outline', 'phase']) // again each time the channel is ready
