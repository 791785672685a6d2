// The small controls the facilitator's tools are made of: a one-field title form, a button
// that stays focusable when it does not apply, a disclosure with a hidden title.
import { ApiError } from '../lib/api.js'
import { h, held } from '../lib/dom.js'

/** A title field and its button; an empty title is refused here (`onError` says so). */
export function titleForm(labelText, buttonText, onSubmit, onError) {
  const input = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, value: '', autocomplete: 'off' })
  const form = h('form', { class: 'inline-form' },
    h('label', null, h('span', { class: 'label-text' }, labelText), input),
    h('button', { type: 'submit' }, buttonText))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const title = input.value.trim()
    if (!title) {
      input.setAttribute('aria-invalid', 'true')
      onError(new ApiError(422, 'invalid', 'a title is needed', 'title'))
      input.focus()
      return
    }
    input.removeAttribute('aria-invalid')
    if (await onSubmit(title)) typed.done()
  })
  // A title being typed stays while the outline updates; `show` puts the saved one.
  const typed = held(input)
  return { form, input, show: typed.show }
}

export function button(text, onClick, { danger = false, hiddenText = '' } = {}) {
  const el = h('button', { type: 'button', class: danger ? 'danger' : 'secondary' },
    text, hiddenText ? h('span', { class: 'visually-hidden' }, hiddenText) : null)
  el.addEventListener('click', () => {
    if (el.getAttribute('aria-disabled') === 'true') return
    onClick()
  })
  return el
}

export function setEnabled(el, enabled) {
  // aria-disabled keeps the button focusable: focus is not lost when it stops applying.
  if (enabled) el.removeAttribute('aria-disabled')
  else el.setAttribute('aria-disabled', 'true')
}

export function disclosure(summaryText, hiddenText, ...content) {
  const titleSpan = h('span', { class: 'visually-hidden' })
  titleSpan.textContent = hiddenText
  const details = h('details', { class: 'tools' },
    h('summary', null, summaryText, titleSpan),
    h('div', { class: 'tools-body' }, content))
  return { details, titleSpan }
}
