// The formatting toolbar of every editor (an article, an amendment's text): the same real
// buttons with names, pressed state and the usual shortcuts, the same drawings, the same
// link form. Out of the Tab order (the text is a few presses away): Alt+F10 from the text
// comes here, the arrows move along, Escape goes back to the text.
import { linkAllowed } from './quill.js'
import { h } from './dom.js'
import { t } from './i18n.js'

// Icons: letters, or small SVG drawings built through the DOM (never markup).
const SVG = 'http://www.w3.org/2000/svg'
const PATHS = {
  bullet: ['M9 6h11M9 12h11M9 18h11', 'M4 6h.01M4 12h.01M4 18h.01'],
  ordered: ['M10 6h10M10 12h10M10 18h10', 'M4 4v4M3 8h2M3 12.5c.5-1 2.5-1 2.5.2 0 1-2.5 1.8-2.5 3.3h2.7'],
  quote: ['M5 17c0-4 1-7 4-9M13 17c0-4 1-7 4-9', 'M5 17h3v-3H5zM13 17h3v-3h-3z'],
  link: ['M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1', 'M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1'],
  clean: ['M5 19h8', 'M9 5h9M13 5l-3 10', 'M15 14l5 5M20 14l-5 5'],
}
const LETTERS = { bold: 'B', italic: 'I', h1: 'T1', h2: 'T2' }

function toolIcon(name) {
  if (LETTERS[name]) return h('span', { class: 'tool-icon', 'aria-hidden': 'true' }, LETTERS[name])
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('class', 'tool-icon tool-svg')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  for (const d of PATHS[name]) {
    const path = document.createElementNS(SVG, 'path')
    path.setAttribute('d', d)
    svg.append(path)
  }
  return svg
}

/**
 * A toolbar for the Quill editor in element `#controls`. `quill()` gives the editor (it may
 * be made after the toolbar); `showError(text)` says why a link was refused ('' clears it).
 * Returns `{ el, update, attach }`: `update()` after the selection or the editor's state
 * changed; `attach(quill)` once the editor exists (Alt+F10 and the pressed states).
 */
export function formatToolbar({ controls, quill: editor, showError }) {
  const buttons = []
  const tool = (name, label, onClick, shortcut) => {
    const el = h('button', {
      type: 'button', class: `tool tool-${name}`, 'aria-pressed': 'false', tabindex: -1,
      title: shortcut ? `${label} (${shortcut})` : label,
      'aria-keyshortcuts': shortcut ? shortcut.replace('Ctrl', 'Control') : null,
    }, toolIcon(name), h('span', { class: 'visually-hidden' }, label))
    el.addEventListener('mousedown', (event) => event.preventDefault()) // keep the selection
    el.addEventListener('click', onClick)
    return el
  }
  const make = (name, label, format, value, shortcut) => {
    const el = tool(name, label, () => applyFormat(format, value), shortcut)
    buttons.push({ el, format, value })
    return el
  }

  // The link: a small form under the buttons (an address, checked as the server checks it).
  const linkInput = h('input', { type: 'url', inputmode: 'url', placeholder: 'https://', autocomplete: 'off' })
  const linkForm = h('form', { class: 'link-form', hidden: true },
    h('label', null, h('span', { class: 'label-text' }, t('link_address')), linkInput),
    h('button', { type: 'submit' }, t('link_apply')),
    h('button', { type: 'button', class: 'secondary', onclick: () => closeLinkForm() }, t('cancel')))
  let linkRange = null
  const openLinkForm = () => {
    const quill = editor()
    if (!quill || !quill.isEnabled()) return
    linkRange = quill.getSelection(true)
    linkInput.value = quill.getFormat(linkRange).link || ''
    linkForm.hidden = false
    linkInput.focus()
  }
  const closeLinkForm = () => {
    linkForm.hidden = true
    if (linkRange) editor().setSelection(linkRange)
    linkRange = null
  }
  linkForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const quill = editor()
    const url = linkInput.value.trim()
    if (url && !linkAllowed(url)) {
      linkInput.setAttribute('aria-invalid', 'true')
      showError(t('link_invalid'))
      return
    }
    linkInput.removeAttribute('aria-invalid')
    showError('')
    quill.setSelection(linkRange)
    if (linkRange && linkRange.length === 0 && url) {
      quill.insertText(linkRange.index, url, { link: url }, 'user')
    } else {
      quill.format('link', url || false, 'user')
    }
    closeLinkForm()
  })
  linkForm.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeLinkForm()
  })
  const link = tool('link', t('tool_link'), openLinkForm)
  buttons.push({ el: link, format: 'link', value: true })

  const el = h('div', {
    class: 'toolbar', role: 'toolbar', 'aria-label': t('toolbar'), 'aria-controls': controls,
    'aria-keyshortcuts': 'Alt+F10',
  },
    h('div', { class: 'tool-group' },
      make('bold', t('tool_bold'), 'bold', true, 'Ctrl+B'),
      make('italic', t('tool_italic'), 'italic', true, 'Ctrl+I')),
    h('div', { class: 'tool-group' },
      make('h1', t('tool_heading'), 'header', 1),
      make('h2', t('tool_subheading'), 'header', 2)),
    h('div', { class: 'tool-group' },
      make('bullet', t('tool_bullet'), 'list', 'bullet'),
      make('ordered', t('tool_ordered'), 'list', 'ordered'),
      make('quote', t('tool_quote'), 'blockquote', true)),
    h('div', { class: 'tool-group' }, link, make('clean', t('tool_clean'), 'clean', true)),
    linkForm)

  el.addEventListener('keydown', (event) => {
    const all = [...el.querySelectorAll('button.tool')] // in the order they are shown
    const at = all.indexOf(document.activeElement)
    if (at < 0) return
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault()
      all[(at + (event.key === 'ArrowRight' ? 1 : all.length - 1)) % all.length].focus()
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault()
      all[event.key === 'Home' ? 0 : all.length - 1].focus()
    } else if (event.key === 'Escape') {
      event.preventDefault()
      editor()?.focus()
    }
  })

  function applyFormat(format, value) {
    const quill = editor()
    if (!quill || !quill.isEnabled()) return
    const range = quill.getSelection(true)
    if (format === 'clean') {
      if (range.length) quill.removeFormat(range.index, range.length, 'user')
      else quill.format('header', false, 'user')
    } else {
      const current = quill.getFormat(range)[format]
      quill.format(format, current === value || (value === true && current) ? false : value, 'user')
    }
    update()
  }

  function update() {
    const quill = editor()
    const enabled = Boolean(quill && quill.isEnabled())
    const range = enabled ? quill.getSelection() : null
    const formats = range ? quill.getFormat(range) : {}
    el.hidden = !enabled
    for (const { el: button, format, value } of buttons) {
      if (format === 'clean') continue
      const on = value === true ? Boolean(formats[format]) : formats[format] === value
      button.setAttribute('aria-pressed', String(on))
    }
  }

  function attach(quill) {
    quill.root.addEventListener('keydown', (event) => {
      if (event.key === 'F10' && event.altKey && !el.hidden) {
        event.preventDefault()
        // Read the selection now: the browser reports its last change a moment later, and
        // the editor would otherwise format the selection as it was one key earlier.
        quill.update('user')
        el.querySelector('button.tool').focus()
      }
    })
    quill.on('editor-change', update)
    update()
  }

  return { el, update, attach }
}
