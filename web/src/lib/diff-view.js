// A word diff ([{kind, text}], as the server computes it) as <ins>/<del> with spoken
// markers, never colour alone: amendments' reviews and the projector's views.
import '../css/diff.css'
import { h } from './dom.js'
import { t } from './i18n.js'

export function diffView(hunks, { language, emptyText = '' } = {}) {
  const box = h('div', { class: 'diff', lang: language })
  if (!hunks.some((hunk) => hunk.text)) {
    box.append(h('p', { class: 'empty' }, emptyText))
    return box
  }
  for (const { kind, text } of hunks) {
    if (kind === 'insert') {
      box.append(h('ins', null, h('span', { class: 'visually-hidden' }, `[${t('diff_added')}: `), text,
        h('span', { class: 'visually-hidden' }, ']')))
    } else if (kind === 'delete') {
      box.append(h('del', null, h('span', { class: 'visually-hidden' }, `[${t('diff_removed')}: `), text,
        h('span', { class: 'visually-hidden' }, ']')))
    } else {
      box.append(text)
    }
  }
  return box
}
