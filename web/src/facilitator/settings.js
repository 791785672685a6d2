// The charter's settings: the licence of its published text, and whether the open-data
// file (the JSON export) also carries the discussion, names included, and whether its
// drafting log names the authors (else pseudonyms).
import { api } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'

export function settingsPanel({ base, onError }) {
  const licence = h('select', { id: 'charter-licence', name: 'licence', disabled: true,
    'aria-describedby': 'charter-licence-hint' })
  const licenceLink = h('a', { target: '_blank', rel: 'noopener' })
  const linkLine = h('p', { class: 'licence-link', hidden: true }, licenceLink)
  const discussion = h('input', { type: 'checkbox', id: 'charter-discussion', name: 'open_data_discussion',
    disabled: true, 'aria-describedby': 'charter-discussion-warning' })
  const names = h('input', { type: 'checkbox', id: 'charter-names', name: 'open_data_names',
    disabled: true, 'aria-describedby': 'charter-names-hint' })
  const savedNote = h('p', { class: 'hint' }) // seen; the live region says it to screen readers
  // Whether this server sends e-mail (CHARTER_SMTP_URL): participants' addresses and digests.
  const mailNote = h('p', { class: 'hint', id: 'charter-mail' })
  const form = h('form', { class: 'stack' },
    h('div', null,
      h('label', { for: 'charter-licence' }, h('span', { class: 'label-text' }, t('settings_licence'))),
      h('p', { class: 'hint', id: 'charter-licence-hint' }, t('settings_licence_hint')),
      licence, linkLine),
    h('div', null,
      h('label', { class: 'check', for: 'charter-discussion' }, discussion, h('span', null, t('settings_discussion'))),
      h('p', { class: 'warning-text', id: 'charter-discussion-warning' }, t('settings_discussion_warning'))),
    h('div', null,
      h('label', { class: 'check', for: 'charter-names' }, names, h('span', null, t('settings_names'))),
      h('p', { class: 'warning-text', id: 'charter-names-hint' }, t('settings_names_hint'))),
    h('button', { type: 'submit' }, t('settings_save')),
    savedNote)
  const heading = h('h2', { id: 'charter-settings-title', tabindex: -1 }, t('settings_title'))
  const el = h('section', { class: 'box charter-settings', 'aria-labelledby': 'charter-settings-title' },
    heading, form, mailNote)
  let current = null
  let busy = false

  function showLink() {
    const chosen = current?.licences.find((l) => l.id === licence.value)
    linkLine.hidden = !chosen?.url
    if (!chosen?.url) return
    licenceLink.href = chosen.url
    fill(licenceLink, t('settings_licence_read', { name: chosen.name }),
      h('span', { class: 'visually-hidden' }, ` (${t('new_window')})`))
  }

  function render(settings) {
    current = settings
    const known = settings.licences.some((l) => l.id === settings.licence)
    // A licence stored before the list existed is shown as it is, until someone changes it.
    const options = known ? settings.licences : [...settings.licences, { id: settings.licence, name: settings.licence }]
    fill(licence, options.map((l) => h('option', { value: l.id, selected: l.id === settings.licence }, l.name)))
    licence.value = settings.licence
    discussion.checked = settings.open_data_discussion
    names.checked = settings.open_data_names
    licence.disabled = false
    discussion.disabled = false
    names.disabled = false
    mailNote.textContent = t(settings.mail?.configured ? 'settings_mail_on' : 'settings_mail_off')
    showLink()
  }

  async function load() {
    try {
      render(await api('GET', `${base}/settings`))
    } catch (error) {
      onError(error)
    }
  }

  licence.addEventListener('change', () => { showLink(); savedNote.textContent = '' })
  discussion.addEventListener('change', () => { savedNote.textContent = '' })
  names.addEventListener('change', () => { savedNote.textContent = '' })
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (busy || !current) return
    const change = { open_data_discussion: discussion.checked, open_data_names: names.checked }
    if (licence.value !== current.licence) change.licence = licence.value
    busy = true
    onError(null)
    try {
      render(await api('PATCH', `${base}/settings`, change))
      savedNote.textContent = t('settings_saved')
      announce(t('settings_saved'))
    } catch (error) {
      onError(error)
    } finally {
      busy = false
    }
  })
  load()
  return { el }
}
