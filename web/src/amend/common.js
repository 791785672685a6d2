// What the amendment pages and the editor's hook share: paths, status and vote labels,
// accessible dialogs, and the form that proposes an amendment. Text from people always
// goes in as text nodes (lib/dom.js `h`), never as markup.
import { api, charterPath, errorText } from '../lib/api.js'
import { h } from '../lib/dom.js'
import { t, tn } from '../lib/i18n.js'
import { withBadge } from '../lib/presence.js'

export const STATUSES = ['draft', 'open', 'accepted', 'rejected', 'withdrawn']
export const CHOICES = ['for', 'against', 'abstain']
export const EDITABLE = ['draft', 'open']

const PARTS = ['facilitator', 'editor', 'commenter'] // who proposes and votes

export const amendmentPath = {
  list: (slug, query = {}) => {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v))
    const search = params.toString()
    return `/charters/${encodeURIComponent(slug)}/amendments${search ? `?${search}` : ''}`
  },
  one: (slug, id) => `/charters/${encodeURIComponent(slug)}/amendments/${encodeURIComponent(id)}`,
}

export const amendmentApi = {
  list: (slug) => `${charterPath(slug)}/amendments`,
  one: (slug, id) => `${charterPath(slug)}/amendments/${encodeURIComponent(id)}`,
  propose: (slug, key) => `${charterPath(slug)}/articles/${encodeURIComponent(key)}/amendments`,
}

/** " with Awa Citizen, Élie": each co-author's name (`nameOf`) and badge, or null. */
export function coAuthors(people, nameOf = (p) => p.name) {
  if (!people.length) return null
  const names = people.flatMap((p, i) => [i ? ', ' : '', withBadge(h('span', null, nameOf(p)), p.badge)])
  return [' ', t('amend_with'), ' ', names]
}

/** Commenters and up, as participants (the administrator's token has no vote). */
export function mayTakePart(me) {
  return Boolean(me && me.participant_id && PARTS.includes(me.role))
}

export function isAuthor(amendment, me) {
  if (!me || !me.participant_id) return false
  return amendment.author_id === me.participant_id || amendment.co_authors.includes(me.participant_id)
}

/** The status as a word in a bordered mark: never colour alone. */
export function statusBadge(status) {
  return h('span', { class: `status status-${status}` }, t(`status_${status}`))
}

export function votesText(votes) {
  return t('votes_summary', { for: votes.for || 0, against: votes.against || 0, abstain: tn('votes_abstain', votes.abstain || 0) })
}

/** An API failure in words; a 409 here means the amendment changed status meanwhile. */
export function amendError(error) {
  return error && error.status === 409 ? t('amend_conflict') : errorText(error)
}

export function articlesOf(charter) {
  return charter.sections.flatMap((section) => section.articles.map((article) => ({ ...article, section })))
}

let dialogs = 0

/**
 * A modal dialog with a form: a heading, the fields, an error line, submit and cancel.
 * `onSubmit()` returns true to close. Escape and Cancel close; focus goes back to what
 * opened it.
 */
export function openDialog({ title, intro, fields = [], submitText, danger = false, onSubmit }) {
  const id = `dialog-${++dialogs}`
  const opener = document.activeElement
  const error = h('p', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: danger ? 'danger' : null }, submitText)
  const cancel = h('button', { type: 'button', class: 'secondary' }, t('cancel'))
  const form = h('form', { class: 'stack', novalidate: true },
    intro ? h('p', { id: `${id}-intro` }, intro) : null,
    fields, error,
    h('div', { class: 'button-row' }, submit, cancel))
  const dialog = h('dialog', {
    class: 'amend-dialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': intro ? `${id}-intro` : null,
  }, h('h2', { id: `${id}-title` }, title), form)
  let busy = false
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (busy) return
    busy = true
    submit.setAttribute('aria-disabled', 'true')
    error.textContent = ''
    try {
      if (await onSubmit({ showError: (text) => { error.textContent = text } })) dialog.close()
    } catch (failure) {
      error.textContent = amendError(failure)
    } finally {
      busy = false
      submit.removeAttribute('aria-disabled')
    }
  })
  cancel.addEventListener('click', () => dialog.close())
  dialog.addEventListener('close', () => {
    dialog.remove()
    if (opener && document.contains(opener)) opener.focus()
  })
  document.body.append(dialog)
  dialog.showModal()
  const first = form.querySelector('input:not([type=checkbox]), textarea, select') || submit
  first.focus()
  return dialog
}

/** A labelled field; `hint` is tied to the control with aria-describedby. */
export function field(labelText, control, hint) {
  const hintId = hint ? `hint-${++dialogs}` : null
  if (hintId) control.setAttribute('aria-describedby', hintId)
  return h('label', null, h('span', { class: 'label-text' }, labelText),
    hint ? h('span', { class: 'hint', id: hintId }, hint) : null, control)
}

/** Mark a required field as missing: message, aria-invalid, focus. */
export function missing(control, showError, message) {
  control.setAttribute('aria-invalid', 'true')
  showError(message)
  control.focus()
  return false
}

/**
 * The propose form, in a dialog. With `articleKey` the article is fixed (the editor page);
 * otherwise a list of the charter's articles. On success the browser goes to the new
 * amendment, where its authors write the change.
 */
export function proposeDialog({ slug, charter, articleKey = null, language }) {
  const articles = articlesOf(charter)
  const fixed = articleKey ? articles.find((a) => a.id === articleKey) : null
  const select = fixed ? null : h('select', { name: 'article', required: true },
    h('option', { value: '' }, t('amend_choose_article')),
    articles.map((a) => h('option', { value: a.id }, `${a.section.title} — ${a.title}`)))
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, autocomplete: 'off', lang: language })
  const rationale = h('textarea', { name: 'rationale', required: true, maxlength: 10000, rows: 6, lang: language })
  const openNow = h('input', { type: 'checkbox', name: 'open', checked: true })
  const fields = [
    select ? field(t('amend_article'), select) : null,
    field(t('amend_title'), title, t('amend_title_hint')),
    field(t('amend_rationale'), rationale, t('amend_rationale_hint')),
    h('label', { class: 'check' }, openNow, ' ', t('amend_open_now'),
      h('span', { class: 'hint' }, t('amend_open_now_hint'))),
  ]
  for (const control of [select, title, rationale]) {
    control?.addEventListener('input', () => control.removeAttribute('aria-invalid'))
  }
  return openDialog({
    title: fixed ? t('amend_propose_for', { title: fixed.title }) : t('amend_propose'),
    intro: t('amend_propose_intro'),
    fields,
    submitText: t('amend_propose_submit'),
    onSubmit: async ({ showError }) => {
      const key = fixed ? fixed.id : select.value
      if (!key) return missing(select, showError, t('amend_need_article'))
      if (!title.value.trim()) return missing(title, showError, t('amend_need_title'))
      if (!rationale.value.trim()) return missing(rationale, showError, t('amend_need_rationale'))
      const made = await api('POST', amendmentApi.propose(slug, key), {
        title: title.value.trim(), rationale: rationale.value.trim(), open: openNow.checked,
      })
      location.assign(amendmentPath.one(slug, made.id))
      return true
    },
  })
}
