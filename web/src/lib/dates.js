// Dates and times as people read them, in the interface's language (`<html lang>`).
import { lang } from './i18n.js'

/** An ISO timestamp from the server as a medium date and a short time ("12 mars 2025,
 * 14:05" / "Mar 12, 2025, 2:05 PM"); empty for none, the text itself if it is no date. */
export function formatDate(iso) {
  if (!iso) return ''
  try {
    return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))
  } catch {
    return iso
  }
}
