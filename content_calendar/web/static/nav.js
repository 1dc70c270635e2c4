// The phone menu: a disclosure button (WAI-ARIA pattern) in front of the main navigation.
// Loaded in <head> so the "js" class is set before the page is drawn (no flash of an open
// menu); without JavaScript the navigation simply wraps and stays visible.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("nav-toggle");
    var nav = document.getElementById("main-nav");
    if (!toggle || !nav) { return; }
    var extra = document.querySelectorAll("[data-menu-part]");
    toggle.hidden = false;
    function set(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
      for (var i = 0; i < extra.length; i++) { extra[i].classList.toggle("open", open); }
    }
    toggle.addEventListener("click", function () { set(toggle.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") { set(false); toggle.focus(); }
    });
    var here = location.pathname;
    var links = nav.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("href") === here) { links[i].setAttribute("aria-current", "page"); }
    }
  });
})();
