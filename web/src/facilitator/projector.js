// What the projector shows: the article on it now, a link to open it, a button to clear
// it, and how it shows that article — its text as written, its changes since the last
// named version, or as an open amendment would make it. `project(key)` (or null) is also
// what each article's "Project" button does.
import { api } from '../lib/api.js'
import { h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { pagePath, shellData } from '../lib/page.js'
import { button, setEnabled } from './controls.js'

let panels = 0 // radio groups need names of their own

export function projectorPanel({ state, session, base, slug, act, rerender }) {
  const charter = () => state.charter
  const name = `projector-view-${++panels}`

  function project(next, view = null) {
    return act(async () => {
      const shown = await api('PUT', `${base}/projector`, view ? { article: next, view } : { article: next })
      state.charter.projector = shown.article
      state.charter.projector_view = shown.view
      rerender()
    }, next ? t('done_projected') : t('done_unprojected'))
  }

  const now = h('p')
  const clear = button(t('clear_projector'), () => project(null))

  // -- how the article is shown
  const radio = (mode) => h('input', { type: 'radio', name, value: mode })
  const live = radio('live')
  const since = radio('since')
  const withAmendment = radio('amendment')
  const withGroups = radio('groups') // the sub-groups' drafts side by side (amend/groups-board.js)
  const amendmentSelect = h('select', { 'aria-label': t('projector_view_which') })
  const noAmendment = h('p', { class: 'hint', hidden: true }, t('projector_view_no_amendment'))
  const choice = (input, text, ...more) => h('div', { class: 'choice' }, h('label', null, input, ' ', text), ...more)
  const viewBox = h('fieldset', { class: 'projector-view-choice', hidden: true },
    h('legend', null, t('projector_view_legend')),
    choice(live, t('projector_view_live')),
    choice(since, t('projector_view_since')),
    choice(withAmendment, t('projector_view_amendment'), amendmentSelect, noAmendment),
    choice(withGroups, t('projector_view_groups')))

  // -- the live text coloured by who wrote it (person or badge), or not
  const colourName = `${name}-authors`
  const colours = ['none', 'person', 'badge'].map((mode) =>
    h('input', { type: 'radio', name: colourName, value: mode }))
  const coloursBox = h('fieldset', { class: 'projector-view-choice projector-authors', hidden: true },
    h('legend', null, t('projector_authors_legend')),
    colours.map((input) => choice(input, t(`authors_mode_${input.value}`))))
  for (const input of colours) input.addEventListener('change', changeView)

  // -- or shaded by where people stand on its passages (the heat-map), for everyone or a
  // badge: one colouring at a time (stances/projector-heat.js draws it)
  const heatName = `${name}-heatmap`
  const heats = ['none', 'all', 'citizen', 'elected', 'organiser'].map((filter) =>
    h('input', { type: 'radio', name: heatName, value: filter }))
  const heatBox = h('fieldset', { class: 'projector-view-choice projector-heatmap', hidden: true },
    h('legend', null, t('projector_heat_choice')),
    heats.map((input) => choice(input, t(input.value === 'none' ? 'authors_mode_none' : `heat_filter_${input.value}`))))
  for (const input of heats) {
    input.addEventListener('change', () => {
      if (input.value !== 'none') colours[0].checked = true
      changeView()
    })
  }
  for (const input of colours.slice(1)) input.addEventListener('change', () => { heats[0].checked = true })

  function chosenView() {
    if (since.checked) return { mode: 'since' }
    if (withGroups.checked) return { mode: 'groups' }
    if (withAmendment.checked) return { mode: 'amendment', amendment: Number(amendmentSelect.value) }
    const authors = colours.find((input) => input.checked)?.value
    const heatmap = heats.find((input) => input.checked)?.value
    // A passage kept in view stays so while the colours change.
    const passage = charter().projector_view?.passage ?? null
    const byAuthors = authors && authors !== 'none' ? authors : null
    return { // colours by authors just chosen win over the heat-map (one at a time)
      mode: 'live', passage, authors: byAuthors,
      heatmap: !byAuthors && heatmap && heatmap !== 'none' ? heatmap : null,
    }
  }

  function changeView() {
    if (withAmendment.checked && !amendmentSelect.value) return // nothing to apply yet
    project(charter().projector, chosenView())
  }
  for (const input of [live, since, withAmendment, withGroups]) input.addEventListener('change', changeView)
  amendmentSelect.addEventListener('change', () => {
    withAmendment.checked = true
    changeView()
  })

  const el = h('section', { class: 'box', 'aria-labelledby': 'projector-title' },
    h('h2', { id: 'projector-title' }, t('projector_title')),
    now,
    viewBox,
    coloursBox,
    heatBox,
    h('p', { class: 'button-row' },
      h('a', { class: 'button secondary', href: pagePath.projector(slug), target: '_blank', rel: 'noopener' },
        t('open_projector'), h('span', { class: 'visually-hidden' }, ` (${t('new_window')})`)),
      clear),
    h('p', { class: 'hint' }, t('projector_hint')))

  let listed = null // the article whose open amendments the list shows
  async function listAmendments(key) {
    listed = key
    let found = []
    try {
      found = (await api('GET', `${base}/amendments?article=${encodeURIComponent(key)}&status=open`)).amendments
    } catch {
      found = [] // the list stays empty: the text and its changes can still be shown
    }
    if (listed !== key) return
    const current = charter().projector_view
    fill(amendmentSelect, found.map((a) => h('option', { value: String(a.id) }, a.title)))
    if (current?.mode === 'amendment') amendmentSelect.value = String(current.amendment)
    amendmentSelect.hidden = !found.length
    withAmendment.disabled = !found.length
    noAmendment.hidden = Boolean(found.length)
  }

  function render() {
    const key = charter().projector
    const article = key && charter().sections.flatMap((s) => s.articles).find((a) => a.id === key)
    fill(now, article
      ? [t('projector_showing'), ' ', h('strong', { lang: shellData().language }, article.title)]
      : t('projector_nothing'))
    setEnabled(clear, Boolean(article))
    viewBox.hidden = !article
    coloursBox.hidden = !article
    heatBox.hidden = !article
    if (!article) return
    const mode = charter().projector_view?.mode ?? 'live'
    live.checked = mode === 'live'
    since.checked = mode === 'since'
    withAmendment.checked = mode === 'amendment'
    withGroups.checked = mode === 'groups'
    coloursBox.hidden = mode !== 'live'
    heatBox.hidden = mode !== 'live'
    const authors = charter().projector_view?.authors || 'none'
    for (const input of colours) input.checked = input.value === authors
    const heatmap = charter().projector_view?.heatmap || 'none'
    for (const input of heats) input.checked = input.value === heatmap
    listAmendments(key)
  }

  // An amendment opened, withdrawn or decided: the list of those that can be shown changes.
  const off = session.on('amendment', () => {
    if (charter().projector) listAmendments(charter().projector)
  })

  return { el, render, project, remove: () => { off(); el.remove() } }
}
