// The staff inbox: keyboard, selection, live rows and timeline, composer, presence, bell.
//
// Pages work without it (forms post and redirect). With it, htmx posts the forms and
// this script keeps the page current from `frontdesk:live` events (live.js), fetching
// the fragment that changed (a row, the header, new messages) — never the composer,
// so a half-typed reply survives every update. Our own script, no library but htmx.
(function () {
  "use strict";

  var root = document.querySelector("[data-inbox]");
  if (!root) return;

  var page = root.dataset.page; // "list" | "conversation" | "search"
  var base = root.dataset.baseUrl; // "/w/<ws>/inbox/"
  var me = String(root.dataset.member || "");
  var current = page === "conversation" ? Number(root.dataset.conversation) : null;
  var WIDE = window.matchMedia("(min-width: 1200px)");

  // --- Small helpers ------------------------------------------------------------------

  function $(selector, scope) { return (scope || document).querySelector(selector); }
  function $all(selector, scope) {
    return Array.prototype.slice.call((scope || document).querySelectorAll(selector));
  }
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }
  function request(url, options) {
    options = options || {};
    var headers = { "HX-Request": "true" };
    if (options.method === "POST") headers["X-CSRFToken"] = csrfToken();
    return fetch(url, {
      method: options.method || "GET",
      headers: headers,
      body: options.body,
      credentials: "same-origin",
    }).then(function (response) {
      return response.text().then(function (text) {
        return { status: response.status, text: text };
      });
    });
  }
  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }
  function processed(element) {
    if (window.htmx && element) window.htmx.process(element);
    return element;
  }
  var announcer = $("#inbox-announcer");
  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 30);
  }
  function toast(text) {
    var region = $("#toasts");
    if (!region || !text) return;
    var item = document.createElement("div");
    item.className = "toast";
    item.textContent = text;
    region.appendChild(item);
    window.setTimeout(function () { item.classList.add("is-leaving"); }, 3200);
    window.setTimeout(function () { item.remove(); }, 3700);
  }
  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.closest("textarea, select, [contenteditable=''], [contenteditable='true']")) return true;
    var input = target.closest("input");
    return !!input && !/^(checkbox|radio|button|submit|reset)$/i.test(input.type);
  }

  // --- Relative times ("now", "5m", "3h", "2d", "12 Mar"), as the server writes them ---

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function shortWhen(date) {
    var seconds = Math.max(0, (Date.now() - date.getTime()) / 1000);
    if (seconds < 60) return "now";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m";
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h";
    if (seconds < 7 * 86400) return Math.floor(seconds / 86400) + "d";
    var label = date.getDate() + " " + MONTHS[date.getMonth()];
    return date.getFullYear() === new Date().getFullYear() ? label : label + " " + date.getFullYear();
  }
  function refreshTimes(scope) {
    $all("time[data-relative]", scope).forEach(function (time) {
      var date = new Date(time.getAttribute("datetime"));
      if (!isNaN(date)) time.textContent = shortWhen(date);
    });
  }
  window.setInterval(function () { refreshTimes(document); }, 60000);

  // --- htmx glue: errors swap in, toasts, focus after a swap ---------------------------

  document.addEventListener("htmx:beforeSwap", function (event) {
    // 422 carries a fragment that explains the problem: show it like a success.
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("inbox:toast", function (event) {
    if (event.detail && event.detail.text) {
      toast(event.detail.text);
      announce(event.detail.text);
    }
  });

  var focusAfterSwap = null;
  var rowsBeforeMore = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.closest && event.detail.elt.closest("[data-load-more]")) {
      rowsBeforeMore = rows().length;
    }
    var menu = event.detail.elt.closest && event.detail.elt.closest("[data-menu]");
    if (menu && menu.id) {
      focusAfterSwap = "#" + menu.id + " > summary";
    } else if (event.detail.elt.closest && event.detail.elt.closest(".conv-primary")) {
      focusAfterSwap = ".conv-primary button";
    } else if (event.detail.elt.closest && event.detail.elt.closest(".conv-tags")) {
      focusAfterSwap = "#tag-menu > summary";
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.id === "conversation-header") {
      var focus = (focusAfterSwap && $(focusAfterSwap)) || $("#conv-title");
      if (focus) focus.focus();
      focusAfterSwap = null;
      presence.renderAll();
    }
    if (target && target.id === "bell-panel") bell.syncFromPanel();
    if (rowsBeforeMore !== null && !document.body.contains(target)) {
      // "Older conversations" replaced itself with rows: continue from the first new one.
      var added = rows().length - rowsBeforeMore;
      var firstNew = rows()[rowsBeforeMore];
      rowsBeforeMore = null;
      if (firstNew) selectRow(firstNew);
      announce(added + " older conversations");
    }
    refreshTimes(target || document);
  });

  // --- Menus (<details data-menu>): one open at a time, Escape and outside click close ---

  function closeMenus(except) {
    $all("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details[data-menu]") || !menu.open) return;
    closeMenus(menu);
    var first = $(".menu-panel input[type=search], .menu-panel input[type=text], .menu-panel .menu-item", menu);
    if (first) first.focus();
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details[data-menu]")) closeMenus(null);
  });

  // --- The list: selection, j/k, checkboxes with shift-click ranges, bulk bar ----------

  function rows() { return $all("#conv-list .conv-row"); }
  function selectedRow() { return $("#conv-list .conv-row.is-selected"); }
  function markSelected(row) {
    rows().forEach(function (other) { other.classList.toggle("is-selected", other === row); });
  }
  function selectRow(row) {
    if (!row) return;
    markSelected(row);
    var link = $(".conv-link", row);
    if (link) link.focus();
    row.scrollIntoView({ block: "nearest" });
  }
  function move(delta) {
    var list = rows();
    if (!list.length) return;
    var index = list.indexOf(selectedRow());
    if (index === -1 && current) {
      index = list.findIndex(function (row) { return Number(row.dataset.number) === current; });
    }
    if (index === -1) index = delta > 0 ? 0 : list.length - 1;
    else index = Math.min(list.length - 1, Math.max(0, index + delta));
    selectRow(list[index]);
  }
  function markCurrent() {
    if (!current) return;
    var row = document.getElementById("conv-" + current);
    if (!row) return;
    row.classList.add("is-current");
    var link = $(".conv-link", row);
    if (link) link.setAttribute("aria-current", "page");
  }
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest(".conv-row");
    if (row) markSelected(row);
  });

  var lastChecked = null;
  function checkboxes() { return $all("#conv-list .conv-check"); }
  function updateBulk() {
    var form = $("#bulk-form");
    var chosen = checkboxes().filter(function (box) {
      box.closest(".conv-row").classList.toggle("is-checked", box.checked);
      return box.checked;
    });
    if (!form) return;
    form.classList.toggle("has-selection", chosen.length > 0);
    var count = $("[data-bulk-count]", form);
    if (count) count.textContent = chosen.length + " selected";
  }
  document.addEventListener("click", function (event) {
    var box = event.target.closest(".conv-check");
    if (!box) return;
    if (event.shiftKey && lastChecked && lastChecked !== box) {
      var boxes = checkboxes();
      var a = boxes.indexOf(lastChecked), b = boxes.indexOf(box);
      if (a !== -1 && b !== -1) {
        boxes.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (other) {
          other.checked = box.checked;
        });
      }
    }
    lastChecked = box;
    updateBulk();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches(".conv-check")) updateBulk();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-bulk-clear]")) return;
    checkboxes().forEach(function (box) { box.checked = false; });
    updateBulk();
  });
  document.addEventListener("keydown", function (event) {
    // Enter in the tag box tags; without this the first button (Assign) would submit.
    if (event.key === "Enter" && event.target.matches("[data-bulk-tag]")) {
      event.preventDefault();
      var button = $("[data-bulk-tag-button]");
      if (button) button.click();
    }
  });
  document.addEventListener("inbox:bulk-done", function (event) {
    var numbers = (event.detail && event.detail.numbers) || [];
    checkboxes().forEach(function (box) { box.checked = false; });
    updateBulk();
    // The bar hides with the selection: keep the keyboard where the work was.
    var first = numbers.length && document.getElementById("conv-" + numbers[0]);
    if (first) selectRow(first);
    numbers.forEach(function (number) { refreshRow(number, {}); });
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-filters-toggle]");
    if (!toggle) return;
    var open = root.classList.toggle("filters-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = $("#inbox-filters a");
      if (first) first.focus();
    }
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-profile-toggle]");
    if (!toggle) return;
    var open = root.classList.toggle("profile-open");
    $all("[data-profile-toggle]").forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    if (open) {
      var close = $(".profile-close");
      if (close) close.focus();
    } else {
      var opener = $(".profile-toggle");
      if (opener) opener.focus();
    }
  });

  document.addEventListener("click", function (event) {
    // A tap beside the phone's filter drawer closes it, as the menu drawer does.
    if (root.classList.contains("filters-open") && !event.target.closest("#inbox-filters, [data-filters-toggle]")) {
      root.classList.remove("filters-open");
      var toggle = $("[data-filters-toggle]");
      if (toggle) toggle.setAttribute("aria-expanded", "false");
    }
  });

  function listQuery() {
    var list = $("#conv-list");
    return list && list.dataset.query ? "?" + list.dataset.query : "";
  }

  // A row as the server renders it now; 204 means it left this list's filters.
  function refreshRow(number, options) {
    var list = $("#conv-list");
    if (!list) return Promise.resolve();
    return request(base + number + "/row/" + listQuery()).then(function (response) {
      var existing = document.getElementById("conv-" + number);
      if (response.status === 204) {
        if (existing) removeRow(existing);
        return;
      }
      if (response.status !== 200) return;
      var row = fragment(response.text).querySelector(".conv-row");
      if (!row) return;
      if (existing) {
        var hadFocus = existing.contains(document.activeElement);
        var box = $(".conv-check", existing);
        $(".conv-check", row).checked = !!(box && box.checked);
        row.classList.toggle("is-selected", existing.classList.contains("is-selected"));
        if (options.toTop && list.firstElementChild !== existing) {
          existing.remove();
          list.prepend(row);
        } else {
          existing.replaceWith(row);
        }
        if (hadFocus) $(".conv-link", row).focus();
      } else {
        if (list.dataset.firstPage !== "true") return;
        var empty = $("[data-empty]", list);
        if (empty) empty.remove();
        list.prepend(row);
        row.classList.add("is-new");
        announce("New conversation from " + $(".conv-name", row).textContent.trim());
      }
      processed(row);
      markCurrent();
      presence.render(number);
      updateBulk();
    });
  }
  function removeRow(row) {
    var wasSelected = row.classList.contains("is-selected") && row.contains(document.activeElement);
    var next = row.nextElementSibling && row.nextElementSibling.classList.contains("conv-row")
      ? row.nextElementSibling : row.previousElementSibling;
    row.remove();
    if (wasSelected && next && next.classList.contains("conv-row")) selectRow(next);
    updateBulk();
  }

  var sidebarTimer = null;
  function refreshSidebar() {
    var filters = $("#filters");
    if (!filters) return;
    window.clearTimeout(sidebarTimer);
    sidebarTimer = window.setTimeout(function () {
      request(filters.dataset.sidebarUrl).then(function (response) {
        if (response.status !== 200) return;
        var fresh = fragment(response.text).querySelector("#filters");
        var old = $("#filters");
        if (fresh && old && !old.contains(document.activeElement)) old.replaceWith(fresh);
      });
    }, 800);
  }

  // On a conversation page the list sits beside it on wide screens, loaded after the
  // conversation so the page itself stays as fast as a single conversation.
  function loadColumn() {
    var column = $("[data-lazy-column]");
    if (!column || column.dataset.loaded || !WIDE.matches) return;
    column.dataset.loaded = "1";
    request(root.dataset.columnUrl).then(function (response) {
      if (response.status !== 200) return;
      column.innerHTML = response.text;
      processed(column);
      markCurrent();
      var row = document.getElementById("conv-" + current);
      if (row) row.scrollIntoView({ block: "center" });
      presence.renderAll();
    });
  }

  // --- The conversation: timeline, header, composer ----------------------------------

  var messagesList = $("#messages");
  var composer = $("#composer");
  var body = composer && $("[data-composer-body]", composer);

  function maxMessageId() {
    var ids = $all("#messages > .msg").map(function (item) { return Number(item.dataset.id) || 0; });
    ids.push(Number(root.dataset.lastId) || 0);
    return Math.max.apply(null, ids);
  }
  function nearBottom() {
    var timeline = $("#timeline");
    if (!timeline) return false;
    if (timeline.scrollHeight > timeline.clientHeight + 4) {
      return timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 160;
    }
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }
  function scrollToEnd() {
    var timeline = $("#timeline");
    if (timeline && timeline.scrollHeight > timeline.clientHeight + 4) {
      timeline.scrollTop = timeline.scrollHeight;
    } else if (messagesList && messagesList.lastElementChild) {
      messagesList.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  }
  // New or changed messages: replace what is there, append the rest, keep order by id.
  function mergeMessages(html, options) {
    if (!messagesList) return;
    var follow = (options && options.follow) || nearBottom();
    fragment(html).querySelectorAll(".msg").forEach(function (item) {
      var old = document.getElementById(item.id);
      if (old) old.replaceWith(item);
      else messagesList.appendChild(item);
      processed(item);
    });
    root.dataset.lastId = String(maxMessageId());
    var after = composer && $("[data-after-input]", composer);
    if (after) after.value = root.dataset.lastId;
    if (follow) scrollToEnd();
  }
  function catchUp() {
    if (!current) return Promise.resolve();
    return request(base + current + "/timeline/?after=" + maxMessageId()).then(function (response) {
      if (response.status === 200) mergeMessages(response.text);
    });
  }
  function refreshMessage(id) {
    return request(base + current + "/messages/" + id + "/").then(function (response) {
      if (response.status === 200) mergeMessages(response.text, { follow: false });
    });
  }
  function refreshHeader() {
    var header = $("#conversation-header");
    if (!header || header.contains(document.activeElement) && $("details[data-menu][open]", header)) {
      return Promise.resolve(); // someone is using a menu: don't pull it from under them
    }
    return request(base + current + "/header/" + listQuery()).then(function (response) {
      if (response.status !== 200) return;
      var fresh = fragment(response.text).querySelector("#conversation-header");
      var old = $("#conversation-header");
      if (!fresh || !old) return;
      var hadFocus = old.contains(document.activeElement) && document.activeElement.id;
      old.replaceWith(fresh);
      processed(fresh);
      if (hadFocus && document.getElementById(hadFocus)) document.getElementById(hadFocus).focus();
      presence.render(current);
    });
  }
  if (messagesList) window.setTimeout(scrollToEnd, 0);

  // Composer: reply or note, saved replies, mentions, send with Ctrl+Enter.
  function setMode(mode) {
    if (!composer) return;
    if (mode === "reply" && !$("[data-mode='reply']", composer)) mode = "note";
    composer.dataset.mode = mode;
    composer.classList.toggle("mode-reply", mode === "reply");
    composer.classList.toggle("mode-note", mode === "note");
    $("[data-mode-input]", composer).value = mode;
    composer.setAttribute("action", mode === "note" ? composer.dataset.noteUrl : composer.dataset.replyUrl);
    $all(".composer-tab", composer).forEach(function (tab) {
      tab.setAttribute("aria-pressed", tab.dataset.mode === mode ? "true" : "false");
    });
    var label = $("label[for=composer-body]", composer);
    label.textContent = mode === "note" ? label.dataset.labelNote : label.dataset.labelReply;
    body.placeholder = mode === "note" ? body.dataset.placeholderNote : body.dataset.placeholderReply;
    mentions.close();
  }
  function focusComposer(mode) {
    if (!composer) return;
    setMode(mode);
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
  }
  function initComposer() {
    if (!composer) return;
    composer.setAttribute("hx-disabled-elt", "find [data-send]");
    setMode(composer.dataset.mode || "reply");
    composer.addEventListener("click", function (event) {
      var tab = event.target.closest(".composer-tab");
      if (!tab) return;
      event.preventDefault();
      focusComposer(tab.dataset.mode);
    });
    composer.addEventListener("htmx:configRequest", function (event) {
      if (event.detail.elt !== composer) return;
      event.detail.path = composer.dataset.mode === "note" ? composer.dataset.noteUrl : composer.dataset.replyUrl;
    });
    composer.addEventListener("submit", function (event) {
      var files = $("[data-attach]", composer);
      var empty = !body.value.trim() && !(files && files.files.length && composer.dataset.mode === "reply");
      if (empty) {
        event.preventDefault();
        event.stopImmediatePropagation();
        showComposerError("Write something first.");
        body.focus();
      }
    }, true);
    composer.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== composer) return;
      var status = event.detail.xhr.status;
      if (status === 200) {
        showComposerError("");
        mergeMessages(event.detail.xhr.responseText, { follow: true });
        body.value = "";
        var files = $("[data-attach]", composer);
        if (files) files.value = "";
        var names = $("[data-attach-names]", composer);
        if (names) names.textContent = "";
        presence.stopTyping();
        body.focus();
      } else if (status === 422) {
        showComposerError(fragment(event.detail.xhr.responseText).textContent.trim());
      } else {
        showComposerError(status === 400 ? event.detail.xhr.responseText : "That did not go through. Check your connection and try again.");
      }
    });
    body.addEventListener("keydown", function (event) {
      if (mentions.keydown(event)) return;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        composer.requestSubmit();
      } else if (event.key === "Escape") {
        body.blur();
      }
    });
    body.addEventListener("input", function () {
      showComposerError("");
      presence.typing();
      mentions.update();
    });
    body.addEventListener("blur", function () { window.setTimeout(mentions.close, 150); });
    composer.addEventListener("change", function (event) {
      if (!event.target.matches("[data-attach]")) return;
      var names = $("[data-attach-names]", composer);
      names.textContent = Array.prototype.map.call(event.target.files, function (f) { return f.name; }).join(", ");
    });
    // Saved replies: insert the text (variables already filled in) where the cursor is.
    composer.addEventListener("click", function (event) {
      var choice = event.target.closest("[data-saved-reply]");
      if (!choice) return;
      var template = document.getElementById(choice.dataset.savedReply);
      if (!template) return;
      setMode("reply");
      insertAtCursor(template.content.textContent);
      closeMenus(null);
      body.focus();
    });
    composer.addEventListener("input", function (event) {
      if (!event.target.matches("[data-saved-filter]")) return;
      var words = event.target.value.toLowerCase().trim();
      $all(".saved-list li", composer).forEach(function (item) {
        item.hidden = !!words && item.textContent.toLowerCase().indexOf(words) === -1;
      });
    });
  }
  function showComposerError(text) {
    var slot = $("#composer-error");
    if (!slot) return;
    slot.innerHTML = "";
    if (!text) return;
    var message = document.createElement("p");
    message.className = "inline-error";
    message.setAttribute("role", "alert");
    message.textContent = text;
    slot.appendChild(message);
  }
  function insertAtCursor(text) {
    var start = body.selectionStart || 0, end = body.selectionEnd || 0;
    var before = body.value.slice(0, start), after = body.value.slice(end);
    var glue = before && !/\s$/.test(before) ? "\n\n" : "";
    body.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    body.setSelectionRange(caret, caret);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // @mentions in notes: a listbox of colleagues under the text, driven by the keyboard.
  var mentions = (function () {
    var data = [];
    var dataNode = document.getElementById("mention-data");
    if (dataNode) {
      try { data = JSON.parse(dataNode.textContent); } catch (error) { data = []; }
    }
    var list = $("#mention-list");
    var matches = [], active = 0, query = null;
    var TRIGGER = /(?:^|[^\w@])@([^\s@]{0,30}(?: [^\s@]{0,30})?)$/;

    function open() { return list && !list.hidden; }
    function close() {
      if (!list) return;
      list.hidden = true;
      query = null;
      if (body) {
        body.setAttribute("aria-expanded", "false");
        body.removeAttribute("aria-activedescendant");
      }
    }
    function render() {
      list.innerHTML = "";
      matches.forEach(function (person, index) {
        var option = document.createElement("li");
        option.id = "mention-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", index === active ? "true" : "false");
        option.className = "mention-option" + (index === active ? " is-active" : "");
        var avatar = document.createElement("span");
        avatar.className = "avatar avatar-xs";
        avatar.style.setProperty("--avatar", person.color);
        avatar.textContent = person.initials;
        var name = document.createElement("span");
        name.textContent = person.name;
        option.append(avatar, name);
        if (person.title) {
          var title = document.createElement("small");
          title.textContent = person.title;
          option.appendChild(title);
        }
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(option);
      });
      list.hidden = matches.length === 0;
      body.setAttribute("aria-expanded", matches.length ? "true" : "false");
      if (matches.length) body.setAttribute("aria-activedescendant", "mention-" + active);
    }
    function update() {
      if (!list || !body || composer.dataset.mode !== "note") return close();
      var before = body.value.slice(0, body.selectionStart);
      var found = TRIGGER.exec(before);
      if (!found) return close();
      query = found[1].toLowerCase();
      matches = data.filter(function (person) {
        var name = person.name.toLowerCase();
        return name.indexOf(query) === 0 || name.split(/\s+/).some(function (word) { return word.indexOf(query) === 0; });
      }).slice(0, 6);
      active = 0;
      render();
    }
    function choose(index) {
      var person = matches[index];
      if (!person || query === null) return;
      var caret = body.selectionStart;
      var start = caret - query.length - 1; // the "@"
      body.value = body.value.slice(0, start) + "@" + person.name + " " + body.value.slice(caret);
      var at = start + person.name.length + 2;
      body.setSelectionRange(at, at);
      close();
      body.focus();
    }
    function keydown(event) {
      if (!open()) return false;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : -1) + matches.length) % matches.length;
        render();
        return true;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(active);
        return true;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        return true;
      }
      return false;
    }
    return { update: update, close: close, keydown: keydown };
  })();

  // Retry a failed reply: the answer is that message, redrawn.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("[data-retry]")) return;
    if (event.detail.xhr.status === 200) mergeMessages(event.detail.xhr.responseText, { follow: false });
    else if (event.detail.xhr.status === 422) toast(fragment(event.detail.xhr.responseText).textContent.trim());
  });

  // --- Presence: "Priya is viewing", "Priya is typing…" --------------------------------

  var presence = (function () {
    var VIEW_MS = 32000, TYPE_MS = 8000, HEARTBEAT_MS = 15000, TYPING_PAUSE_MS = 5000;
    var seen = {}; // conversation number -> { memberId: { member, viewingUntil, typingUntil } }
    var state = "viewing", lastTypingSent = 0, typingTimer = null, lastHello = 0;

    function send(value) {
      if (!current) return;
      document.dispatchEvent(new CustomEvent("frontdesk:live-send", {
        detail: { type: "presence", conversation: current, state: value },
      }));
    }
    function typing() {
      var now = Date.now();
      if (state !== "typing" || now - lastTypingSent > 3000) {
        state = "typing";
        lastTypingSent = now;
        send("typing");
      }
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(stopTyping, TYPING_PAUSE_MS);
    }
    function stopTyping() {
      window.clearTimeout(typingTimer);
      if (state === "typing") {
        state = "viewing";
        send("viewing");
      }
    }
    function receive(data) {
      if (!data || !data.member || String(data.member.id) === me) return;
      var number = data.conversation;
      var people = seen[number] || (seen[number] = {});
      var id = data.member.id;
      var isNew = !people[id];
      var now = Date.now();
      if (data.state === "left") {
        delete people[id];
      } else {
        people[id] = {
          member: data.member,
          viewingUntil: now + VIEW_MS,
          typingUntil: data.state === "typing" ? now + TYPE_MS : 0,
        };
        // Someone just arrived where we are: tell them at once instead of at our next
        // heartbeat, so neither starts a reply the other is already writing.
        if (isNew && number === current && now - lastHello > 2000) {
          lastHello = now;
          send(state);
        }
      }
      render(number);
    }
    function describe(people) {
      var now = Date.now();
      var typingNames = [], viewingNames = [];
      Object.keys(people).forEach(function (id) {
        var person = people[id];
        if (person.typingUntil > now) typingNames.push(person.member.first_name || person.member.name);
        else viewingNames.push(person.member.first_name || person.member.name);
      });
      function join(names) {
        return names.length < 3 ? names.join(" and ") : names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
      }
      var parts = [];
      if (typingNames.length) parts.push(join(typingNames) + (typingNames.length > 1 ? " are typing…" : " is typing…"));
      if (viewingNames.length) parts.push(join(viewingNames) + (viewingNames.length > 1 ? " are viewing" : " is viewing"));
      return { text: parts.join(" · "), typing: typingNames.length > 0 };
    }
    function avatar(member, size) {
      var node = document.createElement("span");
      node.className = "avatar avatar-" + size;
      node.style.setProperty("--avatar", member.color);
      node.textContent = member.initials;
      node.setAttribute("aria-hidden", "true");
      return node;
    }
    function render(number) {
      var people = seen[number] || {};
      var ids = Object.keys(people);
      var summary = describe(people);
      $all('[data-presence-for="' + number + '"]').forEach(function (slot) {
        if (slot.dataset.text === summary.text) return; // unchanged: don't re-announce
        slot.dataset.text = summary.text;
        slot.innerHTML = "";
        if (!ids.length) return;
        var mini = slot.classList.contains("presence-mini");
        var stack = document.createElement("span");
        stack.className = "avatar-stack";
        ids.slice(0, 3).forEach(function (id) { stack.appendChild(avatar(people[id].member, mini ? "xs" : "sm")); });
        var label = document.createElement("span");
        label.className = "presence-text" + (summary.typing ? " is-typing" : "");
        label.textContent = summary.text;
        if (mini) {
          slot.title = summary.text;
          label.className = "visually-hidden";
        }
        slot.append(stack, label);
      });
    }
    function renderAll() { Object.keys(seen).forEach(function (number) { slotRefresh(number); }); }
    function slotRefresh(number) {
      $all('[data-presence-for="' + number + '"]').forEach(function (slot) { delete slot.dataset.text; });
      render(number);
    }
    // Forget people whose heartbeat stopped (a closed laptop, a lost connection).
    window.setInterval(function () {
      var now = Date.now();
      Object.keys(seen).forEach(function (number) {
        var people = seen[number];
        var changed = false;
        Object.keys(people).forEach(function (id) {
          if (people[id].viewingUntil < now) { delete people[id]; changed = true; }
          else if (people[id].typingUntil && people[id].typingUntil < now) { people[id].typingUntil = 0; changed = true; }
        });
        if (changed) render(Number(number));
      });
    }, 2000);

    function start() {
      if (!current) return;
      var announced = false;
      function hello() {
        if (document.body.dataset.live === "on" && !announced) {
          announced = true;
          send(state);
        }
      }
      new MutationObserver(function () {
        if (document.body.dataset.live !== "on") announced = false;
        hello();
      }).observe(document.body, { attributes: true, attributeFilter: ["data-live"] });
      hello();
      window.setInterval(function () { if (document.visibilityState === "visible") send(state); }, HEARTBEAT_MS);
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") send(state);
      });
      window.addEventListener("pagehide", function () { send("left"); });
    }
    return { receive: receive, render: render, renderAll: renderAll, typing: typing, stopTyping: stopTyping, start: start };
  })();

  // --- The bell: unread count, dropdown of notifications ------------------------------

  var bell = (function () {
    var button = $("[data-bell-toggle]");
    var panel = $("#bell-panel");
    var count = $("[data-bell-count]");
    function setCount(value) {
      if (!count) return;
      value = Math.max(0, value);
      count.textContent = String(value);
      count.hidden = value === 0;
      button.setAttribute("aria-label", value ? "Notifications, " + value + " unread" : "Notifications");
    }
    function load() {
      return request(button.dataset.url).then(function (response) {
        if (response.status !== 200) return;
        panel.innerHTML = response.text;
        processed(panel);
        syncFromPanel();
      });
    }
    function syncFromPanel() {
      var list = $(".bell-list", panel);
      if (list) setCount(Number(list.dataset.unread) || 0);
    }
    function toggle(open) {
      panel.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) load().then(function () {
        var first = $("a, button", panel);
        if (first) first.focus();
      });
    }
    if (button && panel) {
      button.addEventListener("click", function () { toggle(panel.hidden); });
      document.addEventListener("click", function (event) {
        if (!panel.hidden && !event.target.closest("[data-bell]")) toggle(false);
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && !panel.hidden) {
          toggle(false);
          button.focus();
        }
      });
    }
    function bump(data) {
      setCount((Number(count && count.textContent) || 0) + 1);
      var what = data.kind === "assigned" ? "assigned to you" : "you were mentioned";
      toast("Conversation " + data.conversation + ": " + what);
      if (panel && !panel.hidden) load();
    }
    return { bump: bump, syncFromPanel: syncFromPanel };
  })();

  // --- Live updates -----------------------------------------------------------------

  var pending = {};
  var flushTimer = null;
  document.addEventListener("frontdesk:live", function (event) {
    var type = event.detail.type, data = event.detail.data || {};
    if (type === "presence") return presence.receive(data);
    if (type === "notification.created") return bell.bump(data);
    var conversation = data.conversation;
    if (!conversation || !conversation.number) return;
    var entry = pending[conversation.number] || (pending[conversation.number] = { types: {}, messages: {}, toTop: false });
    entry.types[type] = true;
    if (data.message) {
      entry.messages[data.message.id] = type;
      if (type === "message.created" && data.message.kind === "incoming") entry.toTop = true;
    }
    if (conversation.created) entry.toTop = true;
    // Several events arrive together (a message and its conversation): fetch once.
    window.clearTimeout(flushTimer);
    flushTimer = window.setTimeout(flush, 120);
  });
  document.addEventListener("frontdesk:live-reconnected", function () {
    // Whatever happened while the socket was down: catch up on what is on screen.
    reloadRows();
    if (current) { catchUp(); refreshHeader(); }
    refreshSidebar();
  });
  // The first page of the list again, in one request, keeping the selection; not
  // while rows are ticked for a bulk action (they would be lost).
  function reloadRows() {
    var list = $("#conv-list");
    if (!list || list.dataset.firstPage !== "true" || $(".conv-check:checked", list)) return;
    var query = list.dataset.query ? list.dataset.query + "&" : "";
    request(base + "?" + query + "fragment=rows").then(function (response) {
      if (response.status !== 200) return;
      var selected = selectedRow() && selectedRow().dataset.number;
      var hadFocus = list.contains(document.activeElement);
      list.innerHTML = response.text;
      processed(list);
      markCurrent();
      var again = selected && document.getElementById("conv-" + selected);
      if (again) {
        if (hadFocus) selectRow(again);
        else markSelected(again);
      }
      presence.renderAll();
      refreshTimes(list);
    });
  }
  function flush() {
    var batch = pending;
    pending = {};
    Object.keys(batch).forEach(function (key) {
      var number = Number(key), entry = batch[key];
      var created = Object.keys(entry.messages).some(function (id) { return entry.messages[id] === "message.created"; });
      // The open conversation catches up first (that marks it read), then its row is
      // redrawn, so the row of what is on screen never turns bold.
      var caughtUp = number === current && created ? catchUp() : Promise.resolve();
      caughtUp.then(function () { refreshRow(number, { toTop: entry.toTop }); });
      if (number === current) {
        Object.keys(entry.messages).forEach(function (id) {
          if (entry.messages[id] === "message.updated" && document.getElementById("msg-" + id)) refreshMessage(id);
        });
        if (entry.types["conversation.updated"]) refreshHeader();
      }
    });
    if (page === "list") refreshSidebar();
  }

  // --- Keyboard shortcuts -------------------------------------------------------------

  var dialog = $("#shortcuts");
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]") && dialog) dialog.showModal();
  });
  function resolveSelected() {
    var row = selectedRow();
    if (!row) return;
    var number = Number(row.dataset.number);
    request(base + number + "/resolve/" + listQuery(), { method: "POST" }).then(function (response) {
      if (response.status === 200) {
        toast("Resolved conversation " + number);
        announce("Resolved");
        refreshRow(number, {});
      } else {
        toast("Could not resolve conversation " + number);
      }
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey) return;
    if (isTyping(event.target)) return;
    if (dialog && dialog.open) return;
    if (event.key === "Escape") {
      if ($("details[data-menu][open]")) {
        var menu = $("details[data-menu][open]");
        menu.removeAttribute("open");
        $("summary", menu).focus();
        event.preventDefault();
      } else if (root.classList.contains("filters-open")) {
        root.classList.remove("filters-open");
        var filtersToggle = $("[data-filters-toggle]");
        if (filtersToggle) { filtersToggle.setAttribute("aria-expanded", "false"); filtersToggle.focus(); }
      } else if (root.classList.contains("profile-open")) {
        $(".profile-toggle").click();
      }
      return;
    }
    if (event.target.closest && event.target.closest("details[data-menu][open]") && /^[jk]$/.test(event.key)) return;
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o":
      case "Enter": {
        var row = selectedRow();
        var link = row && $(".conv-link", row);
        if (link && (event.key === "o" || !event.target.closest("a, button, summary, input"))) link.click();
        else handled = false;
        break;
      }
      case "x": {
        var box = selectedRow() && $(".conv-check", selectedRow());
        if (box) { box.checked = !box.checked; lastChecked = box; updateBulk(); } else handled = false;
        break;
      }
      case "r":
        if (composer && $("[data-mode='reply']", composer)) focusComposer("reply"); else handled = false;
        break;
      case "n":
        if (composer) focusComposer("note"); else handled = false;
        break;
      case "e": {
        var resolveButton = $("[data-shortcut-resolve]");
        if (page === "conversation" && resolveButton) resolveButton.click();
        else if (page === "list" && selectedRow()) resolveSelected();
        else handled = false;
        break;
      }
      case "a": {
        var assignMenu = $("#assign-menu");
        if (page === "conversation" && assignMenu) {
          assignMenu.setAttribute("open", "");
          var item = $(".menu-item", assignMenu);
          if (item) item.focus();
        } else if (selectedRow() && $("#bulk-assignee")) {
          var check = $(".conv-check", selectedRow());
          check.checked = true;
          updateBulk();
          $("#bulk-assignee").focus();
        } else handled = false;
        break;
      }
      case "u": {
        var back = $("[data-back]");
        if (back) back.click(); else handled = false;
        break;
      }
      case "/":
        if (!$("[data-search]")) window.location.href = base + "search/";
        else $("[data-search]").focus();
        break;
      case "?":
        if (dialog) dialog.showModal(); else handled = false;
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  });

  initComposer();
  presence.start();
  if (WIDE.addEventListener) WIDE.addEventListener("change", loadColumn);
  loadColumn();
  markCurrent();
  updateBulk();
  refreshTimes(document);
})();
