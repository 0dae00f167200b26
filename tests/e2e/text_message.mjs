// e2e.text_message: the message box (app/messages.h). On a direct path A and B exchange
// messages both ways (typed and sent with Enter, filled and sent with the button, pasted from
// the clipboard with Paste), each arrives with its exact text in the activity log's DOM mirror
// (#ferry-log), and B's Copy button puts the exact text on the clipboard; a message of exactly
// 64 KiB of UTF-8 arrives whole; a longer text goes as a .txt file whose SHA-256 matches. Then,
// on two hosts that can reach only the server (no UDP, no TURN), a new session exchanges
// messages both ways through the server's data relay.
import { kStepTimeoutMs, log, sha256 } from './lib/ferry.mjs';
import { offer, onlyTcpToServer, openLink, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

const kMaxMessageBytes = 64 * 1024;  // protocol::kMaxMessageTextBytes
const kSentLabel = 'Message sent: ';  // web/ui/app.h
const kReceivedLabel = 'Message received: ';

// The messages of a page's DOM log, as [{ kind: 'sent' | 'received', text }].
async function messages(page) {
  return page.page.evaluate(() => [...document.querySelectorAll('#ferry-log li[data-message]')]
    .map((li) => ({ kind: li.dataset.message, text: li.textContent })));
}

// Waits until `page` shows a message of `kind` whose text is exactly `text`.
async function waitMessage(page, kind, text, timeout = kStepTimeoutMs) {
  const want = (kind === 'sent' ? kSentLabel : kReceivedLabel) + text;
  await until(`${page.name} to show the ${kind} message "${text.slice(0, 40)}…" (${Buffer.byteLength(text)} bytes)`,
    async () => (await messages(page)).some((m) => m.kind === kind && m.text === want),
    { timeout, detail: async () => `its messages: ${JSON.stringify((await messages(page)).map((m) => m.text.slice(0, 60)))}` });
}

// Puts `text` into the page's message box as if pasted by the keyboard (one input event).
async function fillBox(page, text) {
  await page.widget('message-input');
  await page.page.locator('textarea[data-ferry-widget="message-input"]').fill(text);
}

async function boxValue(page) {
  return page.page.evaluate(() => document.querySelector('textarea[data-ferry-widget="message-input"]').value);
}

// Sends `text` from `from` with the Send button and checks it arrives exactly at `to`.
async function exchange(from, to, text) {
  await fillBox(from, text);
  await from.click('message-send');
  await waitMessage(from, 'sent', text);
  await waitMessage(to, 'received', text);
  await until(`${from.name}'s message box to be emptied after sending`, async () => (await boxValue(from)) === '');
}

// The widget id of the newest message's Copy button on `page` (copy-message-<log line>).
async function newestCopyButton(page) {
  return until(`${page.name} to show a Copy button`, () => page.page.evaluate(() => {
    const ids = Object.keys(window.ferryWidgets || {}).filter((id) => id.startsWith('copy-message-'));
    ids.sort((x, y) => Number(x.slice(13)) - Number(y.slice(13)));
    return ids.length ? ids[ids.length - 1] : null;
  }));
}

await runScenario('text_message', async (env) => {
  // --- the direct path ----------------------------------------------------------------------
  const file = env.file('hello.txt', Buffer.from('a file to start the session\n'));
  const { a, link, browser: browserA } = await offer(env, [file]);
  const { b, ctx: ctxB, browser: browserB } = await openLink(env, link);
  await ctxB.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  await a.waitStatus(/Connection: direct/, 2 * kStepTimeoutMs);
  await b.waitStatus(/Connection: direct/, 2 * kStepTimeoutMs);
  // The screens settle once the first file is across (the offer panel and the transfer rows
  // change the layout, which would move the buttons under a click).
  await a.waitStatus(/Sending complete 100%/, 2 * kStepTimeoutMs);
  await b.waitStatus(/Receiving complete 100%/, 2 * kStepTimeoutMs);
  log('A and B are connected directly');

  const unicode = 'Grüße aus Ferry — ✓ 日本語 🚀\nzweite Zeile: https://example.org/pfad?x=1&y=<2>#frag';
  await exchange(a, b, unicode);
  log('A -> B: a two-line message with Unicode and a link arrived exactly');
  await exchange(b, a, 'Reply from B: ⚓ <b>not markup</b>');
  log('B -> A: arrived exactly');
  // Links and markup are text only: nothing in the log became an element.
  for (const p of [a, b]) {
    const elements = await p.page.evaluate(() => document.querySelectorAll('#ferry-log li *').length);
    if (elements !== 0) throw new Error(`${p.name}'s log turned message text into ${elements} elements`);
  }

  // Typed, and sent with Enter.
  await a.click('message-input');
  await a.page.keyboard.type('typed on the keyboard', { delay: 10 });
  await a.page.keyboard.press('Enter');
  await waitMessage(b, 'received', 'typed on the keyboard');
  log('A typed a message and sent it with Enter');

  // B copies the message it received last: the clipboard has the exact text.
  const copyId = await newestCopyButton(b);
  await b.page.evaluate(() => navigator.clipboard.writeText('(nothing yet)'));
  // A new log line is scrolled into view on the frame after it is drawn: click once its Copy
  // button's overlay is on top where a person would tap.
  await until(`B's ${copyId} overlay to be on screen`, () => b.page.evaluate((id) => {
    const r = window.ferryWidgets[id];
    const hit = r && document.elementFromPoint(r.x + r.w / 2, r.y + r.h / 2);
    return hit && hit.dataset.ferryWidget === id;
  }, copyId));
  await b.click(copyId);
  await until('B\'s clipboard to hold the copied message',
    async () => (await b.page.evaluate(() => navigator.clipboard.readText())) === 'typed on the keyboard',
    { detail: async () => JSON.stringify(await b.page.evaluate(async (id) => {
      const r = window.ferryWidgets[id];
      const el = document.querySelector(`[data-ferry-widget="${id}"]`);
      const hit = document.elementFromPoint(r.x + r.w / 2, r.y + r.h / 2);
      return { clipboard: await navigator.clipboard.readText(), rect: r, overlay: el && el.style.cssText,
        hit: hit && (hit.dataset.ferryWidget || hit.id || hit.tagName) };
    }, copyId)) });
  log(`B's ${copyId} put the exact text on the clipboard`);

  // Paste: the clipboard into A's box, then sent.
  const pasted = 'from the clipboard: https://ferry.example/j/not-a-real-link';
  await a.page.evaluate((t) => navigator.clipboard.writeText(t), pasted);
  await a.click('message-paste');
  await until('A\'s box to hold the pasted text', async () => (await boxValue(a)) === pasted);
  await a.click('message-send');
  await waitMessage(b, 'received', pasted);
  log('A pasted the clipboard with Paste and sent it');
  await b.screenshot('text-message-direct-B');
  await a.screenshot('text-message-direct-A');

  // Exactly 64 KiB of UTF-8 (2-byte and 4-byte characters): one message.
  const edge = 'é'.repeat(kMaxMessageBytes / 2 - 2) + '🚀';
  if (Buffer.byteLength(edge) !== kMaxMessageBytes) throw new Error('the edge message is not 64 KiB');
  await exchange(a, b, edge);
  log('a message of exactly 64 KiB arrived whole');

  // Longer: offered as a file, which arrives with the same SHA-256.
  const long = ('Ein langer Text — ' + '✓'.repeat(40) + '\n').repeat(1200);
  if (Buffer.byteLength(long) <= kMaxMessageBytes) throw new Error('the long text is not longer than 64 KiB');
  await fillBox(a, long);
  await a.widget('message-send-file');
  await a.screenshot('text-message-too-long-A');
  await a.click('message-send-file');
  const got = await b.save('save-2-0', 3 * kStepTimeoutMs);
  if (!/^message-.*\.txt$/.test(got.name)) throw new Error(`the text arrived as ${got.name}, not a .txt`);
  if (sha256(got.bytes) !== sha256(Buffer.from(long, 'utf8'))) throw new Error('SHA-256 mismatch for the text sent as a file');
  log(`a text of ${Buffer.byteLength(long)} bytes went as ${got.name}, SHA-256 intact`);
  if ((await boxValue(a)) !== '') throw new Error('A\'s box still holds the text it sent as a file');
  await browserA.close();
  await browserB.close();

  // --- the server's relay ---------------------------------------------------------------------
  onlyTcpToServer(env, 'a');
  onlyTcpToServer(env, 'b');
  const relayFile = env.file('relay.txt', Buffer.from('through the relay\n'));
  const { a: a2, link: link2 } = await offer(env, [relayFile], { name: 'A2' });
  const { b: b2 } = await openLink(env, link2, { name: 'B2' });
  await b2.waitStatus(/Connection: relayed by server/, 3 * kStepTimeoutMs);
  await a2.waitStatus(/Connection: relayed by server/, kStepTimeoutMs);
  await a2.waitStatus(/Sending complete 100%/, 2 * kStepTimeoutMs);
  await b2.waitStatus(/Receiving complete 100%/, 2 * kStepTimeoutMs);
  log('A2 and B2 are connected through the server\'s relay');
  await exchange(a2, b2, 'über das Relais → B ✓');
  await exchange(b2, a2, 'and back through the relay → A 🚀');
  log('messages went both ways through the relay');
  await b2.screenshot('text-message-relay-B');
  // The same screen on a phone's width.
  await b2.page.setViewportSize({ width: 390, height: 844 });
  await until('B2 to lay the page out for the phone\'s width', () => b2.page.evaluate(() =>
    window.ferryWidgets['message-input'] && window.ferryWidgets['message-input'].w < 390));
  await b2.screenshot('text-message-phone-B');
});
