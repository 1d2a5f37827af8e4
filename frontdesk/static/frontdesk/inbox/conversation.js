// The conversation's timeline: new messages arrive through htmx (#messages listens for
// message:new, each message for its own message:changed); here they are merged by id
// (a reply can arrive both as the composer's answer and as a live event), the page
// follows them when it was at the end, and the composer learns the newest id.
(function () {
  "use strict";

  var inbox = window.FrontdeskInbox;
  if (!inbox || !inbox.root) return;
  var root = inbox.root, $ = inbox.$, $all = inbox.$all;
  var messagesList = $("#messages");
  if (!messagesList) return;

  function lastMessageId() {
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
    } else if (messagesList.lastElementChild) {
      messagesList.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  }
  function noteLastId() {
    root.dataset.lastId = String(lastMessageId());
    var after = $("[data-after-input]");
    if (after) after.value = root.dataset.lastId;
  }
  // Messages already on the page are replaced where they are; the HTML of the others
  // is returned, to be appended.
  function replaceKnown(html) {
    var rest = document.createElement("div");
    inbox.fragment(html).querySelectorAll(".msg").forEach(function (item) {
      var old = document.getElementById(item.id);
      if (old) {
        old.replaceWith(item);
        inbox.processed(item);
      } else {
        rest.appendChild(item);
      }
      if (inbox.drawnMessage) inbox.drawnMessage(item.dataset.id);
    });
    return rest.innerHTML;
  }
  // The composer's and the retry button's answers: those messages, drawn now.
  function merge(html, options) {
    var follow = (options && options.follow) || nearBottom();
    var rest = inbox.fragment(replaceKnown(html));
    var added = Array.prototype.slice.call(rest.children);
    messagesList.appendChild(rest);
    added.forEach(inbox.processed);
    noteLastId();
    inbox.call("times", "refresh", messagesList);
    if (follow) scrollToEnd();
  }

  var follow = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target !== messagesList || !event.detail.shouldSwap) return;
    follow = nearBottom();
    event.detail.serverResponse = replaceKnown(event.detail.serverResponse);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target !== messagesList) return;
    noteLastId();
    if (follow) scrollToEnd();
    follow = false;
  });

  // Retry a failed reply: the answer is that message, redrawn.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("[data-retry]")) return;
    if (event.detail.xhr.status === 200) merge(event.detail.xhr.responseText, { follow: false });
    else if (event.detail.xhr.status === 422) inbox.toast(inbox.fragment(event.detail.xhr.responseText).textContent.trim());
  });

  inbox.conversation = { lastMessageId: lastMessageId, merge: merge };
  window.setTimeout(scrollToEnd, 0);
})();
