// Ferry's JS glue, part 7: what the canvas UI needs of the page: touch, the DOM overlays that
// user gestures need, the widget map for tests, the wake lock, the activity log and the live
// region, and the fatal-error message.
'use strict';
(function (core) {
  const overlays = new Map();           // widget id -> DOM element over it
  const gestureActions = new Map();     // widget id -> {action, arg}
  let wantWake = false;
  let wakeSentinel = null;

  function gesture(id) {
    const a = gestureActions.get(id);
    if (a && a.action === 'copy') {
      navigator.clipboard.writeText(a.arg)
        .then(() => core.emit(0, 'copied', id))
        .catch((e) => core.emit(0, 'gesture_error', id + ' ' + core.errorText(e)));
    } else if (a && a.action === 'paste') {
      // The clipboard into a text field, at its cursor (readText needs this gesture).
      navigator.clipboard.readText().then((t) => {
        const el = overlays.get(a.arg);
        if (!el) return;
        el.setRangeText(t, el.selectionStart || 0, el.selectionEnd || 0, 'end');
        el.dispatchEvent(new Event('input'));
        el.focus();
        core.emit(0, 'pasted', id);
      }).catch((e) => core.emit(0, 'gesture_error', id + ' ' + core.errorText(e)));
    } else if (a && a.action === 'text_file') {
      // Text too long for a message goes as a .txt file, through the same path as the picker's.
      const el = overlays.get(a.arg);
      if (el && el.value) {
        const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
        core.registerFiles([new File([el.value], `message-${stamp}.txt`, { type: 'text/plain' })]);
        el.value = '';
        el.dispatchEvent(new Event('input'));
      }
    } else if (a && a.action === 'save_tree') {
      core.saveTree(a.arg);
    } else if (a && a.action === 'download') {
      core.api.sinkDownload(a.arg);
    } else if (a && a.action === 'save_as') {
      // File System Access: the user picks where; the file streams disk to disk.
      const s = core.get(a.arg);
      if (s) {
        window.showSaveFilePicker({ suggestedName: s.name })
          .then((fh) => fh.createWritable())
          .then((w) => core.sinkBlob(s).then((blob) => blob.stream().pipeTo(w)))
          .then(() => { core.emit(a.arg, 'saved'); core.removeSaved(a.arg, 0); })
          .catch((e) => { if (!e || e.name !== 'AbortError') core.emit(a.arg, 'sink_error', core.quotaText(e)); });
      }
    }
    core.emit(0, 'gesture', id);
  }

  // Overlays live in the page's <main> landmark (the shell's), after the canvas.
  function overlayParent() {
    return document.getElementById('ferry-main') || document.body;
  }

  // Puts `els` (children of the overlay parent) in this order, moving only those out of place;
  // hidden elements stay where they are. A moved element that had focus keeps it.
  function arrange(els) {
    const parent = overlayParent();
    const wanted = new Set(els);
    let cursor = parent.firstElementChild;
    for (const el of els) {
      while (cursor && cursor !== el && !wanted.has(cursor)) cursor = cursor.nextElementSibling;
      if (cursor === el) {
        cursor = cursor.nextElementSibling;
        continue;
      }
      const focused = document.activeElement === el;
      if (typeof parent.moveBefore === 'function') {
        parent.moveBefore(el, cursor);  // keeps focus and state (Chromium 133+)
      } else {
        parent.insertBefore(el, cursor);
      }
      if (focused && document.activeElement !== el) el.focus({ preventScroll: true });
    }
  }

  // GLFW (Emscripten's library_glfw.js) takes keydown on window in the capture phase and calls
  // preventDefault on Tab, so Tab never moved focus. This listener comes first (it is added
  // before main() starts GLFW) and keeps Tab from GLFW: the browser moves focus through the
  // overlays. ImGui has no use for Tab here (its keyboard navigation is off).
  window.addEventListener('keydown', (ev) => {
    if (ev.key === 'Tab' && !ev.ctrlKey && !ev.altKey && !ev.metaKey) ev.stopImmediatePropagation();
  }, true);

  // Touch: Emscripten 3.1.6's GLFW puts a tap at the old mouse position, so touch pointers
  // go straight to C++ (platform/canvas.cpp), in CSS pixels relative to the canvas.
  function touch(phase, ev) {
    if (ev.pointerType !== 'touch' || !Module['ferryTouch']) return;
    const r = ev.target.getBoundingClientRect();
    Module['ferryTouch'](phase, ev.clientX - r.left, ev.clientY - r.top);
  }
  function attachTouch() {
    const c = document.getElementById('canvas');
    if (!c) return;
    c.addEventListener('pointerdown', (ev) => touch('down', ev), { passive: true });
    c.addEventListener('pointermove', (ev) => touch('move', ev), { passive: true });
    c.addEventListener('pointerup', (ev) => touch('up', ev), { passive: true });
    c.addEventListener('pointercancel', (ev) => touch('up', ev), { passive: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', attachTouch);
  else attachTouch();

  core.provide({
    // --- user-gesture overlays -----------------------------------------------------------
    // Safari allows pickers and clipboard only inside the event handler, so the ImGui buttons
    // that need one get a transparent DOM element placed over their rectangle (CSS pixels).
    // kind: 'files' (a file input), 'text' (a text field), 'button' (click: gesture event on
    // handle 0, text = id).
    // kind: 'files' / 'folder' (a file input), 'text' / 'password' / 'textarea' (a field),
    // 'checkbox' (a checkbox: a toggle is a "check" event, "id\n1" or "id\n0"), 'button' (a
    // click is a "gesture" event on handle 0, text = id), 'h1' / 'h2' (a section heading for
    // screen readers, over its canvas text; it takes no pointer). Elements live in <main>, in
    // the order overlaysKeep gives (the order drawn); their names come from overlayLabel.
    overlay(id, kind, x, y, w, h, visible) {
      let el = overlays.get(id);
      if (el && el.dataset.ferryKind !== kind) {  // the same id now names another kind of widget
        el.remove();
        el = null;
      }
      if (!el) {
        if (kind === 'files' || kind === 'folder') {
          el = document.createElement('input');
          el.type = 'file';
          el.multiple = true;
          // A folder input lists the folder's files with their webkitRelativePath (empty
          // folders are not listed: a dropped folder keeps them, files.js).
          if (kind === 'folder') el.webkitdirectory = true;
          // Which picker chose them comes first (a nearby tile sends to its device).
          el.addEventListener('change', () => {
            if (el.files.length) core.emit(0, 'files_target', id);
            core.registerFiles(el.files);
            el.value = '';
          });
        } else if (kind === 'text' || kind === 'password' || kind === 'textarea') {
          // A real text field over the ImGui one: a tap focuses it inside the gesture, so phones
          // show their keyboard; its value is mirrored into C++ on every change. A password
          // field is masked, and cleared (clearText) once the session took the password. A
          // textarea (the message box) keeps newlines: Enter sends, Shift+Enter a new line.
          el = document.createElement(kind === 'textarea' ? 'textarea' : 'input');
          if (kind !== 'textarea') el.type = kind;
          el.autocomplete = 'off';
          el.spellcheck = false;
          el.setAttribute('autocapitalize', 'none');
          el.setAttribute('enterkeyhint', kind === 'textarea' ? 'send' : 'go');
          const send = (kind2) => core.emit(0, kind2, id + '\n' + el.value);
          el.addEventListener('input', () => send('text'));
          // GLFW listens on window and swallows Backspace/Tab: keep typing inside the field.
          el.addEventListener('keydown', (ev) => {
            ev.stopPropagation();
            if (ev.key === 'Enter' && !(kind === 'textarea' && ev.shiftKey)) {
              if (kind === 'textarea') ev.preventDefault();
              send('text_enter');
            }
          });
          el.addEventListener('keyup', (ev) => ev.stopPropagation());
          el.addEventListener('keypress', (ev) => ev.stopPropagation());
        } else if (kind === 'checkbox') {
          // Its state is C++'s (overlayChecked writes it); a toggle here goes back as an event.
          el = document.createElement('input');
          el.type = 'checkbox';
          el.addEventListener('change', () => core.emit(0, 'check', id + '\n' + (el.checked ? '1' : '0')));
        } else if (kind === 'h1' || kind === 'h2') {
          el = document.createElement(kind);
        } else {
          el = document.createElement('button');
          el.type = 'button';
          el.addEventListener('click', () => gesture(id));
        }
        el.className = kind === 'text' || kind === 'password' ? 'ferry-overlay ferry-text'
          : kind === 'textarea' ? 'ferry-overlay ferry-text ferry-textarea'
          : kind === 'h1' || kind === 'h2' ? 'ferry-overlay ferry-heading' : 'ferry-overlay';
        el.dataset.ferryWidget = id;
        el.dataset.ferryKind = kind;
        overlayParent().appendChild(el);
        overlays.set(id, el);
      }
      el.style.display = visible ? 'block' : 'none';
      el.style.left = x + 'px';
      el.style.top = y + 'px';
      el.style.width = w + 'px';
      el.style.height = h + 'px';
    },
    // An element's accessible name (aria-label), or a heading's text.
    overlayLabel(id, label) {
      const el = overlays.get(id);
      if (!el) return;
      if (el.dataset.ferryKind === 'h1' || el.dataset.ferryKind === 'h2') el.textContent = label;
      else el.setAttribute('aria-label', label);
    },
    // A checkbox's state, as C++ holds it.
    overlayChecked(id, on) {
      const el = overlays.get(id);
      if (el) el.checked = !!on;
    },
    // The strength meter: loads zxcvbn (npm; served next to ferry.js, only when asked for) and
    // scores field `id` on every change, as a 'strength' event {score 0-4, warning}. The
    // password itself never leaves the field for this; C++ falls back to its own estimate if
    // the script is missing.
    watchStrength(id) {
      const score = () => {
        const el = overlays.get(id);
        if (!el || typeof window.zxcvbn !== 'function') return;
        const r = el.value ? window.zxcvbn(el.value.slice(0, 100)) : { score: 0, feedback: {} };
        core.emit(0, 'strength', JSON.stringify({ score: r.score, warning: (r.feedback && r.feedback.warning) || '' }));
      };
      const attach = () => {
        const el = overlays.get(id);
        if (!el) { setTimeout(attach, 100); return; }
        el.addEventListener('input', score);
        score();
      };
      if (typeof window.zxcvbn === 'function') { attach(); return; }
      const s = document.createElement('script');
      s.src = 'zxcvbn.js';
      s.async = true;
      s.onload = attach;
      document.head.appendChild(s);
    },
    // Empties a text or password field (a password leaves the DOM once it was used; the
    // message box once its text was sent).
    clearText(id) {
      const el = overlays.get(id);
      if (el) el.value = '';
    },
    // Runs the action a gesture asked for, inside the same event handler (see gesture()).
    setGestureAction(id, action, arg) { gestureActions.set(id, { action, arg }); },
    // Hides the overlays not placed this frame (their widgets are not on screen).
    // The list is in the order drawn: the kept elements take that order in the DOM, which is
    // the order of Tab and of a screen reader's reading.
    overlaysKeep(idsCsv) {
      const ids = idsCsv ? idsCsv.split(',') : [];
      const keep = new Set(ids);
      overlays.forEach((el, id) => { if (!keep.has(id)) el.style.display = 'none'; });
      arrange(ids.map((id) => overlays.get(id)).filter((el) => el));
    },
    // Rectangles of named widgets (CSS pixels), for tests that click where a user would.
    publishWidgets(json) {
      window.ferryWidgets = JSON.parse(json);
    },
    // Keeps the screen on while a transfer runs (phones would sleep and drop the connection).
    // Browsers release the lock when the tab is hidden; it is asked for again on return.
    wakeLock(on) {
      wantWake = !!on;
      if (!navigator.wakeLock) return;
      if (wantWake && !wakeSentinel) {
        navigator.wakeLock.request('screen').then((s) => {
          wakeSentinel = s;
          s.addEventListener('release', () => { wakeSentinel = null; });
          if (!wantWake) s.release().catch(() => {});
        }).catch(() => { /* not allowed now (hidden tab); retried on the next change */ });
      } else if (!wantWake && wakeSentinel) {
        wakeSentinel.release().catch(() => {});
        wakeSentinel = null;
      }
    },
    // The client cannot run (no WebGL2): a plain message in the page and the live region.
    fatal(text) {
      const el = document.createElement('p');
      el.className = 'ferry-fatal';
      el.setAttribute('role', 'alert');
      el.textContent = text;
      document.body.appendChild(el);
      const canvas = document.getElementById('canvas');
      if (canvas) canvas.style.display = 'none';
    },
    // One activity line for the role=log list; the newest 200 are kept. kind: '' for a note,
    // 'sent' or 'received' for a message (data-message). Always text, never markup: a link in
    // a message is shown, never made a link that navigates.
    logLine(text, kind) {
      const el = document.getElementById('ferry-log');
      if (!el) return;
      const li = document.createElement('li');
      li.textContent = text;
      if (kind) li.dataset.message = kind;
      el.appendChild(li);
      while (el.childElementCount > 200) el.removeChild(el.firstChild);
    },
    announce(text) {  // the ARIA live region mirrors state and progress for screen readers
      const el = document.getElementById('ferry-live');
      if (el && el.textContent !== text) el.textContent = text;
    },
  });
})(ferryCore);
