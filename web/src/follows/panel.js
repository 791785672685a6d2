// Following (the charter, an article, an amendment), the digests' preferences, and the
// panel "since your last visit": the word diff of the text since this participant last saw
// it, with who wrote; once shown, the visit is recorded. Participants only: for anyone
// else the server answers 401/403 and nothing is shown.
import { api, charterPath, errorText } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { diffView } from '../lib/diff-view.js'
import { t } from '../lib/i18n.js'
import { pagePath } from '../lib/page.js'

/** A "Follow" toggle button (aria-pressed) for `kind` (charter | article | amendment). */
export function followToggle({ slug, kind, id = null }) {
  const label = h('span', null, t('follow'))
  const button = h('button', { type: 'button', class: 'secondary follow-toggle', 'aria-pressed': 'false' }, label)
  const el = h('p', { class: 'follow', hidden: true }, button,
    h('span', { class: 'hint' }, ' ', t(`follow_${kind}_hint`)))
  let on = false

  function show(found) {
    on = kind === 'charter' ? found.charter
      : kind === 'article' ? found.articles.some((a) => a.id === id)
        : found.amendments.some((a) => a.id === id)
    button.setAttribute('aria-pressed', String(on))
    label.textContent = t(on ? 'following' : 'follow')
    el.hidden = false
  }

  button.addEventListener('click', async () => {
    try {
      show(await api('PUT', `${charterPath(slug)}/me/follows`, { kind, id, follow: !on }))
      announce(t(on ? 'follow_on' : 'follow_off'))
    } catch (error) {
      announce(errorText(error))
    }
  })
  api('GET', `${charterPath(slug)}/me/follows`).then(show, () => {})
  return { el, show }
}

/** "Since your last visit" on an article's page: shown when its text changed. */
export function sincePanel({ slug, key, language }) {
  const el = h('section', { class: 'since-panel', hidden: true, 'aria-labelledby': 'since-title' })
  const base = `${charterPath(slug)}/articles/${encodeURIComponent(key)}`

  async function load() {
    let found
    try {
      found = await api('GET', `${base}/since`)
    } catch {
      return // not a participant: no visits kept
    }
    if (found.changed) {
      const seen = h('button', { type: 'button', class: 'secondary' }, t('since_seen'))
      seen.addEventListener('click', () => { el.hidden = true })
      fill(el, changeView(found, language, h('h2', { id: 'since-title' }, t('since_title'))), seen)
      el.hidden = false
    }
    api('PUT', `${base}/visit`).catch(() => {})
  }
  load()
  return { el }
}

function changeView(found, language, heading) {
  return [
    heading,
    h('p', null, t('since_words', { added: found.added, removed: found.removed }),
      found.who.length ? ` — ${t('since_who', { names: found.who.join(', ') })}` : ''),
    diffView(found.diff, { language }),
  ]
}

/** "Since your last visit" on the charter's page: every article whose text changed, each
 * with a link to it; once shown, the visit of the whole charter is recorded. */
export function charterSincePanel({ slug, language }) {
  const el = h('section', { class: 'since-panel', hidden: true, 'aria-labelledby': 'since-title' })
  async function load() {
    let found
    try {
      found = await api('GET', `${charterPath(slug)}/me/since`)
    } catch {
      return // not a participant: no visits kept
    }
    if (found.articles.length) {
      const seen = h('button', { type: 'button', class: 'secondary' }, t('since_seen'))
      seen.addEventListener('click', () => { el.hidden = true })
      fill(el, h('h2', { id: 'since-title' }, t('since_title')),
        found.articles.map((change) => h('div', { class: 'since-article' }, changeView(change, language,
          h('h3', null, h('a', { href: pagePath.article(slug, change.article), lang: language }, change.title))))),
        seen)
      el.hidden = false
    }
    api('PUT', `${charterPath(slug)}/me/visit`).catch(() => {})
  }
  load()
  return { el }
}

/** The digests' preferences: none, daily or weekly, and instant notices of replies. */
export function mailPreferences({ slug }) {
  const select = h('select', { id: 'mail-frequency' },
    ['none', 'daily', 'weekly'].map((value) => h('option', { value }, t(`mail_${value}`))))
  const instant = h('input', { type: 'checkbox', id: 'mail-instant' })
  const save = h('button', { type: 'submit', class: 'secondary' }, t('mail_save'))
  const status = h('p', { role: 'status', class: 'hint' })
  const form = h('form', { class: 'mail-preferences' },
    h('label', { for: 'mail-frequency' }, t('mail_frequency')), ' ', select,
    h('p', null, instant, ' ', h('label', { for: 'mail-instant' }, t('mail_instant'))),
    save, status)
  const el = h('details', { class: 'mail-panel', hidden: true },
    h('summary', null, t('mail_title')), h('p', { class: 'hint' }, t('mail_hint')), form)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      await api('PUT', `${charterPath(slug)}/me/mail-preferences`,
        { frequency: select.value, instant_replies: instant.checked })
      status.textContent = t('mail_saved')
    } catch (error) {
      status.textContent = errorText(error)
    }
  })
  api('GET', `${charterPath(slug)}/me/follows`).then((found) => {
    select.value = found.preferences.frequency
    instant.checked = found.preferences.instant_replies
    el.hidden = false
  }, () => {})
  return { el }
}
