import { randomUUID } from 'node:crypto';

export interface SessionOptions {
  /** A session unused this long is forgotten. */
  ttlMs: number;
  /** Most sessions kept (all models together); a new one beyond it evicts the least recently used. */
  maxSessions: number;
  /** Most earlier turns sent with each message (user and bot turns both count); older turns are dropped in pairs. */
  maxTurns: number;
}

export interface Session {
  id: string;
  model: string;
  history: string[];
  createdAt: number;
  lastUsed: number;
  /** A message is being answered: another one for the same session is refused (409) until it is done. */
  busy: boolean;
}

/**
 * Chat sessions kept in this process's memory: a replica's sessions are its own (run replicas behind a load
 * balancer with sticky sessions, see the README). Map order is recency order, so the first entry is evicted first.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(readonly opts: SessionOptions, private readonly onCount?: (n: number) => void) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(opts.ttlMs, 60_000)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A new session, or undefined when every kept session is answering a message (the caller answers 429). */
  create(model: string): Session | undefined {
    this.sweep();
    while (this.sessions.size >= this.opts.maxSessions) {
      const oldest = [...this.sessions.values()].find((s) => !s.busy);
      if (!oldest) return undefined;
      this.sessions.delete(oldest.id);
    }
    const now = Date.now();
    const session: Session = { id: randomUUID(), model, history: [], createdAt: now, lastUsed: now, busy: false };
    this.sessions.set(session.id, session);
    this.onCount?.(this.sessions.size);
    return session;
  }

  /** The live session `id` of `model`, marked as just used (undefined when unknown, expired or another model's). */
  get(model: string, id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (!session || session.model !== model) return undefined;
    if (Date.now() - session.lastUsed > this.opts.ttlMs) {
      this.delete(id);
      return undefined;
    }
    session.lastUsed = Date.now();
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  /** Adds one exchange, keeping at most maxTurns turns (whole user/bot pairs). */
  append(session: Session, message: string, reply: string): void {
    session.history.push(message, reply);
    const max = this.opts.maxTurns - (this.opts.maxTurns % 2);
    if (session.history.length > max) session.history.splice(0, session.history.length - max);
    session.lastUsed = Date.now();
  }

  delete(id: string): boolean {
    const deleted = this.sessions.delete(id);
    if (deleted) this.onCount?.(this.sessions.size);
    return deleted;
  }

  expiresAt(session: Session): string {
    return new Date(session.lastUsed + this.opts.ttlMs).toISOString();
  }

  sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (!s.busy && now - s.lastUsed > this.opts.ttlMs) this.sessions.delete(id);
    this.onCount?.(this.sessions.size);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sessions.clear();
  }
}
