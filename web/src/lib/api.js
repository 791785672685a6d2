// The JSON API of the server, called with the browser's own cookie (same origin).
import { t } from './i18n.js'

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || String(status))
    this.status = status
    this.code = code
    this.field = field
    this.textKey = null // set by a caller that knows what this failure means on its page
  }
}

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } }
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let response
  try {
    response = await fetch(path, init)
  } catch {
    throw new ApiError(0, 'network', 'network error')
  }
  if (!response.ok) {
    let error = {}
    try {
      error = (await response.json()).error || {}
    } catch {
      // not JSON: keep the status alone
    }
    throw new ApiError(response.status, error.code, error.message, error.field)
  }
  return response.status === 204 ? null : response.json()
}

export const charterPath = (slug) => `/api/charters/${encodeURIComponent(slug)}`

/** A sentence for the person, in their language, for an API failure. */
export function errorText(error) {
  if (!(error instanceof ApiError)) return t('error_generic')
  if (error.textKey) return t(error.textKey)
  if (error.status === 0) return t('error_network')
  if (error.status === 401 || error.status === 403) return t('error_forbidden')
  if (error.status === 404) return t('error_gone')
  if (error.status === 409) return t('error_conflict')
  if (error.status === 429) return t('error_rate_limited')
  if (error.status === 422) {
    if (error.field === 'title') return t('error_title')
    if (error.field === 'name') return t('error_name')
    return t('error_invalid')
  }
  return t('error_generic')
}
