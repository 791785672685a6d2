// Starting a thread: the buttons (on the selection, on the whole text), the form that
// takes the passage, the comment and its stance, and who may start one here (the role;
// on an amendment, its status too, said when the role is not the reason).
import { api } from '../lib/api.js'
import { announce, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { anchorFor, mayComment, stanceSelect } from './common.js'

export function threadStarter(panel) {
  const { state, amendment, language, tt } = panel
  const onSelection = h('button', { type: 'button', class: 'secondary' }, t('comment_on_selection'))
  const onArticle = h('button', { type: 'button', class: 'secondary' },
    t(amendment === null ? 'comment_on_article' : 'comment_on_amendment'))
  const actionsEl = h('div', { class: 'button-row comment-start', hidden: true }, onSelection, onArticle,
    h('p', { class: 'hint' }, t('comment_shortcut_hint')))
  const form = newThreadForm()
  const closedEl = h('p', { class: 'hint comments-closed', hidden: true })

  onSelection.addEventListener('click', () => form.open(panel.marks ? panel.marks.selection() : null))
  onArticle.addEventListener('click', () => form.open(null, true))

  function newThreadForm() {
    const passage = h('input', { type: 'text', id: 'comment-passage', autocomplete: 'off', lang: language })
    const body = h('textarea', { id: 'comment-body', rows: 4, required: true })
    const stance = stanceSelect('comment-stance')
    const problem = h('p', { class: 'error', role: 'alert' })
    const el = h('form', { class: 'box new-thread stack', hidden: true, 'aria-labelledby': 'new-thread-title' },
      h('h3', { id: 'new-thread-title' }, t('comment_new_title')),
      h('label', { for: 'comment-passage' }, h('span', { class: 'label-text' }, t('comment_passage')),
        h('span', { class: 'hint', id: 'comment-passage-hint' }, tt('comment_passage_hint'))),
      passage,
      h('label', { for: 'comment-body' }, h('span', { class: 'label-text' }, t('comment_body'))), body,
      h('label', { for: 'comment-stance' }, h('span', { class: 'label-text' }, t('comment_stance'))), stance,
      problem,
      h('p', { class: 'button-row' },
        h('button', { type: 'submit' }, t('comment_send')),
        h('button', { type: 'button', class: 'secondary', onclick: () => close() }, t('cancel'))))
    passage.setAttribute('aria-describedby', 'comment-passage-hint')
    let chosen = null // {index, length, text} from the selection

    function open(range, wholeArticle = false) {
      problem.textContent = ''
      chosen = null
      passage.value = ''
      if (range && panel.quill && !wholeArticle) {
        const text = panel.quill.getText(range.index, range.length)
        chosen = { ...range, text }
        passage.value = text
      }
      el.hidden = false
      ;(wholeArticle || chosen ? body : passage).focus()
    }

    function close() {
      el.hidden = true
      body.value = ''
      stance.value = ''
      onSelection.focus()
    }

    /** The passage typed or selected, found in the text: null for the whole text,
     * undefined when it is not there. */
    function anchor() {
      const wanted = passage.value.trim()
      if (!wanted) return null
      const text = panel.entry.text.toString()
      let index
      if (chosen && wanted === chosen.text.trim() && text.slice(chosen.index, chosen.index + chosen.length) === chosen.text) {
        index = chosen.index + (chosen.text.length - chosen.text.trimStart().length)
      } else {
        index = text.indexOf(wanted)
      }
      if (index < 0) return undefined
      return { ...anchorFor(panel.entry.text, index, wanted.length), quote: wanted }
    }

    el.addEventListener('submit', async (event) => {
      event.preventDefault()
      problem.textContent = ''
      if (!body.value.trim()) {
        problem.textContent = t('comment_need_body')
        body.focus()
        return
      }
      const where = anchor()
      if (where === undefined) {
        problem.textContent = tt('comment_not_found')
        passage.focus()
        return
      }
      try {
        const thread = await api('POST', panel.threadsUrl,
          { body: body.value, stance: stance.value || null, anchor: where })
        panel.take(thread)
        close()
        announce(t('comment_done'))
        panel.markSeen()
      } catch (error) {
        problem.textContent = panel.failure(error)
      }
    })
    el.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') close()
    })
    return { el, open }
  }

  function allow(value, status = null) {
    state.mayStart = Boolean(value)
    actionsEl.hidden = !state.mayStart
    if (!state.mayStart) form.el.hidden = true
    if (panel.marks) panel.marks.setEnabled(state.mayStart)
    // Why an amendment's discussion takes no new thread, when the role is not the reason.
    closedEl.hidden = state.mayStart || amendment === null || !mayComment(state.me)
    closedEl.textContent = status === 'draft' ? t('comments_amendment_draft') : t('comments_amendment_closed')
  }

  return { actionsEl, closedEl, formEl: form.el, open: form.open, allow }
}
