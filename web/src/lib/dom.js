// Building DOM without markup strings: text always goes in as text nodes, never as HTML,
// so a name such as "<script>" is shown, not run. Styles are set through the CSSOM only
// (the Content-Security-Policy forbids style attributes in markup).

/**
 * h('button', {class: 'x', onclick: fn, 'aria-label': 'Close'}, 'text', childNode)
 * Props: `class`, `text`, `dataset`, `on<event>`, DOM properties (hidden, disabled, value,
 * checked) and any attribute.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue
    if (key === 'class') el.className = value
    else if (key === 'text') el.textContent = value
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value)
    else if (['hidden', 'disabled', 'value', 'checked', 'selected', 'open'].includes(key)) el[key] = value
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove()
  return el
}

/** Replace an element's children, keeping the element itself. */
export function fill(el, ...children) {
  return append(clear(el), children)
}

const COLOR = /^#[0-9a-fA-F]{6}$/

/** A participant's colour, as a CSS custom property; anything else is ignored. */
export function setColor(el, color) {
  if (typeof color === 'string' && COLOR.test(color)) el.style.setProperty('--person', color)
  return el
}

export function $(selector, root = document) {
  return root.querySelector(selector)
}

/**
 * Keep children of `container` in the order of `elements`, moving only what must move,
 * and give focus back to what had it (moving a node blurs it).
 */
export function reorder(container, elements) {
  const focused = document.activeElement
  elements.forEach((el, i) => {
    if (container.children[i] !== el) container.insertBefore(el, container.children[i] || null)
  })
  while (container.children.length > elements.length) container.lastElementChild.remove()
  if (focused && focused !== document.activeElement && document.contains(focused)) {
    focused.focus({ preventScroll: true })
  }
}

/**
 * A control the page refreshes from the server (a title, a phase, a target section): what
 * the person typed or picked and has not applied yet stays put, whatever update arrives
 * meanwhile. Focus alone does not say it: Tab to the "Apply" button leaves the field.
 * `show(value)` puts the server's value unless the person is on the control or has
 * changed it; `refill(options, value)` does the same for a select whose options change;
 * `done()` once their change is applied. Coming back to the server's value ends an edit.
 */
export function held(control) {
  let edited = false
  const mark = () => { edited = true }
  control.addEventListener('input', mark)
  control.addEventListener('change', mark)
  const keeps = (value) => {
    if (edited && control.value === value) edited = false
    return edited || document.activeElement === control
  }
  return {
    show(value) {
      if (!keeps(value)) control.value = value
    },
    refill(options, value) {
      if (document.activeElement === control) return // an open list does not change under a finger
      const chosen = control.value
      const keep = keeps(value)
      fill(control, options)
      const still = [...control.options].some((option) => option.value === chosen)
      if (keep && still) control.value = chosen
      else {
        edited = false
        control.value = value
      }
    },
    done() { edited = false },
  }
}

// One polite live region per page, present from the start (a region created at the moment
// it speaks is often not read).
const politeRegion = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' })
document.body.append(politeRegion)

/** Say something to screen readers, without moving focus. */
export function announce(text) {
  politeRegion.textContent = ''
  // A separate task, so that the same sentence twice is still read twice.
  setTimeout(() => { politeRegion.textContent = text }, 50)
}
