// An article's rich text (the Quill-style delta of its Y.Text `body`) as plain DOM, for
// pages that show text without editing it (charter page, projector). Text goes in as text
// nodes; links keep only web and mail addresses.
import { h } from './dom.js'

const SAFE_LINK = /^(https?:|mailto:)/i

/** Split a delta into lines: [{runs: [{text, attrs}], block: attrs of the line's "\n"}]. */
export function lines(delta) {
  const out = []
  let runs = []
  for (const op of delta) {
    if (typeof op.insert !== 'string') continue // embeds are not part of an article
    const parts = op.insert.split('\n')
    parts.forEach((part, i) => {
      if (part) runs.push({ text: part, attrs: op.attributes || {} })
      if (i < parts.length - 1) {
        out.push({ runs, block: op.attributes || {} })
        runs = []
      }
    })
  }
  if (runs.length) out.push({ runs, block: {} })
  return out
}

/** The delta with `passage: true` on the characters from `start` to `end` (excluded). */
export function markPassage(delta, start, end) {
  if (!(end > start)) return delta
  const out = []
  let offset = 0
  for (const op of delta) {
    if (typeof op.insert !== 'string') {
      out.push(op)
      offset += 1
      continue
    }
    const text = op.insert
    const cuts = [0, Math.max(0, start - offset), Math.max(0, end - offset), text.length]
      .map((n) => Math.min(n, text.length))
    for (let i = 0; i < 3; i++) {
      const part = text.slice(cuts[i], cuts[i + 1])
      if (!part) continue
      const attributes = { ...(op.attributes || {}) }
      if (i === 1) attributes.passage = true
      out.push({ insert: part, attributes })
    }
    offset += text.length
  }
  return out
}

function inline({ text, attrs }) {
  let node = document.createTextNode(text)
  if (attrs.passage) node = h('mark', { class: 'passage' }, node)
  if (attrs.italic) node = h('em', null, node)
  if (attrs.bold) node = h('strong', null, node)
  if (typeof attrs.link === 'string' && SAFE_LINK.test(attrs.link.trim())) {
    node = h('a', { href: attrs.link.trim(), rel: 'nofollow noopener noreferrer' }, node)
  }
  return node
}

/**
 * Render into `container`. `level` is the heading level of the article's title: the
 * article's own headings (Quill header 1..3) come below it. Each block carries the index of
 * its line (`data-line`), so that a place in the text can be found on the page.
 */
export function renderText(container, delta, { level = 3, emptyText = '' } = {}) {
  const nodes = []
  let list = null
  lines(delta).forEach(({ runs, block }, index) => {
    const content = runs.map(inline)
    const line = { dataset: { line: index } }
    if (block.list === 'bullet' || block.list === 'ordered') {
      const tag = block.list === 'ordered' ? 'ol' : 'ul'
      if (!list || list.tagName.toLowerCase() !== tag) {
        list = h(tag)
        nodes.push(list)
      }
      list.append(h('li', line, content))
      return
    }
    list = null
    if (block.header) {
      const depth = Math.min(6, level + Math.max(1, Math.min(3, Number(block.header) || 1)))
      nodes.push(h(`h${depth}`, line, content))
    } else if (block.blockquote) {
      nodes.push(h('blockquote', line, content))
    } else if (runs.length) {
      nodes.push(h('p', line, content))
    }
  })
  if (!nodes.length && emptyText) nodes.push(h('p', { class: 'empty' }, emptyText))
  container.replaceChildren(...nodes)
}

/** The line (as `lines` counts them) holding the character at `offset` of the text. */
export function lineAt(text, offset) {
  let line = 0
  for (let i = 0; i < Math.min(offset, text.length); i++) if (text[i] === '\n') line++
  return line
}

/** Re-render `container` whenever `ytext` changes, at most once per animation frame;
 * `options.afterDraw()` runs after each rendering; `options.passage()`, if given, says which
 * characters to mark ({start, end} or null). */
export function bindText(container, ytext, options = {}) {
  let scheduled = false
  const draw = () => {
    scheduled = false
    const passage = options.passage?.()
    const delta = ytext.toDelta()
    renderText(container, passage ? markPassage(delta, passage.start, passage.end) : delta, options)
    options.afterDraw?.()
  }
  const observer = () => {
    if (!scheduled) {
      scheduled = true
      requestAnimationFrame(draw)
    }
  }
  ytext.observe(observer)
  draw()
  return () => ytext.unobserve(observer)
}
