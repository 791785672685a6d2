// What the projector shows: the article on it now, a link to open it, a button to clear
// it; `project(key)` (or null) is also what each article's "Project" button does.
import { api } from '../lib/api.js'
import { h, fill } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { pagePath, shellData } from '../lib/page.js'
import { button, setEnabled } from './controls.js'

export function projectorPanel({ state, base, slug, act, rerender }) {
  const charter = () => state.charter

  function project(next) {
    return act(async () => {
      await api('PUT', `${base}/projector`, { article: next })
      state.charter.projector = next
      rerender()
    }, next ? t('done_projected') : t('done_unprojected'))
  }

  const now = h('p')
  const clear = button(t('clear_projector'), () => project(null))
  const el = h('section', { class: 'box', 'aria-labelledby': 'projector-title' },
    h('h2', { id: 'projector-title' }, t('projector_title')),
    now,
    h('p', { class: 'button-row' },
      h('a', { class: 'button secondary', href: pagePath.projector(slug), target: '_blank', rel: 'noopener' },
        t('open_projector'), h('span', { class: 'visually-hidden' }, ` (${t('new_window')})`)),
      clear),
    h('p', { class: 'hint' }, t('projector_hint')))

  function render() {
    const key = charter().projector
    const article = key && charter().sections.flatMap((s) => s.articles).find((a) => a.id === key)
    fill(now, article
      ? [t('projector_showing'), ' ', h('strong', { lang: shellData().language }, article.title)]
      : t('projector_nothing'))
    setEnabled(clear, Boolean(article))
  }

  return { el, render, project }
}
