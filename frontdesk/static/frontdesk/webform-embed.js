// The embedded contact form tells the page framing it how tall it is, so the page's
// iframe can fit the form without an inner scrollbar (README: "embed it in a page").
// Only the height is sent; the page checks that the message comes from our origin.
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
    window.parent.postMessage({ frontdesk: "webform-height", height: height }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(send).observe(main);
  window.addEventListener("load", send);
  send();
})();
