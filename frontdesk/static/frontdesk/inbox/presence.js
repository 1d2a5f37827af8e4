// Presence: "Priya is viewing", "Priya is typing…" on the conversation's header and
// its row. Heard as presence:update on <body>; this page's own state is sent on the
// live socket (live.js's "frontdesk:live-send").
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var $all = inbox.$all, me = inbox.me, current = inbox.current;

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
  // After htmx drew a header or rows again: their slots are empty.
  function renderAll() {
    Object.keys(seen).forEach(function (number) {
      $all('[data-presence-for="' + number + '"]').forEach(function (slot) { delete slot.dataset.text; });
      render(number);
    });
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

  document.body.addEventListener("presence:update", function (event) { receive(event.detail); });
  inbox.presence = { render: render, renderAll: renderAll, typing: typing, stopTyping: stopTyping };
  start();
})();
