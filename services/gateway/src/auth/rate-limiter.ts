/**
 * Counts events per key in fixed windows: at most `limit` in any window of
 * `windowMs`. One per gateway process (replicas do not share counts), which
 * bounds a client to `limit` times the replica count: coarse, but it needs
 * no shared store and it is what stops password guessing and runaway
 * clients, the two things it is for.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event for `key`; returns the seconds to wait if it went over the limit, else 0. */
  hit(key: string): number {
    const window = this.current(key) ?? this.open(key);
    window.count += 1;
    return window.count > this.limit ? this.secondsLeft(window.endsAt) : 0;
  }

  /** The seconds `key` must still wait, without counting anything; 0 when it may go on. */
  blockedFor(key: string): number {
    const window = this.current(key);
    return window && window.count >= this.limit ? this.secondsLeft(window.endsAt) : 0;
  }

  private current(key: string) {
    const window = this.windows.get(key);
    return window && window.endsAt > this.now() ? window : undefined;
  }

  private open(key: string) {
    if (this.windows.size >= 50_000) this.forgetEnded();
    const window = { count: 0, endsAt: this.now() + this.windowMs };
    this.windows.set(key, window);
    return window;
  }

  private forgetEnded(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }

  private secondsLeft(endsAt: number): number {
    return Math.max(1, Math.ceil((endsAt - this.now()) / 1000));
  }
}
