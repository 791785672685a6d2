// Shaping the outline: each section's tools (rename, move up and down, delete, add an
// article to it), each article's (rename, move up and down, move to another section,
// project, delete), and "add a section" below the outline. Every change goes through
// `act`, which applies the updated charter the server answers.
import { api } from '../lib/api.js'
import { h, fill, held } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { button, disclosure, setEnabled, titleForm } from './controls.js'

function moved(list, index, delta) {
  const order = [...list]
  const [item] = order.splice(index, 1)
  order.splice(index + delta, 0, item)
  return order
}

export function outlineTools({ state, base, act, onError, outlineEnd, project }) {
  const sectionTools = new Map()
  const articleTools = new Map()
  const charter = () => state.charter
  const sectionOf = (key) => charter().sections.find((s) => s.articles.some((a) => a.id === key))

  // Adding answers only the new item and pushes nothing: a no-op reorder of the
  // fresh outline pushes it to everyone and answers the whole charter.
  async function pushSections() {
    const fresh = await api('GET', base)
    return api('PUT', `${base}/sections/order`, { order: fresh.sections.map((s) => s.id) })
  }
  async function pushArticles(sectionId) {
    const fresh = await api('GET', base)
    const section = fresh.sections.find((s) => s.id === sectionId)
    return api('PUT', `${base}/sections/${sectionId}/order`, { order: section.articles.map((a) => a.id) })
  }

  // -- section tools

  function decorateSection(view, index, count) {
    const section = view.data
    let tool = sectionTools.get(section.id)
    if (!tool) {
      const rename = titleForm(t('section_title_label'), t('rename'), (title) =>
        act(() => api('PATCH', `${base}/sections/${section.id}`, { title }), t('done_renamed')), onError)
      const up = button(t('move_up'), () => moveSection(section.id, -1))
      const down = button(t('move_down'), () => moveSection(section.id, +1))
      const remove = button(t('delete_section'), () => deleteSection(section.id), { danger: true })
      const add = titleForm(t('new_article_label'), t('add_article'), async (title) => {
        const ok = await act(async () => {
          await api('POST', `${base}/sections/${section.id}/articles`, { title })
          return pushArticles(section.id)
        }, t('done_added'))
        if (ok) add.input.value = ''
        return ok
      }, onError)
      const { details, titleSpan } = disclosure(t('organise_section'), '',
        rename.form, h('div', { class: 'button-row' }, up, down, remove), add.form)
      tool = { details, titleSpan, rename, up, down }
      view.toolsSlot.append(details)
      sectionTools.set(section.id, tool)
    }
    tool.titleSpan.textContent = `: ${section.title}`
    tool.rename.show(section.title)
    setEnabled(tool.up, index > 0)
    setEnabled(tool.down, index < count - 1)
  }

  function moveSection(id, delta) {
    const ids = charter().sections.map((s) => s.id)
    const index = ids.indexOf(id)
    if (index + delta < 0 || index + delta >= ids.length) return
    act(() => api('PUT', `${base}/sections/order`, { order: moved(ids, index, delta) }),
      delta < 0 ? t('done_moved_up') : t('done_moved_down'))
  }

  async function deleteSection(id) {
    const section = charter().sections.find((s) => s.id === id)
    if (!section || !window.confirm(t('confirm_delete_section', { title: section.title }))) return
    const ok = await act(() => api('DELETE', `${base}/sections/${id}`), t('done_deleted'))
    if (ok) document.querySelector('main h1')?.focus()
  }

  // -- article tools

  function decorateArticle(view, section, index, count) {
    const article = view.data
    let tool = articleTools.get(article.id)
    if (!tool) {
      const key = article.id
      const rename = titleForm(t('article_title_label'), t('rename'), (title) =>
        act(() => api('PATCH', `${base}/articles/${key}`, { title }), t('done_renamed')), onError)
      const up = button(t('move_up'), () => moveArticle(key, -1))
      const down = button(t('move_down'), () => moveArticle(key, +1))
      const target = h('select', { name: 'section' })
      const targetChoice = held(target)
      const moveForm = h('form', { class: 'inline-form' },
        h('label', null, h('span', { class: 'label-text' }, t('move_to_section')), target),
        h('button', { type: 'submit', class: 'secondary' }, t('move')))
      moveForm.addEventListener('submit', (event) => {
        event.preventDefault()
        const sectionId = Number(target.value)
        if (sectionId === sectionOf(key)?.id) return
        act(() => api('PATCH', `${base}/articles/${key}`, { section_id: sectionId }), t('done_moved'))
          .then((ok) => { if (ok) targetChoice.done() })
      })
      const projectButton = button('', () => project(charter().projector === key ? null : key))
      const remove = button(t('delete_article'), () => deleteArticle(key), { danger: true })
      const { details, titleSpan } = disclosure(t('organise_article'), '',
        rename.form, h('div', { class: 'button-row' }, up, down, projectButton, remove), moveForm)
      tool = { details, titleSpan, rename, up, down, targetChoice, project: projectButton }
      view.toolsSlot.append(details)
      articleTools.set(key, tool)
    }
    tool.titleSpan.textContent = `: ${article.title}`
    tool.rename.show(article.title)
    setEnabled(tool.up, index > 0)
    setEnabled(tool.down, index < count - 1)
    tool.targetChoice.refill(charter().sections.map((s) => h('option', { value: String(s.id) }, s.title)),
      String(section.id))
    fill(tool.project, charter().projector === article.id ? t('unproject') : t('project'))
  }

  function moveArticle(key, delta) {
    const section = sectionOf(key)
    if (!section) return
    const keys = section.articles.map((a) => a.id)
    const index = keys.indexOf(key)
    if (index + delta < 0 || index + delta >= keys.length) return
    act(() => api('PUT', `${base}/sections/${section.id}/order`, { order: moved(keys, index, delta) }),
      delta < 0 ? t('done_moved_up') : t('done_moved_down'))
  }

  async function deleteArticle(key) {
    const section = sectionOf(key)
    const article = section?.articles.find((a) => a.id === key)
    if (!article || !window.confirm(t('confirm_delete_article', { title: article.title }))) return
    const ok = await act(() => api('DELETE', `${base}/articles/${key}`), t('done_deleted'))
    if (ok) document.getElementById(`section-${section.id}-title`)?.focus()
  }

  // -- add a section (below the outline)

  const addSection = titleForm(t('new_section_label'), t('add_section'), async (title) => {
    const ok = await act(async () => {
      await api('POST', `${base}/sections`, { title })
      return pushSections()
    }, t('done_added'))
    if (ok) addSection.input.value = ''
    return ok
  }, onError)
  const addSectionBox = h('div', { class: 'add-section box' }, addSection.form)
  outlineEnd.append(addSectionBox)

  return {
    /** Tools on every section and article of the page's current outline. */
    render(current) {
      const sections = current.charter.sections
      sections.forEach((section, i) => {
        decorateSection(current.sections.get(section.id), i, sections.length)
        section.articles.forEach((article, j) => {
          decorateArticle(current.articles.get(article.id), section, j, section.articles.length)
        })
      })
      for (const id of [...sectionTools.keys()]) if (!current.sections.has(id)) sectionTools.delete(id)
      for (const key of [...articleTools.keys()]) if (!current.articles.has(key)) articleTools.delete(key)
    },
    remove() {
      for (const tool of [...sectionTools.values(), ...articleTools.values()]) tool.details.remove()
      addSectionBox.remove()
    },
  }
}
