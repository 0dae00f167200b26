// e2e.a11y_keyboard: the page as a screen reader and a keyboard get it (issue 15, item 6).
// 1. A offers a file. Its share screen names its buttons ("Copy the code", "Copy the link")
//    and has headings; neither the link nor the short code is anywhere in the DOM.
// 2. B opens the link and takes the offer by keyboard alone: Tab to Accept (past the named
//    ticks of the file and of "Accept everything"), Enter; Tab to Save, Enter. The saved
//    file's SHA-256 is the sent one's. Each Tab lands on a named element, and the focused one
//    draws a ring (:focus-visible).
// 3. B's home screen, in the accessibility tree: a main landmark, the h1 "Ferry" and section
//    headings, the named controls ("Send files", "Send a folder", a checkbox "Protect with a
//    password", the code field, "Receive files"), reached by Tab in the order drawn; Space on
//    the checkbox ticks it, which shows the password field (the DOM's state reaches C++).
// No accessible name on any screen is an internal widget id.
// Screenshots: a11y-{share-A,accept-focus-B,save-focus-B,home-focus}.png in FERRY_E2E_OUT.
import { ClientPage, kStepTimeoutMs, log, randomBytes, sha256 } from './lib/ferry.mjs';
import { kViewport, offer, openLink, until } from './lib/flows.mjs';
import { runScenario } from './lib/scenario.mjs';

// Presses of Tab allowed to reach a control: a screen has far fewer controls than this.
const kMaxTabs = 40;

// The element with keyboard focus: its widget id, accessible name, and whether it shows focus.
async function focused(page) {
  return page.page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    return { id: el.dataset.ferryWidget || '', name: el.getAttribute('aria-label') || '', ring: el.matches(':focus-visible') };
  });
}

// Presses Tab until the focused element's name matches `re`; every element passed must carry a
// name. Returns { focus, passed } (passed: the names on the way, in order).
async function tabTo(page, re) {
  const passed = [];
  for (let i = 0; i < kMaxTabs; i++) {
    await page.page.keyboard.press('Tab');
    const f = await focused(page);
    if (!f) continue;  // past the last element: the browser's own UI, then the first again
    if (!f.name) throw new Error(`${page.name}: Tab reached "${f.id}", which has no accessible name`);
    passed.push(f.name);
    if (re.test(f.name)) return { focus: f, passed };
  }
  throw new Error(`${page.name}: ${kMaxTabs} Tabs never reached ${re}; passed: ${passed.join(' | ')}`);
}

// The page's ARIA snapshot must hold each of `wants` (regexps over its lines) and no name that
// is a widget id (those the UI publishes, and those of its DOM elements).
async function checkTree(page, label, wants) {
  const tree = await page.page.locator('body').ariaSnapshot();
  for (const re of wants) {
    if (!re.test(tree)) throw new Error(`${label}: the accessibility tree lacks ${re}:\n${tree}`);
  }
  const ids = await page.page.evaluate(() => [...new Set([...Object.keys(window.ferryWidgets || {}),
    ...[...document.querySelectorAll('[data-ferry-widget]')].map((el) => el.dataset.ferryWidget)])]);
  const named = ids.filter((id) => tree.includes(`"${id}"`) || tree.includes(`: ${id}\n`));
  if (named.length) throw new Error(`${label}: nodes named by widget ids ${named.join(', ')}:\n${tree}`);
  log(`${label}: the accessibility tree has what it should (${tree.split("\n").length} lines)`);
  return tree;
}

await runScenario('a11y_keyboard', async (env) => {
  const content = randomBytes(700 * 1000 + 7);
  const name = 'report 2026.pdf';
  const { a, link } = await offer(env, [env.file(name, content)]);

  // --- 1. A's share screen: named buttons, no secret in the DOM --------------------------
  const code = await a.shortCode();
  await checkTree(a, 'A\'s share screen', [/heading "Ferry" \[level=1\]/, /heading "Code to type on the other device" \[level=2\]/,
    /button "Copy the code"/, /button "Copy the link"/, /button "Leave"/, /checkbox "Keep received files after I leave, until I save them"/]);
  const html = await a.page.content();
  if (html.includes(link) || html.includes(link.replace(/^.*#/, '')) || html.includes(code)) {
    throw new Error('A\'s DOM holds the link or the short code');
  }
  await a.screenshot('a11y-share-A');

  // --- 2. B takes the offer by keyboard ----------------------------------------------------
  const { b, ctx } = await openLink(env, link, { accept: false });
  await b.widget('accept-in-1', 2 * kStepTimeoutMs);
  await checkTree(b, 'B\'s offer', [/heading "Incoming files" \[level=2\]/, /heading "Verification words" \[level=2\]/,
    new RegExp(`checkbox "Take ${name} \\(700\\.0 KB\\)" \\[checked\\]`),
    /checkbox "Accept everything from this device for this session"/, /button "Accept \(1 file offered\)"/,
    /button "Decline the offered files"/]);
  const toAccept = await tabTo(b, /^Accept \(/);
  log(`B: Tab went ${toAccept.passed.join(' → ')}`);
  const tickAt = toAccept.passed.findIndex((n) => n.startsWith(`Take ${name}`));
  const allAt = toAccept.passed.indexOf('Accept everything from this device for this session');
  if (tickAt < 0 || allAt < tickAt) throw new Error('Tab did not pass the file\'s tick, then "Accept everything", before Accept');
  if (!toAccept.focus.ring) throw new Error('the focused Accept button does not show focus (:focus-visible)');
  await b.screenshot('a11y-accept-focus-B');
  await b.page.keyboard.press('Enter');
  await b.widget('save-1-0', 3 * kStepTimeoutMs);
  await checkTree(b, 'B\'s received files', [/heading "Received files" \[level=2\]/, new RegExp(`button "Save ${name}"`)]);
  const toSave = await tabTo(b, /^Save /);
  if (toSave.focus.name !== `Save ${name}` || !toSave.focus.ring) throw new Error(`Tab reached ${JSON.stringify(toSave.focus)}`);
  await b.screenshot('a11y-save-focus-B');
  const [download] = await Promise.all([b.page.waitForEvent('download', { timeout: kStepTimeoutMs }), b.page.keyboard.press('Enter')]);
  const { readFileSync } = await import('node:fs');
  const got = readFileSync(await download.path());
  if (got.length !== content.length || sha256(got) !== sha256(content)) {
    throw new Error(`the file saved by keyboard differs: ${got.length} of ${content.length} bytes`);
  }
  log(`B saved "${download.suggestedFilename()}" by keyboard alone; SHA-256 matches`);

  // --- 3. The home screen ------------------------------------------------------------------
  const homeCtx = await ctx.browser().newContext({ viewport: kViewport });
  const h = await ClientPage.open(homeCtx, env.origin + '/', 'H', { accept: false });
  env.pages.push(h);
  await h.widget('receive');
  const tree = await checkTree(h, 'the home screen', [/- main/, /heading "Ferry" \[level=1\]/, /heading "Send" \[level=2\]/,
    /heading "Nearby" \[level=2\]/, /checkbox "Hide this device from others nearby"/,
    /heading "Receive" \[level=2\]/, /button "Send files"/, /button "Send a folder"/, /checkbox "Protect with a password"/,
    /textbox "Code from the other device"/, /button "Receive files"/]);
  if (/checkbox "Protect with a password" \[checked\]/.test(tree)) throw new Error('the password box is ticked at first');
  const order = [];
  // With no device nearby (A and B are in their session, which takes them off the list), the
  // nearby switch comes after Receive.
  const want = ['Send files', 'Send a folder', 'Protect with a password', 'Code from the other device', 'Receive files',
    'Hide this device from others nearby'];
  for (let i = 0; i < want.length; i++) {
    await h.page.keyboard.press('Tab');
    order.push((await focused(h))?.name);
  }
  if (order.join('|') !== want.join('|')) throw new Error(`Tab order on the home screen: ${order.join(' → ')}`);
  log(`home: Tab goes ${order.join(' → ')}`);
  for (let i = 0; i < 3; i++) await h.page.keyboard.press('Shift+Tab');
  if ((await focused(h))?.name !== 'Protect with a password') throw new Error('Shift+Tab did not come back to the checkbox');
  await h.page.keyboard.press('Space');
  await h.widget('room-password');
  await until('the DOM checkbox to be ticked', async () =>
    /checkbox "Protect with a password" \[checked\]/.test(await h.page.locator('body').ariaSnapshot()));
  await checkTree(h, 'the home screen with a password', [/textbox "Password for this room"/]);
  await h.screenshot('a11y-home-focus');
  log('home: Space ticked "Protect with a password" and the password field appeared');
});
