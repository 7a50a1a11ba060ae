// Progress of long work (training, embedding a folder) on stderr, so that `--json` keeps stdout to
// one object. On a terminal: one line redrawn in place with a bar, the percentage, items per
// second, the time left and a running value (the loss). Elsewhere (CI logs, pipes): plain lines,
// one per 10 % step at most and no more often than every few seconds, plus the last one.
// The writer and the clock are injectable so tests can drive it.

/** Where progress goes: process.stderr or anything with write() (and isTTY / columns when a terminal). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is being done, e.g. 'embedding photos'; changeable later through `label`. */
  label: string;
  /** Items in all (> 0). */
  total: number;
  /** Name of the items in the rate, e.g. 'photos' (default 'items'). */
  unit?: string;
  /** Name of the running value shown after the rate, e.g. 'loss' (default none). */
  valueName?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Milliseconds since some fixed point (default performance.now). */
  now?: () => number;
  /** Redraw the line in place (default: stream.isTTY). */
  tty?: boolean;
  /** Plain mode: least milliseconds between two lines (default 3000); the last line is always written. */
  minInterval?: number;
  /** Terminal mode: least milliseconds between two redraws (default 100). */
  redrawInterval?: number;
  /** False: write nothing at all (default true). */
  enabled?: boolean;
  /** When the work began, on the `now` clock (default: at construction). */
  start?: number;
  /** Write the final line as soon as `done` reaches `total` (default true); false: only finish() does. */
  autoFinish?: boolean;
}

const BAR = 20;

/** `0:07`, `12:34`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '?';
  return perSecond >= 100 ? perSecond.toFixed(0) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);
}

function formatValue(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

export class Progress {
  label: string;
  readonly total: number;
  private readonly unit: string;
  private readonly valueName: string | undefined;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly tty: boolean;
  private readonly minInterval: number;
  private readonly redrawInterval: number;
  private readonly enabled: boolean;
  private readonly autoFinish: boolean;
  private readonly start: number;
  private done = 0;
  private value: number | undefined;
  private lastWrite = -Infinity;
  private lastDecile = 0;
  private shown = false;
  private finished = false;

  constructor(o: ProgressOptions) {
    if (!(Number.isFinite(o.total) && o.total > 0)) throw new RangeError(`Progress: expected total > 0, got ${o.total}`);
    this.label = o.label;
    this.total = o.total;
    this.unit = o.unit ?? 'items';
    this.valueName = o.valueName;
    this.stream = o.stream ?? process.stderr;
    this.now = o.now ?? (() => performance.now());
    this.tty = o.tty ?? this.stream.isTTY === true;
    this.minInterval = o.minInterval ?? 3000;
    this.redrawInterval = o.redrawInterval ?? 100;
    this.enabled = o.enabled ?? true;
    this.start = o.start ?? this.now();
    this.autoFinish = o.autoFinish ?? true;
  }

  /** The text of the line as it stands (without the terminal's carriage return). */
  line(): string {
    const frac = Math.min(1, this.done / this.total);
    const seconds = (this.now() - this.start) / 1000;
    const rate = seconds > 0 ? this.done / seconds : NaN;
    const left = this.done >= this.total ? 0 : rate > 0 ? (this.total - this.done) / rate : NaN;
    const parts = [this.label];
    if (this.tty) {
      const full = Math.round(frac * BAR);
      parts.push(`[${'#'.repeat(full)}${'.'.repeat(BAR - full)}]`);
    }
    parts.push(`${(frac * 100).toFixed(0).padStart(3)}%`);
    parts.push(`${this.done}/${this.total} ${this.unit}`);
    parts.push(`${formatRate(rate)} ${this.unit}/s`);
    parts.push(this.done >= this.total ? `${formatDuration(seconds)} in all` : `ETA ${formatDuration(left)}`);
    if (this.valueName !== undefined && this.value !== undefined) parts.push(`${this.valueName} ${formatValue(this.value)}`);
    return parts.join('  ');
  }

  /** Records `done` items (absolute, not an increment) and the running value; writes when due. */
  update(done: number, value?: number): void {
    if (this.finished) return;
    this.done = Math.max(0, Math.min(done, this.total));
    if (value !== undefined) this.value = value;
    if (!this.enabled) return;
    const t = this.now();
    if (this.done >= this.total) {
      if (this.autoFinish) this.finish();
      else if (this.tty && t - this.lastWrite >= this.redrawInterval) this.redraw(t);
      return;
    }
    if (this.tty) {
      if (t - this.lastWrite < this.redrawInterval) return;
      this.redraw(t);
      return;
    }
    const decile = Math.floor((this.done / this.total) * 10);
    if (decile > this.lastDecile && t - this.lastWrite >= this.minInterval) {
      this.lastDecile = decile;
      this.lastWrite = t;
      this.stream.write(this.line() + '\n');
    }
  }

  /** Erases the terminal line (to print something else); the next update draws it again. */
  clear(): void {
    if (this.enabled && this.tty && this.shown) {
      this.stream.write('\r\x1b[K');
      this.shown = false;
      this.lastWrite = -Infinity;
    }
  }

  /** Writes the final line (once); later updates are ignored. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.enabled) return;
    if (this.tty) this.stream.write(`\r${this.fit(this.line())}\x1b[K\n`);
    else this.stream.write(this.line() + '\n');
    this.shown = false;
  }

  /** Stops without a final line (e.g. on an error or an interruption); a terminal line is erased. */
  abort(): void {
    this.clear();
    this.finished = true;
  }

  private redraw(t: number): void {
    this.lastWrite = t;
    this.shown = true;
    this.stream.write(`\r${this.fit(this.line())}\x1b[K`);
  }

  private fit(text: string): string {
    const cols = this.stream.columns;
    return cols && cols > 10 && text.length >= cols ? text.slice(0, cols - 1) : text;
  }
}
