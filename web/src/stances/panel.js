// "Heat-map": beside an article's text, where people stand on its passages — the text
// shaded by agreement and disagreement (CSS custom highlights, never written into the
// text; each kind with its own underline), a legend, the passages most contested first
// (each a button that shows the passage and its thread) and a filter by badge. Kept up to
// date by the `comment` events on the charter's channel. Only one colouring of the text
// at a time: showing this one asks "who wrote what" to stop (`onShow`), and `mute()`.
import '../css/heatmap.css'
import { api, charterPath, errorText } from '../lib/api.js'
import { announce, h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { latestOnly } from '../lib/reconnect.js'
import { editorTextNodes, highlightsSupported, paint, unpaint } from '../lib/authorship.js'
import { HEAT_FILTERS, countsText, heatLegend, heatRuns, heatShade, mostContested, placed } from './heatmap.js'

const NAMES = [] // the highlights this page registered, to clear them
const RELOAD_MS = 250 // several comment events at once: ask once

export function heatmapPanel({ slug, key, language, session, onShow = () => {} }) {
  const state = { threads: null, filter: 'all', shown: false, quill: null, doc: null, timer: null, reload: null }
  const show = h('input', { type: 'checkbox', id: 'heatmap-show', disabled: !highlightsSupported() })
  const filters = HEAT_FILTERS.map((filter) => {
    const input = h('input', { type: 'radio', name: 'heatmap-filter', value: filter, checked: filter === 'all' })
    input.addEventListener('change', () => { if (input.checked) setFilter(filter) })
    return h('label', null, input, t(`heat_filter_${filter}`))
  })
  const legend = h('ul', { class: 'heat-legend', 'aria-label': t('heat_legend') }, heatLegend())
  const list = h('ol', { class: 'heat-contested' })
  const empty = h('p', { class: 'empty', hidden: true }, t('heat_none'))
  const said = h('p', { class: 'heat-said', role: 'status' })
  const el = h('details', { class: 'heatmap-panel', id: 'heatmap-panel' },
    h('summary', null, t('heat_title')),
    h('p', { class: 'hint' }, t('heat_intro')),
    h('p', { class: 'check' }, show, h('label', { for: 'heatmap-show' }, t('heat_show'))),
    h('p', { class: 'hint', hidden: highlightsSupported() }, t('authors_unsupported')),
    h('fieldset', null, h('legend', null, t('heat_filter')), filters),
    legend,
    h('h3', { id: 'heat-contested-title' }, t('heat_contested')),
    list, empty, said)
  list.setAttribute('aria-labelledby', 'heat-contested-title')

  el.addEventListener('toggle', () => { if (el.open && state.threads === null) load() })
  show.addEventListener('change', () => {
    state.shown = show.checked
    if (state.shown) onShow()
    if (state.threads === null) load()
    else draw()
  })

  // Loads overlap (comment events in quick succession, a reconnection): only the latest is
  // shown.
  const ask = latestOnly(() => api('GET', `${charterPath(slug)}/articles/${encodeURIComponent(key)}/stances`))
  async function load() {
    try {
      const found = await ask()
      if (!found) return
      state.threads = found.threads
      said.textContent = ''
    } catch (error) {
      said.textContent = errorText(error)
      return
    }
    render()
  }

  function setFilter(filter) {
    state.filter = filter
    render()
  }

  function items() {
    return placed(state.threads || [], state.doc, state.filter)
  }

  /** The list and the shading, after new data or another filter. */
  function render() {
    const all = items()
    const top = mostContested(all)
    fill(list, top.map((item) => h('li', { dataset: { thread: String(item.thread.id) } },
      h('button', { type: 'button', class: 'link-button', lang: language, onclick: () => goTo(item.thread.id) },
        t('heat_quote', { quote: item.thread.quote })),
      ' ', h('span', { class: 'heat-counts' }, countsText(item.counts)))))
    empty.hidden = top.length > 0
    el.dataset.threads = String(all.length) // read by the tests and bench/heatmap_bench.py
    draw()
  }

  /** The highlights over the text as it is now (after every change, once a frame). */
  function draw() {
    if (!highlightsSupported()) return
    if (!state.shown || !state.quill || state.threads === null) {
      unpaint(NAMES)
      return
    }
    const started = performance.now()
    paint(heatRuns(items()), editorTextNodes(state.quill), heatShade, NAMES)
    el.dataset.drawMs = (performance.now() - started).toFixed(1)
  }

  /** Show a passage in the text and bring its thread into view (focus on it). */
  function goTo(id) {
    const item = items().find((i) => i.thread.id === id)
    if (!item || !state.quill) return
    if (item.place.state === 'attached') state.quill.setSelection(item.place.index, item.place.length, 'api')
    const thread = document.getElementById(`thread-${id}`)
    if (thread) {
      thread.scrollIntoView({ block: 'nearest' })
      thread.focus({ preventScroll: true })
    } else announce(t('heat_thread_missing'))
  }

  function schedule() {
    if (!state.shown || state.timer !== null) return
    state.timer = requestAnimationFrame(() => { state.timer = null; draw() })
  }

  session.on('comment', (event) => {
    if (event.article !== key || event.amendment || state.threads === null) return
    clearTimeout(state.reload)
    state.reload = setTimeout(load, RELOAD_MS)
  })
  // Events sent before the channel was ready, or while the page was cut off, are lost: ask
  // again each time it is ready (someone renamed or given another badge too).
  session.on('ready', () => { if (state.threads !== null) load() })
  session.on('participant', () => { if (state.threads !== null) load() })

  return {
    el,
    /** The editor and the Yjs document it shows. */
    attach(quill, doc) {
      state.quill = quill
      state.doc = doc
      quill.on('text-change', schedule)
      if (state.threads !== null) render()
    },
    /** Stop shading (another colouring of the text was chosen). */
    mute() {
      if (!state.shown) return
      state.shown = false
      show.checked = false
      draw()
    },
  }
}
