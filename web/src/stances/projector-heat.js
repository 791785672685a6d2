// The heat-map on the projector: the live text shaded by stances (everyone's or one
// badge's), with the legend and the passages most contested first in large type above the
// text. The same computation as the editor's panel (heatmap.js); kept up to date by the
// `comment` events on the charter's channel.
import '../css/heatmap.css'
import { api, charterPath, errorText } from '../lib/api.js'
import { h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { keepFresh, latestOnly } from '../lib/reconnect.js'
import { highlightsSupported, paint, renderedTextNodes, unpaint } from '../lib/authorship.js'
import { countsText, heatLegend, heatRuns, heatShade, mostContested, placed } from './heatmap.js'

const TOP = 3 // passages listed on the wall: readable from the back of the room
const RELOAD_MS = 250

/** Where the projector draws the legend and the list (placed by projector.js). */
export const heatEl = h('section', { class: 'projector-heat', hidden: true, 'aria-labelledby': 'projector-heat-title' })

/** Shade `entry`'s text drawn in `bodyEl` for `filter` (all, citizen, elected, organiser)
 * until `stop()`; `draw()` after each rendering of the text. */
export function shadeByStances({ slug, key, session, entry, bodyEl, filter, language, onError }) {
  const drawn = []
  let threads = null
  let alive = true
  let timer = null

  // Loads overlap (comment events in quick succession): only the latest is shown.
  const ask = latestOnly(() => api('GET', `${charterPath(slug)}/articles/${encodeURIComponent(key)}/stances`))
  async function load() {
    try {
      const found = await ask()
      if (!alive || !found) return
      threads = found.threads
      render()
      draw()
    } catch (error) {
      if (alive) onError(errorText(error))
    }
  }

  const items = () => placed(threads || [], entry.doc, filter)

  function render() {
    const top = mostContested(items(), TOP)
    heatEl.hidden = false
    fill(heatEl,
      h('h2', { id: 'projector-heat-title', class: 'projector-heat-title' },
        t('projector_heat_legend'), ' — ', t('projector_heat_filter', { who: t(`heat_filter_${filter}`) })),
      h('ul', { class: 'heat-legend', 'aria-label': t('heat_legend') }, heatLegend()),
      top.length
        ? h('ol', { class: 'projector-heat-list', 'aria-label': t('heat_contested') }, top.map((item) => h('li', null,
          h('span', { lang: language }, t('heat_quote', { quote: item.thread.quote })), ' ',
          h('span', { class: 'heat-counts' }, countsText(item.counts)))))
        : h('p', { class: 'projector-heat-none' }, t('heat_none')))
  }

  function draw() {
    if (!threads || !alive || !highlightsSupported()) return
    paint(heatRuns(items()), renderedTextNodes(bodyEl, entry.text.toString()), heatShade, drawn)
  }

  const off = session.on('comment', (event) => {
    if (event.article !== key || event.amendment) return
    clearTimeout(timer)
    timer = setTimeout(load, RELOAD_MS)
  })
  const offReady = keepFresh(session, load) // now, and again after each (re)connection
  return {
    draw,
    stop() {
      alive = false
      off()
      offReady()
      clearTimeout(timer)
      unpaint(drawn)
      heatEl.hidden = true
      fill(heatEl)
    },
  }
}
