// "Who wrote what", beside an article's text: colour the text by person or by badge
// (citizen, elected official, organiser) — highlights drawn over the text, never written
// into it — with a legend and the share of the words; and, for everyone including screen
// reader users, "where does this passage come from?" said in words.
import '../css/authors.css'
import { api, charterPath, errorText } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { fetchWhy, legendItems, percent, whyView } from './why.js'
import {
  authorship, editorTextNodes, highlightsSupported, paint, runsOf, shadeOf, unpaint,
} from '../lib/authorship.js'

const REFETCH_MS = 3000 // someone new typing: ask the server who they are, at most this often
const NAMES = [] // the highlights this page registered, to clear them

/** `me()`: the participant this page writes for ({participant_id} or null); `onColour()`:
 * the text is coloured by authors now (another colouring of the text must stop). */
export function authorsPanel({ slug, key, language, me, onColour = () => {} }) {
  const state = { data: null, known: null, quill: null, text: null, clients: [], mode: 'none', drawn: 0, asked: 0, timer: null, last: null, tries: new Map(), retry: null }
  const modes = ['none', 'person', 'badge'].map((mode) => {
    const input = h('input', { type: 'radio', name: 'authors-mode', value: mode, checked: mode === 'none' })
    input.addEventListener('change', () => { if (input.checked) setMode(mode) })
    return h('label', null, input, t(`authors_mode_${mode}`))
  })
  const legend = h('ul', { class: 'authors-legend', 'aria-label': t('authors_legend') })
  const share = h('p', { class: 'authors-share' })
  const said = h('div', { class: 'authors-said', role: 'status' })
  const who = h('button', { type: 'button', class: 'secondary authors-who' }, t('authors_who'))
  const note = h('p', { class: 'hint', hidden: highlightsSupported() }, t('authors_unsupported'))
  const el = h('details', { class: 'authors-panel' },
    h('summary', null, t('authors_title')),
    h('fieldset', { hidden: !highlightsSupported() }, h('legend', null, t('authors_colours')), modes),
    note, legend, share, who, said)

  el.addEventListener('toggle', () => { if (el.open && !state.data) load() })
  who.addEventListener('click', sayWhy)

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
    if (mode !== 'none') onColour()
    if (mode !== 'none' && !state.data) load()
    else draw()
    renderLegend()
  }

  /** Draw the highlights of the text as it is now (after every change, once a frame). */
  function draw() {
    if (!highlightsSupported()) return
    if (state.mode === 'none' || !state.known || !state.quill) {
      unpaint(NAMES)
      return
    }
    const started = performance.now()
    const unknown = new Set()
    const runs = runsOf(state.text, state.known, unknown)
    paint(runs, editorTextNodes(state.quill), shadeOf(state.known, state.mode), NAMES)
    state.drawn = performance.now() - started
    el.dataset.drawMs = state.drawn.toFixed(1) // read by bench/authors_bench.py
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

  function renderLegend() {
    fill(legend, state.data && state.mode !== 'none' ? legendItems(state.data.summary, state.mode) : null)
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

  /** Where the selected passage (or the sentence at the caret) comes from: who wrote it,
   * the amendment that brought it, the workshop (first named version) that held it, the
   * discussions on it. The first sentence is also spoken. */
  async function sayWhy() {
    if (!state.quill) return
    const range = state.quill.getSelection() || state.last
    if (!range) {
      fill(said, t('authors_select'))
      return
    }
    try {
      const found = await fetchWhy(slug, key, range.index, range.index + range.length)
      const { who, list } = whyView(found, { slug, language })
      fill(said, list)
      announce(who)
    } catch (error) {
      fill(said, errorText(error))
    }
  }

  return {
    el,
    /** Stop colouring the text (another colouring of it was chosen). */
    mute() {
      if (state.mode === 'none') return
      modes[0].querySelector('input').checked = true
      setMode('none')
    },
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
