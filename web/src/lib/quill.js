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

Quill.register({
  'formats/blockquote': Blockquote,
  'formats/bold': Bold,
  'formats/header': Header,
  'formats/italic': Italic,
  'formats/link': Link,
  'formats/list': List,
  'modules/cursors': QuillCursors,
}, true)

export default Quill
