// The passages under discussion, drawn behind the editor's text (a layer of rectangles:
// nothing is written into the shared document), the selection as Quill indices (also in a
// read-only editor, where Quill itself reports none), and the "Comment" button that
// appears next to a selection.
import { h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'

/**
 * `marks(quill, { onComment, onCaret })`: `onComment(range)` when the floating button is
 * used, `onCaret(index | null)` when the caret moves in the text.
 */
export function commentMarks(quill, { onComment, onCaret }) {
  const container = quill.container
  const layer = h('div', { class: 'comment-marks', 'aria-hidden': 'true' })
  container.insertBefore(layer, quill.root)
  const button = h('button', { type: 'button', class: 'comment-float', hidden: true }, t('comment_on_selection'))
  button.addEventListener('mousedown', (event) => event.preventDefault()) // keep the selection
  quill.root.after(button)
  // Read-only text can still be focused, selected and pointed at (commenters do).
  quill.root.tabIndex = 0

  let spans = [] // [{id, index, length, current}]
  let scheduled = false
  let selection = null // the last non-empty selection in the text {index, length}
  let enabled = false

  function rangeRects(index, length) {
    const [startNode, startOffset, endNode, endOffset] = quill.selection.rangeToNative({ index, length })
    if (!startNode || !endNode) return []
    const range = document.createRange()
    try {
      range.setStart(startNode, startOffset)
      range.setEnd(endNode, endOffset)
    } catch {
      return []
    }
    return [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0)
  }

  function draw() {
    scheduled = false
    const origin = container.getBoundingClientRect()
    const length = quill.getLength()
    const boxes = []
    for (const span of spans) {
      if (span.length <= 0 || span.index >= length) continue
      for (const rect of rangeRects(span.index, Math.min(span.length, length - span.index))) {
        const box = h('div', { class: span.current ? 'comment-mark current' : 'comment-mark', dataset: { thread: String(span.id) } })
        box.style.left = `${rect.left - origin.left}px`
        box.style.top = `${rect.top - origin.top}px`
        box.style.width = `${rect.width}px`
        box.style.height = `${rect.height}px`
        boxes.push(box)
      }
    }
    layer.replaceChildren(...boxes)
    placeButton()
  }

  function redraw() {
    if (!scheduled) {
      scheduled = true
      requestAnimationFrame(draw)
    }
  }

  /** The selection inside the text, as Quill indices, without needing the focus. */
  function currentRange() {
    const native = document.getSelection()
    if (!native || native.rangeCount === 0) return null
    const normalized = quill.selection.normalizeNative(native.getRangeAt(0))
    return normalized ? quill.selection.normalizedToRange(normalized) : null
  }

  function trimmed(range) {
    const text = quill.getText(range.index, range.length)
    const lead = text.length - text.trimStart().length
    const kept = text.trim().length
    return kept ? { index: range.index + lead, length: kept } : null
  }

  function placeButton() {
    button.hidden = !enabled || !selection
    if (button.hidden) return
    const bounds = quill.getBounds(selection.index, selection.length)
    if (!bounds) return
    const width = container.clientWidth
    button.style.top = `${bounds.bottom + 6}px`
    button.style.left = `${Math.max(0, Math.min(bounds.left, width - button.offsetWidth - 4))}px`
  }

  document.addEventListener('selectionchange', () => {
    const range = currentRange()
    if (range === null) {
      // Focus went to the button or elsewhere: keep the last selection for the button.
      if (!container.contains(document.activeElement)) selection = null
    } else {
      selection = range.length ? trimmed(range) : null
      onCaret(range.index)
    }
    placeButton()
  })
  button.addEventListener('click', () => {
    if (selection) onComment(selection)
  })
  // Ctrl+Alt+M (Cmd+Alt+M): comment on the selection, also in read-only text.
  quill.root.addEventListener('keydown', (event) => {
    if (!enabled || !(event.ctrlKey || event.metaKey) || !event.altKey) return
    if (event.key.toLowerCase() !== 'm' && event.code !== 'KeyM') return
    event.preventDefault()
    const range = currentRange()
    onComment(range && range.length ? trimmed(range) : null)
  })
  quill.on('text-change', redraw)
  window.addEventListener('resize', redraw)
  if (window.ResizeObserver) new ResizeObserver(redraw).observe(container)

  return {
    /** Passages to draw: [{id, index, length, current}]. */
    show(next) {
      spans = next
      redraw()
    },
    selection: () => selection,
    setEnabled(value) {
      enabled = value
      placeButton()
    },
    redraw,
  }
}
