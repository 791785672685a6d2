// The facilitator's switch for the whole charter: open writing, or "amendments only"
// between workshops (editors then propose amendments instead of editing). Shown on the
// charter page with the other facilitator tools.
import { amendmentPath } from './common.js'
import { api } from '../lib/api.js'
import { announce, h, held } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { shellData } from '../lib/page.js'

export function phasePanel({ base, state, session, onError }) {
  const { slug } = shellData()
  const now = h('p', { class: 'phase-now' })
  const select = h('select', { id: 'charter-phase', name: 'phase' },
    h('option', { value: 'open' }, t('phase_open')),
    h('option', { value: 'amendments' }, t('phase_amendments')))
  const form = h('form', { class: 'inline-form' },
    h('label', { for: 'charter-phase' }, h('span', { class: 'label-text' }, t('phase_charter_label')), select),
    h('button', { type: 'submit', class: 'secondary' }, t('phase_apply')))
  const el = h('section', { class: 'box phase-panel', 'aria-labelledby': 'phase-title' },
    h('h2', { id: 'phase-title' }, t('phase_title')),
    now, form,
    h('p', { class: 'hint' }, t('phase_hint')),
    h('p', null, h('a', { href: amendmentPath.list(slug) }, t('amend_see_all'))))

  const choice = held(select)
  const current = () => state.charter.phase || 'open'
  function render() {
    now.textContent = t('phase_current', { phase: t(`phase_${current()}`) })
    choice.show(current())
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    onError(null)
    try {
      await api('PUT', `${base}/phase`, { phase: select.value })
      state.charter.phase = select.value
      choice.done()
      render()
      announce(t('phase_done'))
    } catch (error) {
      onError(error)
    }
  })
  const off = session.on('phase', (event) => {
    if (event.article || !state.charter) return
    state.charter.phase = event.phase
    render()
  })
  render()
  return { el, render, remove: () => { off(); el.remove() } }
}
