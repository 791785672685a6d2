// The discussion of a text, beside its editor: an article's, or (with `amendment`) an
// amendment's, whose passages are in its fork. Threads in the order of the text (each
// follows its words as people edit, resolved here with Yjs on the editor's own document),
// their passages highlighted in the text, a form to comment on the selection or on the
// whole text, replies, resolve and reopen, edit and delete one's own comment, hide
// (facilitators). New comments, replies and changes arrive live (`comment` events on the
// charter's channel); what is new since the person's last visit is marked (one marker per
// article, its amendments' discussions included).
//
// This module puts the pieces together. They share one `panel` object: what the discussion
// is about (scope.js), its state, the editor once attached, the error line, and the
// functions the pieces offer each other: take and render (thread-list.js),
// allowStart (start-thread.js), markSeen (seen.js), threadView (thread-view.js), load and
// refreshThread (live.js).
import '../css/comments.css'
import { h } from '../lib/dom.js'
import { mayComment } from './common.js'
import { liveThreads } from './live.js'
import { commentMarks } from './marks.js'
import { discussionScope } from './scope.js'
import { seenMarker } from './seen.js'
import { threadStarter } from './start-thread.js'
import { threadList } from './thread-list.js'
import { threadViews } from './thread-view.js'

export function articleComments({ session, slug, key, language, amendment = null }) {
  const panel = {
    session, slug, key, language, amendment,
    ...discussionScope({ slug, key, amendment, onClosed: () => panel.load() }),
    state: {
      me: null,
      mayStart: false, // may start a thread here (the role; an amendment's status too)
      threads: new Map(), // id -> thread JSON
      views: new Map(), // id -> {el, content, reply, editing: Map}
      places: new Map(), // id -> {state, index, length}
      showResolved: false,
      caret: null,
      loaded: false,
      latest: 0,
    },
    quill: null, // the editor, its document entry and the passages drawn in it (attach)
    entry: null,
    marks: null,
    errorEl: h('p', { class: 'error', role: 'alert' }),
  }
  const { state } = panel
  const list = threadList(panel)
  const starter = threadStarter(panel)
  Object.assign(panel, {
    take: list.take,
    render: list.render,
    allowStart: starter.allow,
    markSeen: seenMarker(panel),
    threadView: threadViews(panel),
  })
  Object.assign(panel, liveThreads(panel))
  panel.el = h('aside', { class: 'comments-panel', 'aria-labelledby': 'comments-title' },
    h('h2', { id: 'comments-title' }, panel.tt('comments_title'), ' ', list.countEl),
    list.unreadEl, starter.closedEl, starter.actionsEl, starter.formEl, list.filterEl,
    panel.errorEl, list.listEl, list.emptyEl)

  return {
    el: panel.el,
    /** Once the editor exists: highlight passages in it, follow its text. */
    attach(editor, documentEntry) {
      panel.quill = editor
      panel.entry = documentEntry
      panel.marks = commentMarks(editor, {
        onComment: (range) => starter.open(range),
        onCaret: (index) => {
          state.caret = index
          list.drawMarks()
        },
      })
      panel.marks.setEnabled(state.mayStart)
      let pending = false
      documentEntry.doc.on('update', () => {
        if (pending) return
        pending = true
        requestAnimationFrame(() => {
          pending = false
          list.render()
        })
      })
      list.render()
    },
    update(charter, me) {
      state.me = me
      // An amendment's discussion says itself who may start a thread (load).
      if (amendment === null) starter.allow(mayComment(me))
      panel.load() // also after a reconnection: events may have been missed
    },
  }
}
