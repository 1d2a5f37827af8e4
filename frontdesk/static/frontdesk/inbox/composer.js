// The composer: reply or note, saved replies, send with Ctrl+Enter; a sent message is
// drawn from the answer at once, and a half-typed reply survives every live update
// (nothing live ever swaps the composer).
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var $ = inbox.$, $all = inbox.$all;
  var composer = $("#composer");
  var body = composer && $("[data-composer-body]", composer);
  if (!composer || !body) return;

  function setMode(mode) {
    if (mode === "reply" && !$("[data-mode='reply']", composer)) mode = "note";
    composer.dataset.mode = mode;
    composer.classList.toggle("mode-reply", mode === "reply");
    composer.classList.toggle("mode-note", mode === "note");
    $("[data-mode-input]", composer).value = mode;
    composer.setAttribute("action", mode === "note" ? composer.dataset.noteUrl : composer.dataset.replyUrl);
    $all(".composer-tab", composer).forEach(function (tab) {
      tab.setAttribute("aria-pressed", tab.dataset.mode === mode ? "true" : "false");
    });
    // No way can deliver a reply (no address, opted out): Send stays off for replies.
    var send = $("[data-send]", composer);
    if (send) send.disabled = mode === "reply" && composer.dataset.replyBlocked === "true";
    var label = $("label[for=composer-body]", composer);
    label.textContent = mode === "note" ? label.dataset.labelNote : label.dataset.labelReply;
    body.placeholder = mode === "note" ? body.dataset.placeholderNote : body.dataset.placeholderReply;
    inbox.call("mentions", "close");
  }
  function focus(mode) {
    setMode(mode);
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
  }
  function showError(text) {
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

  composer.setAttribute("hx-disabled-elt", "find [data-send]");
  setMode(composer.dataset.mode || "reply");
  composer.addEventListener("click", function (event) {
    var tab = event.target.closest(".composer-tab");
    if (!tab) return;
    event.preventDefault();
    focus(tab.dataset.mode);
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
      showError("Write something first.");
      body.focus();
    }
  }, true);
  composer.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== composer) return;
    var status = event.detail.xhr.status;
    if (status === 200) {
      showError("");
      inbox.call("conversation", "merge", event.detail.xhr.responseText, { follow: true });
      body.value = "";
      var files = $("[data-attach]", composer);
      if (files) files.value = "";
      var names = $("[data-attach-names]", composer);
      if (names) names.textContent = "";
      inbox.call("presence", "stopTyping");
      body.focus();
    } else if (status === 422) {
      showError(inbox.fragment(event.detail.xhr.responseText).textContent.trim());
    } else {
      showError(status === 400 ? event.detail.xhr.responseText : "That did not go through. Check your connection and try again.");
    }
  });
  body.addEventListener("keydown", function (event) {
    if (inbox.call("mentions", "keydown", event)) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.requestSubmit();
    } else if (event.key === "Escape") {
      body.blur();
    }
  });
  body.addEventListener("input", function () {
    showError("");
    inbox.call("presence", "typing");
    inbox.call("mentions", "update");
  });
  body.addEventListener("blur", function () { window.setTimeout(function () { inbox.call("mentions", "close"); }, 150); });
  // "Send by": the hint says where the reply goes, the note what files can go with it.
  function showRoute(select) {
    var option = select.options[select.selectedIndex];
    if (!option) return;
    var hint = $("[data-route-hint]", composer);
    if (hint) hint.textContent = option.dataset.hint;
    // A reply from one's own account elsewhere: its own choice (who sees it) shows.
    $all("[data-choice-for]", composer).forEach(function (box) {
      var mine = box.dataset.choiceFor === option.value;
      box.hidden = !mine;
      $all("select", box).forEach(function (choice) { choice.disabled = !mine; });
    });
    var note = $("[data-attach-note]", composer);
    if (note) {
      var kind = option.dataset.attachments;
      note.hidden = kind === "all";
      note.textContent = kind === "pictures"
        ? "Pictures go as a picture message; other files can’t be sent by text."
        : "Files can’t be sent this way.";
    }
  }
  composer.addEventListener("change", function (event) {
    if (event.target.matches("[data-route-select]")) showRoute(event.target);
  });
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
    inbox.call("menus", "close", null);
    body.focus();
  });
  composer.addEventListener("input", function (event) {
    if (!event.target.matches("[data-saved-filter]")) return;
    var words = event.target.value.toLowerCase().trim();
    $all(".saved-list li", composer).forEach(function (item) {
      item.hidden = !!words && item.textContent.toLowerCase().indexOf(words) === -1;
    });
  });

  inbox.composer = {
    element: composer,
    body: body,
    mode: function () { return composer.dataset.mode; },
    canReply: function () { return !!$("[data-mode='reply']", composer); },
    focus: focus,
  };
})();
