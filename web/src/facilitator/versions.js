// Versions, from the charter page: save a named version after each workshop, see the latest
// ones (kept up to date live), compare one with the live text, and restore the whole charter
// or one article. A restore first says what it will change and that it can be undone: the
// server saves the current text as a version just before.
import { api, charterPath } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { formatDate } from '../lib/dates.js'
import { t, tn } from '../lib/i18n.js'

const SHOWN = 5 // the latest versions listed here; the versions page lists them all

export function versionsPanel({ slug, session, onError }) {
  const base = charterPath(slug)
  const pages = `/charters/${encodeURIComponent(slug)}`
  const label = h('input', { type: 'text', id: 'version-label', name: 'label', maxlength: 200,
    autocomplete: 'off', 'aria-describedby': 'version-label-hint' })
  const form = h('form', { class: 'stack version-form' },
    h('label', { for: 'version-label' }, h('span', { class: 'label-text' }, t('versions_label'))),
    h('p', { class: 'hint', id: 'version-label-hint' }, t('versions_label_hint')),
    label,
    h('button', { type: 'submit' }, t('versions_save')))
  const list = h('ol', { class: 'version-list', role: 'list' })
  const dialog = restoreDialog({ base, onError })
  const el = h('section', { class: 'box versions-panel', 'aria-labelledby': 'versions-title' },
    h('h2', { id: 'versions-title' }, t('versions_title')),
    form, list,
    h('p', null, h('a', { href: `${pages}/versions` }, t('versions_all'))),
    dialog.el)

  function item(version) {
    const restore = h('button', { type: 'button', class: 'secondary' }, t('versions_restore'),
      h('span', { class: 'visually-hidden' }, ` : ${version.label}`))
    restore.addEventListener('click', () => dialog.open(version, restore))
    return h('li', { class: 'version', dataset: { id: version.id } },
      h('p', { class: 'version-label' }, version.label),
      h('p', { class: 'hint' }, formatDate(version.created_at),
        version.kind === 'auto' ? ` · ${t('versions_automatic')}` : ''),
      h('p', { class: 'version-actions' },
        h('a', { href: `${pages}/compare?from=${version.id}&to=live` }, t('versions_compare_live'),
          h('span', { class: 'visually-hidden' }, ` : ${version.label}`)),
        ' ', restore))
  }

  async function load() {
    try {
      const { versions } = await api('GET', `${base}/versions`)
      const latest = versions.slice(-SHOWN).reverse()
      fill(list, latest.length ? latest.map(item) : h('li', { class: 'hint' }, t('versions_none')))
    } catch (error) {
      onError(error)
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    onError(null)
    const text = label.value.trim()
    if (!text) {
      label.setAttribute('aria-invalid', 'true')
      label.focus()
      return
    }
    label.removeAttribute('aria-invalid')
    try {
      const saved = await api('POST', `${base}/versions`, { label: text })
      label.value = ''
      announce(t('versions_saved', { label: saved.label }))
      load()
    } catch (error) {
      onError(error)
    }
  })

  session.on('version', () => load())
  load()
  return { el, remove: () => el.remove() }
}

/** The confirmation of a restore: what comes back, what goes, and how to undo it. */
function restoreDialog({ base, onError }) {
  const heading = h('h2', { id: 'restore-title' })
  const what = h('select', { id: 'restore-what', name: 'what' })
  const summary = h('p', { class: 'restore-summary', 'aria-live': 'polite' })
  const changes = h('ul', { class: 'restore-changes' })
  const undo = h('p', { class: 'hint' }, t('restore_undo'))
  const confirm = h('button', { type: 'button', class: 'danger' }, t('restore_confirm'))
  const cancel = h('button', { type: 'button', class: 'secondary' }, t('cancel'))
  const error = h('div', { class: 'error', role: 'alert' }) // the page keeps its own p.error
  const el = h('dialog', { class: 'restore-dialog', 'aria-labelledby': 'restore-title' },
    heading,
    h('label', { for: 'restore-what' }, h('span', { class: 'label-text' }, t('restore_what'))),
    what, summary, changes, undo, error,
    h('p', { class: 'dialog-actions' }, confirm, ' ', cancel))
  let version = null
  let comparison = null
  let returnTo = null

  function changed() {
    return comparison.articles.filter((a) => a.status.some((s) => s === 'changed' || s === 'renamed'))
  }

  function describe() {
    const articles = what.value === 'charter' ? changed() : changed().filter((a) => a.id === what.value)
    // The comparison goes from the version to the live text: a restore takes it back.
    const back = articles.reduce((n, a) => n + (a.words_removed || 0), 0)
    const gone = articles.reduce((n, a) => n + (a.words_added || 0), 0)
    summary.textContent = articles.length === 0
      ? t('restore_nothing')
      : `${tn('restore_articles', articles.length)} ${t('restore_words', { back, gone })}`
    fill(changes, articles.map((a) => h('li', null, a.title)))
    confirm.disabled = articles.length === 0
  }

  what.addEventListener('change', describe)
  cancel.addEventListener('click', () => el.close())
  el.addEventListener('close', () => returnTo?.focus())

  confirm.addEventListener('click', async () => {
    error.textContent = ''
    const path = what.value === 'charter'
      ? `${base}/versions/${version.id}/restore`
      : `${base}/articles/${encodeURIComponent(what.value)}/restore`
    try {
      const done = await api('POST', path, what.value === 'charter' ? {} : { version: version.id })
      el.close()
      const before = done.saved_before ? done.saved_before.label : ''
      announce(t('restore_done', { label: version.label, before }))
    } catch (failure) {
      error.textContent = t('restore_failed')
      onError(failure)
    }
  })

  return {
    el,
    async open(chosen, opener) {
      version = chosen
      returnTo = opener
      error.textContent = ''
      heading.textContent = t('restore_title', { label: chosen.label })
      try {
        comparison = await api('GET', `${base}/compare?from=${chosen.id}&to=live`)
      } catch (failure) {
        onError(failure)
        return
      }
      fill(what,
        h('option', { value: 'charter' }, t('restore_whole')),
        changed().map((a) => h('option', { value: a.id }, t('restore_article', { title: a.title }))))
      describe()
      el.showModal()
      what.focus()
    },
  }
}
