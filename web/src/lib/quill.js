// Quill 2 with exactly the formats a charter article uses, and the others' cursors: the one
// setup shared by the article editor and the amendment editor.
import Quill from 'quill/core'
import Blockquote from 'quill/formats/blockquote'
import Bold from 'quill/formats/bold'
import Header from 'quill/formats/header'
import Italic from 'quill/formats/italic'
import Link from 'quill/formats/link'
import List from 'quill/formats/list'
import QuillCursorsModule from 'quill-cursors/core'
import 'quill/dist/quill.core.css'
import 'quill-cursors/css'

// quill-cursors is a webpack UMD bundle: its class is the CommonJS module's `default`.
const QuillCursors = QuillCursorsModule.default || QuillCursorsModule

// The links the server accepts (http, https, mailto; no spaces, quotes, angle brackets or
// control characters; at most 2,048 characters). It closes the connection of a client that
// sends any other, so the editor never does: a link typed in is checked, a pasted link to
// anything else keeps its text and loses its link.
const SAFE_LINK = /^(https?:\/\/|mailto:)[^\s"<>\\`\x00-\x1f\x7f]+$/i
export const linkAllowed = (url) => typeof url === 'string' && url.length <= 2048 && SAFE_LINK.test(url)

class SafeLink extends Link {
  static PROTOCOL_WHITELIST = ['http', 'https', 'mailto']

  static formats (domNode) {
    const href = domNode.getAttribute('href')
    return linkAllowed(href) ? href : undefined
  }
}

Quill.register({
  'formats/blockquote': Blockquote,
  'formats/bold': Bold,
  'formats/header': Header,
  'formats/italic': Italic,
  'formats/link': SafeLink,
  'formats/list': List,
  'modules/cursors': QuillCursors,
}, true)

/** An editor of charter text in `el`: read-only until the page enables it, the history of
 * one's own changes only, Tab leaving the editor (no keyboard trap; lists are not nested in
 * a charter), the others' cursors. The article editor and the amendment editor both. */
export function charterEditor (el, placeholder) {
  return new Quill(el, {
    modules: {
      cursors: { hideDelayMs: 5000, hideSpeedMs: 300, transformOnTextChange: true },
      history: { userOnly: true },
      keyboard: {
        bindings: { tab: false, indent: false, outdent: false, 'remove tab': false, 'indent code-block': false, 'outdent code-block': false, underline: false },
      },
      clipboard: {},
    },
    formats: ['bold', 'italic', 'header', 'list', 'link', 'blockquote'],
    placeholder,
    readOnly: true,
  })
}

export default Quill
