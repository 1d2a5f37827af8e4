// The embedded community question tells the page framing it how tall it is, so the
// iframe fits without an inner scrollbar (docs/community.md: "Embed a question").
// Only the height is sent.
(function () {
  "use strict";
  if (window.parent === window) return;
  var main = document.getElementById("main");
  if (!main) return;
  var last = 0;
  function send() {
    var height = Math.ceil(main.getBoundingClientRect().bottom + window.scrollY);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ frontdesk: "community-height", height: height }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(send).observe(main);
  window.addEventListener("load", send);
  send();
})();
