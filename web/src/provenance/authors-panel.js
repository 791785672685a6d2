// "Who wrote what", beside an article's text: colour the text by person or by badge
// (citizen, elected official, organiser) — highlights drawn over the text, never written
// into it — with a legend and the share of the words; and, for everyone including screen
// reader users, "who wrote the selection?" said in words.
import '../css/authors.css'
import { api, charterPath, errorText } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { authorship, originsBetween, runsOf } from '../lib/authorship.js'

const BADGES = ['citizen', 'elected', 'organiser', 'none']
const REFETCH_MS = 3000 // someone new typing: ask the server who they are, at most this often
const NAMES = [] // the highlights this page registered, to clear them

function supported() {
  return typeof CSS !== 'undefined' && 'highlights' in CSS && typeof Highlight === 'function'
}

/** `me()`: the participant this page writes for ({participant_id} or null). */
export function authorsPanel({ slug, key, me }) {
  const state = { data: null, known: null, quill: null, text: null, clients: [], mode: 'none', drawn: 0, asked: 0, timer: null, last: null, tries: new Map(), retry: null }
  const modes = ['none', 'person', 'badge'].map((mode) => {
    const input = h('input', { type: 'radio', name: 'authors-mode', value: mode, checked: mode === 'none' })
    input.addEventListener('change', () => { if (input.checked) setMode(mode) })
    return h('label', null, input, t(`authors_mode_${mode}`))
  })
  const legend = h('ul', { class: 'authors-legend', 'aria-label': t('authors_legend') })
  const share = h('p', { class: 'authors-share' })
  const said = h('p', { class: 'authors-said', role: 'status' })
  const who = h('button', { type: 'button', class: 'secondary authors-who' }, t('authors_who'))
  const note = h('p', { class: 'hint', hidden: supported() }, t('authors_unsupported'))
  const el = h('details', { class: 'authors-panel' },
    h('summary', null, t('authors_title')),
    h('fieldset', { hidden: !supported() }, h('legend', null, t('authors_colours')), modes),
    note, legend, share, who, said)

  el.addEventListener('toggle', () => { if (el.open && !state.data) load() })
  who.addEventListener('click', async () => {
    if (!state.data) await load()
    sayWho()
  })

  async function load() {
    state.asked = Date.now()
    try {
      state.data = await api('GET', `${charterPath(slug)}/articles/${encodeURIComponent(key)}/authors`)
    } catch (error) {
      said.textContent = errorText(error)
      return
    }
    const person = me()
    state.known = authorship(state.data, { clients: state.clients, participant: person?.participant_id ?? null })
    renderSummary()
    draw()
  }

  function setMode(mode) {
    state.mode = mode
    if (mode !== 'none' && !state.data) load()
    else draw()
    renderLegend()
  }

  function shade(origin) {
    const person = state.known.people.get(origin.participant)
    if (state.mode === 'badge') {
      const badge = person?.badge
      return `who-${BADGES.includes(badge) ? badge : 'none'}`
    }
    return person ? `who-p${person.shade}` : 'who-unknown'
  }

  /** Draw the highlights of the text as it is now (after every change, once a frame). */
  function draw() {
    if (!supported()) return
    for (const name of NAMES.splice(0)) CSS.highlights.delete(name)
    if (state.mode === 'none' || !state.known || !state.quill) return
    const started = performance.now()
    const unknown = new Set()
    const runs = runsOf(state.text, state.known, unknown)
    const nodes = textNodes(state.quill)
    const byShade = new Map()
    for (const run of runs) {
      const name = shade(run.origin)
      if (!byShade.has(name)) byShade.set(name, [])
      byShade.get(name).push(...domRanges(nodes, run.start, run.end))
    }
    for (const [name, ranges] of byShade) {
      CSS.highlights.set(name, new Highlight(...ranges))
      NAMES.push(name)
    }
    state.drawn = performance.now() - started
    el.dataset.drawMs = state.drawn.toFixed(1) // measured by the browser tests
    askAbout(unknown)
  }

  /** Someone new typed (a client the server said nothing of): ask again, a few times at
   * most per client, no more often than every few seconds. */
  function askAbout(unknown) {
    const fresh = [...unknown].filter((c) => (state.tries.get(c) || 0) < 3)
    if (!fresh.length || state.retry !== null) return
    for (const c of fresh) state.tries.set(c, (state.tries.get(c) || 0) + 1)
    const wait = Math.max(0, REFETCH_MS - (Date.now() - state.asked))
    state.retry = setTimeout(() => { state.retry = null; load() }, wait)
  }

  function schedule() {
    if (state.mode === 'none' || state.timer !== null) return
    state.timer = requestAnimationFrame(() => { state.timer = null; draw() })
  }

  function personName(origin) {
    const person = state.known.people.get(origin.participant)
    if (!person) return t('authors_unknown')
    const badge = person.badge ? ` (${t(`badge_${person.badge}`).toLowerCase()})` : ''
    return person.name + badge
  }

  function renderLegend() {
    fill(legend)
    if (!state.data || state.mode === 'none') return
    const summary = state.data.summary
    if (state.mode === 'badge') {
      for (const badge of BADGES) {
        const words = summary.by_badge[badge] || 0
        if (!words) continue
        legend.append(h('li', null, h('span', { class: `who-sample who-${badge}`, 'aria-hidden': 'true' }, 'Abc'),
          `${badge === 'none' ? t('authors_no_badge') : t(`badge_${badge}`)} — ${percent(words, summary.words)}`))
      }
      return
    }
    for (const person of summary.by_person) {
      legend.append(h('li', null, h('span', { class: `who-sample who-p${person.shade}`, 'aria-hidden': 'true' }, 'Abc'),
        `${person.name} — ${percent(person.words, summary.words)}`))
    }
    if (summary.unknown) {
      legend.append(h('li', null, h('span', { class: 'who-sample who-unknown', 'aria-hidden': 'true' }, 'Abc'),
        `${t('authors_unknown')} — ${percent(summary.unknown, summary.words)}`))
    }
  }

  function renderSummary() {
    const s = state.data.summary
    share.textContent = s.words
      ? t('authors_share', {
        citizen: percent(s.by_badge.citizen, s.words),
        elected: percent(s.by_badge.elected, s.words),
        organiser: percent(s.by_badge.organiser, s.words),
        amendment: percent(s.by_way.amendment, s.words),
      })
      : t('authors_no_words')
    renderLegend()
  }

  function sayWho() {
    if (!state.known || !state.quill) return
    let range = state.quill.getSelection() || state.last
    if (!range) {
      said.textContent = t('authors_select')
      return
    }
    if (!range.length) range = sentenceAt(state.quill.getText(), range.index)
    const origins = originsBetween(runsOf(state.text, state.known), range.index, range.index + range.length)
    if (!origins.length) {
      said.textContent = t('authors_select')
      return
    }
    const names = [...new Set(origins.map(personName))]
    const amendments = [...new Set(origins.map((o) => o.amendment).filter((a) => a !== null))]
    const text = t('authors_written_by', { names: names.join(', ') }) +
      (amendments.length ? ` ${t('authors_by_amendment', { numbers: amendments.join(', ') })}` : '')
    said.textContent = text
    announce(text)
  }

  return {
    el,
    /** The editor and the Yjs text it shows; `clients`: this page's own Yjs client ids. */
    attach(quill, ytext, clients) {
      state.quill = quill
      state.text = ytext
      state.clients = clients
      quill.on('selection-change', (range) => { if (range) state.last = range })
      quill.on('text-change', schedule)
    },
  }
}

function percent(part, whole) {
  return `${whole ? Math.round((100 * part) / whole) : 0}\u00a0%`
}

/** The sentence around `index`: from after the previous full stop (or line) to the next. */
function sentenceAt(text, index) {
  let start = index
  while (start > 0 && !/[.!?\n]/.test(text[start - 1])) start--
  let end = index
  while (end < text.length && !/[.!?\n]/.test(text[end])) end++
  if (end < text.length && text[end] !== '\n') end++
  return { index: start, length: end - start }
}

/** The editor's text nodes with the index of their first character, in order. Quill's own
 * caret guard (an empty-in-the-model character) and list markers are not text. */
function textNodes(quill) {
  const found = []
  const Quill = quill.constructor
  const blocks = []
  for (const child of quill.root.children) {
    if (child.tagName === 'OL' || child.tagName === 'UL') blocks.push(...child.children)
    else blocks.push(child)
  }
  for (const block of blocks) {
    const blot = Quill.find(block)
    if (!blot) continue
    let index = quill.getIndex(blot)
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement.closest('.ql-ui, .ql-cursor') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    })
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      found.push({ node, start: index })
      index += node.length
    }
  }
  return found
}

function domRanges(nodes, start, end) {
  const ranges = []
  let lo = 0
  let hi = nodes.length - 1
  while (lo < hi) { // the last node starting at or before `start`
    const mid = (lo + hi + 1) >> 1
    if (nodes[mid].start <= start) lo = mid
    else hi = mid - 1
  }
  for (let i = lo; i < nodes.length && nodes[i].start < end; i++) {
    const { node, start: at } = nodes[i]
    const from = Math.max(start - at, 0)
    const to = Math.min(end - at, node.length)
    if (from >= to) continue
    const range = new Range()
    range.setStart(node, from)
    range.setEnd(node, to)
    ranges.push(range)
  }
  return ranges
}

