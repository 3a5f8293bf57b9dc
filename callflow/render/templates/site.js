/* callflow HTML site: message anchors and Call-ID highlighting. Local, no dependencies.
   - hovering (or focusing) a message <g class="msg" data-call="..."> adds the class "hl"
     to every message of the same Call-ID (a message without one highlights alone);
   - "#m12" in the URL scrolls message 12 clear of the sticky header and marks it;
   - clicking a message puts its anchor in the URL. */
(function () {
  "use strict";

  var groups = new Map(); // Call-ID -> its messages (a Map: any string is a safe key)
  var lit = []; // the messages highlighted now
  var current = null; // the message under the pointer

  function peers(msg) {
    var call = msg.getAttribute("data-call");
    return call !== null && groups.has(call) ? groups.get(call) : [msg];
  }

  function clear() {
    for (var i = 0; i < lit.length; i++) lit[i].classList.remove("hl");
    lit = [];
    current = null;
  }

  function light(msg) {
    if (msg === current) return;
    clear();
    current = msg;
    lit = peers(msg);
    for (var i = 0; i < lit.length; i++) lit[i].classList.add("hl");
  }

  function messageOf(node) {
    return node && node.closest ? node.closest("g.msg") : null;
  }

  function stickyHeight(el) {
    var sheet = el.closest(".cf-sheet");
    var sticky = sheet ? sheet.querySelector(".cf-sticky") : null;
    return sticky ? sticky.getBoundingClientRect().height : 0;
  }

  function mark(el) {
    var old = document.querySelectorAll("g.msg.cf-target");
    for (var i = 0; i < old.length; i++) old[i].classList.remove("cf-target");
    if (el) el.classList.add("cf-target");
  }

  function target() {
    var id = location.hash.slice(1);
    if (!id) return null;
    try {
      id = decodeURIComponent(id);
    } catch (e) {
      return null;
    }
    var el = document.getElementById(id);
    return el && el.closest(".cf-body") ? el : null;
  }

  function reveal() {
    var el = target();
    mark(el);
    if (!el) return;
    var top = el.getBoundingClientRect().top + window.pageYOffset - stickyHeight(el) - 16;
    window.scrollTo(window.pageXOffset, Math.max(0, top));
  }

  function init() {
    var messages = document.querySelectorAll(".cf-body g.msg");
    for (var i = 0; i < messages.length; i++) {
      var msg = messages[i];
      var call = msg.getAttribute("data-call");
      if (call !== null) {
        if (!groups.has(call)) groups.set(call, []);
        groups.get(call).push(msg);
      }
      msg.setAttribute("tabindex", "0");
    }
    document.addEventListener("mouseover", function (event) {
      var msg = messageOf(event.target);
      if (msg) light(msg);
      else clear();
    });
    document.addEventListener("mouseout", function (event) {
      if (!event.relatedTarget) clear();
    });
    document.addEventListener("focusin", function (event) {
      var msg = messageOf(event.target);
      if (msg) light(msg);
    });
    document.addEventListener("focusout", function (event) {
      if (messageOf(event.target) === current) clear();
    });
    document.addEventListener("click", function (event) {
      var msg = messageOf(event.target);
      if (!msg || !msg.id) return;
      if (history.replaceState) history.replaceState(null, "", "#" + msg.id);
      mark(msg);
    });
    window.addEventListener("hashchange", reveal);
    if (location.hash) reveal();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  window.addEventListener("load", function () {
    if (location.hash) reveal();
  });
})();
