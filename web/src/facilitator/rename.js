// Correcting a participant's name, in place in the participants panel: the button opens a
// one-field form with the current name selected; Enter saves, Escape gives up, and the
// focus comes back to the button either way. The form survives the panel's redraws (the
// list is drawn again whenever someone comes or goes): the panel puts it back, with what
// was typed.
import { ApiError, api } from '../lib/api.js'
import { announce, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'

/** `panel`: { base, onError, redraw(), reload(), focusControl(id, control) }. */
export function renamer(panel) {
  let open = null // { id, form }

  function button(p) {
    const el = h('button', { type: 'button', class: 'secondary', dataset: { control: 'rename' } },
      t('rename_person'), h('span', { class: 'visually-hidden' }, `: ${p.name}`))
    el.addEventListener('click', () => start(p))
    return el
  }

  function start(p) {
    const input = h('input', { type: 'text', name: 'name', value: p.name, maxlength: 64, autocomplete: 'off', required: true, dataset: { control: 'rename-input' } })
    const cancel = h('button', { type: 'button', class: 'secondary', dataset: { control: 'rename-cancel' } }, t('cancel'))
    const form = h('form', { class: 'inline-form rename-form' },
      h('label', null, h('span', { class: 'label-text' }, t('rename_label', { name: p.name })), input),
      h('button', { type: 'submit' }, t('rename_save')), cancel)
    open = { id: p.id, form }
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      save(p, input)
    })
    cancel.addEventListener('click', () => stop(p.id))
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault()
        stop(p.id)
      }
    })
    panel.redraw()
    input.focus()
    input.select()
  }

  function stop(id) {
    open = null
    panel.redraw()
    panel.focusControl(id, 'rename')
  }

  async function save(p, input) {
    const name = input.value.trim()
    if (name === p.name) return stop(p.id)
    if (!name) return refuse(input, new ApiError(422, 'invalid', 'a name is required', 'name'))
    panel.onError(null)
    try {
      await api('PATCH', `${panel.base}/participants/${p.id}`, { name })
    } catch (error) {
      return refuse(input, error)
    }
    announce(t('done_renamed_person', { name }))
    open = null
    await panel.reload()
    panel.focusControl(p.id, 'rename')
  }

  function refuse(input, error) {
    input.setAttribute('aria-invalid', 'true')
    panel.onError(error)
    input.focus()
  }

  return {
    button,
    /** The open form of this participant, or null. */
    formOf: (id) => (open && open.id === id ? open.form : null),
  }
}
