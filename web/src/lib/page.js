// What every page shares: reading its data from the shell, the top bar (charter name,
// connection state, links, language switch) and the session with the server.
import { api, charterPath } from './api.js'
import { $, h, fill } from './dom.js'
import { lang, t } from './i18n.js'
import { CONNECTED, CONNECTING, Session } from './session.js'

export function shellData() {
  const { slug, article, language } = document.body.dataset
  return { slug, article: article || null, language: language || 'fr' }
}

export const pagePath = {
  charter: (slug) => `/charters/${encodeURIComponent(slug)}`,
  read: (slug) => `/charters/${encodeURIComponent(slug)}/read`,
  projector: (slug) => `/charters/${encodeURIComponent(slug)}/projector`,
  article: (slug, key) => `/charters/${encodeURIComponent(slug)}/articles/${encodeURIComponent(key)}`,
}

const STATUS_TEXT = { [CONNECTED]: 'status_connected', [CONNECTING]: 'status_connecting' }

/** The connection indicator: a role=status live region, so changes are spoken. */
export function connectionIndicator(session) {
  const text = h('span', { class: 'conn-text' })
  const box = h('p', { class: 'conn', role: 'status' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), text)
  const update = () => {
    const status = session.status
    box.dataset.state = status
    text.textContent = t(STATUS_TEXT[status] || 'status_offline')
  }
  session.on('status', update)
  update()
  return box
}

export function languageLink() {
  const other = lang === 'fr' ? 'en' : 'fr'
  const next = location.pathname + location.search
  return h('a', { href: `/lang/${other}?next=${encodeURIComponent(next)}`, lang: other, hreflang: other, class: 'lang-switch' },
    t('switch_language'))
}

/** Fill the shell's <header> with the top bar. `current` names the page for aria-current;
 * `me`, when given, a participant's link to their own account (server-rendered page). */
export function topBar(session, charter, current, me = null) {
  const { slug, language } = shellData()
  const link = (name, href, text) =>
    h('a', { href, 'aria-current': current === name ? 'page' : null }, text)
  fill($('#top'),
    h('a', { class: 'skip-link', href: '#main' }, t('skip_to_content')),
    h('div', { class: 'topbar' },
      h('a', { class: 'brand', href: pagePath.charter(slug), lang: language }, charter.title),
      connectionIndicator(session),
      h('nav', { class: 'topnav', 'aria-label': t('nav_label') },
        link('charter', pagePath.charter(slug), t('nav_charter')),
        link('read', pagePath.read(slug), t('nav_read')),
        link('versions', `/charters/${encodeURIComponent(slug)}/versions`, t('nav_versions')),
        link('amendments', `/charters/${encodeURIComponent(slug)}/amendments`, t('nav_amendments')),
        link('comments', `/charters/${encodeURIComponent(slug)}/comments`, t('nav_comments')),
        link('projector', pagePath.projector(slug), t('nav_projector')),
        me?.participant_id ? link('account', `/charters/${encodeURIComponent(slug)}/account`, t('account_link')) : null,
        languageLink())))
}

/** The charter and who I am, fetched again after every (re)connection of the channel. */
export async function loadCharter(slug) {
  const [charter, me] = await Promise.all([
    api('GET', charterPath(slug)),
    api('GET', `${charterPath(slug)}/me`),
  ])
  return { charter, me }
}

export function startSession() {
  const { slug } = shellData()
  return new Session(slug)
}

export function canWrite(me) {
  return me && (me.role === 'facilitator' || me.role === 'editor')
}

export function meAsUser(me) {
  if (!me || !me.participant_id) return null
  return { name: me.name, color: me.color, role: me.role, badge: me.badge || undefined }
}

/** Replace the whole main area with a message (charter gone, access refused…). */
export function showMessage(title, text, links = []) {
  fill($('#main'), h('h1', null, title), h('p', null, text), links.length ? h('p', null, links) : null)
}

/** Access refused (blocked, a revoked link): the refusal alone. The connection mark goes
 * (a "● Connected" beside "Access refused" says the opposite) and so does the socket. */
export function showDenied(session, links = [h('a', { href: '/' }, t('home'))]) {
  for (const mark of document.querySelectorAll('.conn')) mark.remove()
  session.stop()
  showMessage(t('denied_title'), t('denied_text'), links)
}
