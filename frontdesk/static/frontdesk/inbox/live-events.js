// Live updates as DOM events on <body>, for htmx elements to listen for
// (hx-trigger="conversation:changed[detail.number==42] from:body"), each with its own
// URL from {% url %} in the template. live.js carries the socket's messages as
// "frontdesk:live"; this names them for the inbox:
//
//   conversation:changed  {number, type, created, moves}   any change to a conversation
//       (its messages included; events within 120 ms come as one); `moves` when its
//       row goes to the top of the list's first page (a new conversation, a new
//       customer message, one the page does not show yet), else it is drawn in place
//   message:new           {conversation, message, kind}     a message was added
//   message:changed       {conversation, message, kind}     e.g. its delivery status
//   notification:new      {notification, kind, conversation} for this member only
//   presence:update       {conversation, member, state}
//   live:reconnected      the socket is back: whatever is on screen may be stale
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;

  // An element redrawn by its own request (a message, a row, the header) is replaced
  // whole, and htmx drops a request queued on the element it replaced: an event that
  // came while the redraw was on its way would be lost, and the element would keep
  // what the server had before it (a reply stuck at "Sent" once it was delivered).
  // So the newest event meant for each element is numbered, and an element whose
  // request started before it is redrawn once more when the new one is set up.
  var seq = 0, newest = {};
  var REDRAWN = /^(msg-\d+|conv-\d+|conversation-header)$/;
  function fire(name, detail) {
    detail = detail || {};
    if (name === "message:changed") newest["msg-" + detail.message] = ++seq;
    if (name === "conversation:changed") {
      if (!detail.moves) newest["conv-" + detail.number] = ++seq;
      if (detail.type !== "message.updated") newest["conversation-header"] = ++seq;
    }
    document.body.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }
  // Once the swap is done (it follows the event at once), whether or not htmx has
  // set up the new element's own triggers yet.
  function redraw(id) {
    window.setTimeout(function () {
      var elt = document.getElementById(id), url = elt && elt.getAttribute("hx-get");
      if (url && window.htmx) window.htmx.ajax("GET", url, { source: elt, target: elt, swap: "outerHTML" });
    }, 0);
  }
  var started = {};
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && REDRAWN.test(elt.id || "")) started[elt.id] = seq;
  });
  // When the new element is set up (htmx:load: from now on its own triggers listen).
  // Not at the swap: htmx sets a swapped-in element's triggers up only when it
  // settles, a moment later, and an event told in between reached neither the old
  // element nor the new one.
  document.addEventListener("htmx:load", function (event) {
    var id = event.detail.elt && event.detail.elt.id;
    if (!id || started[id] === undefined) return;
    var since = started[id];
    delete started[id];
    if ((newest[id] || 0) > since) redraw(id);
  });
  // A message drawn from another answer (the composer's, the timeline's) may have been
  // rendered before a change that was told while it was not on the page yet.
  inbox.drawnMessage = function (id) {
    if (newest["msg-" + id]) redraw("msg-" + id);
  };
  function listFirstPage() {
    return !!document.querySelector("#conv-list[data-first-page='true']");
  }
  inbox.fire = fire;
  // A change the page made itself (a bulk action), told like a live one: works while
  // the socket is down, and a second redraw of the same row costs one small request.
  inbox.changed = function (number) {
    fire("conversation:changed", { number: Number(number), type: "local", moves: false });
  };

  // Several events arrive together (a message and its conversation): one
  // conversation:changed for them, so a row is fetched once.
  var pending = {}, flushTimer = null;
  function flush() {
    var batch = pending;
    pending = {};
    Object.keys(batch).forEach(function (key) { fire("conversation:changed", batch[key]); });
  }
  document.addEventListener("frontdesk:live", function (event) {
    var type = event.detail.type, data = event.detail.data || {};
    if (type === "presence") return fire("presence:update", data);
    if (type === "notification.created") return fire("notification:new", data);
    var conversation = data.conversation;
    if (!conversation || !conversation.number) return;
    var number = conversation.number, message = data.message;
    if (message) {
      fire(type === "message.created" ? "message:new" : "message:changed", {
        conversation: number, message: message.id, kind: message.kind,
      });
    }
    var entry = pending[number] || (pending[number] = { number: number, types: [], created: false, moves: false });
    if (entry.types.indexOf(type) === -1) entry.types.push(type);
    entry.type = entry.types.length === 1 ? type : "several";
    entry.created = entry.created || !!conversation.created;
    var incoming = type === "message.created" && !!message && message.kind === "incoming";
    var unseen = !document.getElementById("conv-" + number) && type !== "message.updated";
    entry.moves = entry.moves || (listFirstPage() && (incoming || !!conversation.created || unseen));
    window.clearTimeout(flushTimer);
    flushTimer = window.setTimeout(flush, 120);
  });
  document.addEventListener("frontdesk:live-reconnected", function () { fire("live:reconnected"); });
})();
