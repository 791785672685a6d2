// One live connection per page: a single HocuspocusProviderWebsocket on /collab carries the
// charter's channel (presence of everyone, outline and projector events) and every article
// document the page opens. The token is empty: the server uses the browser's signed cookie.
import * as Y from 'yjs'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import { dropQueuedFrames, forgetDroppedPresence } from './provider-internals.js'

export const CONNECTED = 'connected'
export const CONNECTING = 'connecting'
export const OFFLINE = 'offline'

class Emitter {
  constructor() { this.handlers = new Map() }
  on(name, fn) {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set())
    this.handlers.get(name).add(fn)
    return () => this.handlers.get(name).delete(fn)
  }
  emit(name, value) {
    for (const fn of this.handlers.get(name) || []) fn(value)
  }
}

export class Session extends Emitter {
  constructor(slug) {
    super()
    this.slug = slug
    this.channelName = `charters/${slug}`
    this.documents = new Map()
    this.offline = navigator.onLine === false
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    this.socket = new HocuspocusProviderWebsocket({
      url: `${scheme}://${location.host}/collab`,
      // A workshop's Wi-Fi comes back within seconds: retry quickly, at most every 5 s.
      delay: 500,
      minDelay: 500,
      maxDelay: 5000,
    })
    this.socket.on('status', () => this.emit('status', this.status))
    this.socket.on('open', () => dropQueuedFrames(this.socket))
    this.channel = new HocuspocusProvider({
      websocketProvider: this.socket,
      name: this.channelName,
      token: '',
      document: new Y.Doc(),
    })
    forgetDroppedPresence(this.channel)
    this.channel.on('stateless', ({ payload }) => this.onEvent(payload))
    this.channel.on('awarenessChange', () => this.emit('presence', this.presence()))
    this.channel.on('authenticated', () => this.emit('ready'))
    this.channel.on('authenticationFailed', ({ reason }) => this.emit('denied', reason))
    this.channel.attach()
    window.addEventListener('offline', () => this.goOffline())
    window.addEventListener('online', () => this.goOnline())
  }

  get status() {
    if (this.offline || this.socket.status === 'disconnected') return OFFLINE
    return this.socket.status === 'connected' ? CONNECTED : CONNECTING
  }

  /** The network is gone: the socket is dead even if the browser has not noticed yet.
   * Close it the way the provider does on a timeout; it then retries with back-off. */
  goOffline() {
    this.offline = true
    if (this.socket.status !== 'disconnected') {
      this.socket.onClose({ event: { code: 4000, reason: 'offline' } })
    }
    this.emit('status', this.status)
  }

  goOnline() {
    this.offline = false
    if (this.socket.status !== 'connected') this.socket.connect()
    this.emit('status', this.status)
  }

  onEvent(payload) {
    let event
    try {
      event = JSON.parse(payload)
    } catch {
      return
    }
    if (event && typeof event.type === 'string') this.emit(event.type, event)
  }

  /** Where this page is, for the others' "who is where" (the server adds who we are). */
  setPlace(place) {
    this.channel.setAwarenessField('place', place)
  }

  /** Everyone on the channel, as the server stamped them, with where they are. */
  presence() {
    const states = []
    this.channel.awareness.getStates().forEach((state, clientId) => {
      if (clientId === this.channel.document.clientID) return
      if (state && state.user && typeof state.user.name === 'string') {
        states.push({ user: state.user, place: state.place || null })
      }
    })
    return states
  }

  /** Open an article document on the shared socket. `awareness: false` for watchers that
   * show no cursors (the charter page, the projector). */
  open(name, { awareness = false } = {}) {
    const existing = this.documents.get(name)
    if (existing) return existing
    const doc = new Y.Doc()
    const provider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name,
      token: '',
      document: doc,
      ...(awareness ? {} : { awareness: null }),
    })
    if (awareness) forgetDroppedPresence(provider) // cursors show again at once too
    provider.attach()
    const entry = { name, doc, provider, text: doc.getText('body') }
    this.documents.set(name, entry)
    return entry
  }

  /** Access was refused: stop connecting (the page says so, and nothing more). */
  stop() {
    this.socket.disconnect()
  }

  close(name) {
    const entry = this.documents.get(name)
    if (!entry) return
    this.documents.delete(name)
    entry.provider.destroy()
    entry.doc.destroy()
  }
}
