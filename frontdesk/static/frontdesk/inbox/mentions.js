// @mentions in notes: a listbox of colleagues under the composer's text, driven by
// the keyboard (the colleagues come from the page, json_script "mention-data").
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var $ = inbox.$;
  var composer = $("#composer");
  var body = composer && $("[data-composer-body]", composer);
  var list = $("#mention-list");
  if (!composer || !body || !list) return;

  var data = [];
  var dataNode = document.getElementById("mention-data");
  if (dataNode) {
    try { data = JSON.parse(dataNode.textContent); } catch (error) { data = []; }
  }
  var matches = [], active = 0, query = null;
  var TRIGGER = /(?:^|[^\w@])@([^\s@]{0,30}(?: [^\s@]{0,30})?)$/;

  function close() {
    list.hidden = true;
    query = null;
    body.setAttribute("aria-expanded", "false");
    body.removeAttribute("aria-activedescendant");
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
    if (composer.dataset.mode !== "note") return close();
    var found = TRIGGER.exec(body.value.slice(0, body.selectionStart));
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
  // True when the key was for the listbox.
  function keydown(event) {
    if (list.hidden) return false;
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

  inbox.mentions = { update: update, close: close, keydown: keydown };
})();
