import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Progress, formatDuration, type ProgressOptions } from '../../src/cli/progress.js';

/** A Progress writing into an array, on a clock the test moves by hand (milliseconds). */
function rig(o: Partial<ProgressOptions> & { tty: boolean }) {
  const writes: string[] = [];
  let t = 0;
  const p = new Progress({ label: 'work', total: 100, unit: 'photos', stream: { write: (s: string) => { writes.push(s); } }, now: () => t, ...o });
  return { p, writes, at: (ms: number) => { t = ms; } };
}

test('formatDuration: m:ss and h:mm:ss', () => {
  assert.is(formatDuration(0), '0:00');
  assert.is(formatDuration(7.4), '0:07');
  assert.is(formatDuration(754), '12:34');
  assert.is(formatDuration(3723), '1:02:03');
  assert.is(formatDuration(NaN), '?');
});

test('line: percent, count, rate, ETA and the running value (total=100, 50 done in 10 s)', () => {
  const { p, at } = rig({ tty: false, valueName: 'loss' });
  at(10_000);
  p.update(50, 0.123456);
  assert.is(p.line(), 'work   50%  50/100 photos  5.00 photos/s  ETA 0:10  loss 0.1235');
  at(20_000);
  p.update(100);
  assert.is(p.line(), 'work  100%  100/100 photos  5.00 photos/s  0:20 in all  loss 0.1235');
});

test('start: the rate and ETA count from the given start, not from construction', () => {
  const writes: string[] = [];
  let t = 4000;
  const p = new Progress({ label: 'w', total: 10, stream: { write: (x: string) => { writes.push(x); } }, now: () => t, start: 0 });
  p.update(2);
  assert.match(p.line(), /2\/10 items  0\.50 items\/s  ETA 0:16$/);
  t = 5000;
  assert.match(p.line(), /0\.40 items\/s/);
});

test('not a TTY: plain lines at each new 10 % step, no more often than minInterval; the last line always', () => {
  const { p, writes, at } = rig({ tty: false, minInterval: 3000 });
  for (let i = 1; i <= 100; i++) { at(i * 100); p.update(i); } // 10 s in all, one item per 100 ms
  // Lines when a new decile is reached and 3 s have passed since the previous line: at 10 % (first),
  // then 40 %, 70 %, and the final line at 100 %.
  assert.equal(writes.map((w) => w.split('%')[0].trim().split(' ').pop()), ['10', '40', '70', '100']);
  assert.ok(writes.every((w) => w.endsWith('\n') && !w.includes('\r') && !w.includes('[')), 'plain lines, no bar');
  assert.match(writes[3], /100\/100 photos .* 0:10 in all$/m);
  p.update(100); p.finish();
  assert.is(writes.length, 4, 'nothing after the end');
});

test('TTY: one line redrawn in place with a bar, at most every redrawInterval; clear() and finish()', () => {
  const { p, writes, at } = rig({ tty: true, redrawInterval: 100, valueName: 'loss' });
  at(0); p.update(1, 2);
  at(50); p.update(2, 1.5); // too soon: not drawn
  at(200); p.update(25, 1);
  assert.is(writes.length, 2);
  assert.ok(writes.every((w) => w.startsWith('\r') && w.endsWith('\x1b[K') && !w.includes('\n')));
  assert.match(writes[1], /^\rwork  \[#####\.{15}\]   25%  25\/100 photos  125 photos\/s  ETA 0:01  loss 1\.0000\x1b\[K$/);
  p.clear();
  assert.is(writes[2], '\r\x1b[K');
  at(210); p.update(26); // drawn again right after a clear
  assert.is(writes.length, 4);
  at(400); p.update(100);
  assert.match(writes[4], /^\rwork  \[#{20}\]  100%  100\/100 photos .* in all  loss 1\.0000\x1b\[K\n$/);
  p.update(100);
  assert.is(writes.length, 5);
});

test('TTY: the line is cut to the terminal width; abort() erases it and ends', () => {
  const writes: string[] = [];
  const p = new Progress({ label: 'x'.repeat(80), total: 10, stream: { write: (s: string) => { writes.push(s); }, isTTY: true, columns: 40 }, now: () => 0 });
  p.update(5);
  assert.is(writes[0], `\r${'x'.repeat(39)}\x1b[K`);
  p.abort();
  assert.is(writes[1], '\r\x1b[K');
  p.update(10);
  assert.is(writes.length, 2);
});

test('autoFinish: false: reaching the total writes nothing in plain mode until finish()', () => {
  const { p, writes, at } = rig({ tty: false, autoFinish: false, minInterval: 0 });
  at(1000); p.update(100);
  assert.is(writes.length, 0);
  p.finish();
  assert.is(writes.length, 1);
  assert.match(writes[0], /100%  100\/100 photos .* 0:01 in all\n$/);
});

test('enabled: false writes nothing; total must be > 0', () => {
  const { p, writes } = rig({ tty: false, enabled: false });
  p.update(50); p.update(100); p.finish();
  assert.is(writes.length, 0);
  assert.throws(() => new Progress({ label: 'x', total: 0 }), /Progress: expected total > 0, got 0/);
});

test.run();
