// Crisis console and delivery board. The board listens to Server-Sent Events; if the
// server has no stream slot free (HTTP 503) it polls the in-memory state instead.
(function () {
  "use strict";
  var clock = document.getElementById("console-elapsed");
  if (clock) {
    var started = Date.now();
    setInterval(function () { clock.textContent = Math.round((Date.now() - started) / 1000); }, 1000);
  }
  var send = document.getElementById("send-now");
  if (send) {
    var busy = false;
    send.addEventListener("click", function (ev) {
      if (busy || !window.confirm(send.dataset.confirm)) { ev.preventDefault(); return; }
      busy = true;  // the idempotency key makes a second submit harmless anyway
    });
  }
  var board = document.getElementById("board");
  if (!board) { return; }
  var labels = JSON.parse(document.getElementById("state-labels").textContent);
  var texts = JSON.parse((document.getElementById("board-texts") || {}).textContent || "{}");  // in the page's language
  function t(key, german) { return texts[key] || german; }
  var status = document.getElementById("live-status");
  function text(el, value) { el.textContent = value == null ? "" : value; }
  function apply(d) {
    var row = board.querySelector('tr[data-delivery="' + d.id + '"]');
    if (!row) {
      row = document.createElement("tr"); row.dataset.delivery = d.id; row.dataset.category = d.category;
      row.innerHTML = '<td class="channel"></td><td data-label=""><span class="badge" data-field="state"></span></td>' +
        '<td data-label="" data-field="attempts"></td><td data-label="" data-field="error"></td><td data-field="link"></td>';
      row.cells[1].dataset.label = t("state", "Zustand"); row.cells[2].dataset.label = t("attempts", "Versuche");
      row.cells[3].dataset.label = t("error", "Fehler");
      text(row.cells[0], d.channel + (d.inline ? " (" + t("inline", "direkt gesendet") + ")" : ""));
      board.tBodies[0].appendChild(row);
    }
    row.className = "state-" + d.state;
    var badge = row.querySelector('[data-field="state"]');
    badge.className = "badge " + d.state; text(badge, labels[d.state] || d.state);
    text(row.querySelector('[data-field="attempts"]'), d.attempts);
    text(row.querySelector('[data-field="error"]'), d.last_error ? d.last_error + (d.platform_message ? ": „" + d.platform_message + "“" : "") : "");
    var link = row.querySelector('[data-field="link"]');
    while (link.firstChild) { link.removeChild(link.firstChild); }
    if (d.remote_url && /^https?:\/\//.test(d.remote_url)) {
      var a = document.createElement("a"); a.href = d.remote_url; a.rel = "noopener"; a.textContent = t("view", "ansehen"); link.appendChild(a);
    }
    summarise();
  }
  // "All confirmed" counts real channels only; previews are counted apart, never as sent.
  function summarise() {
    var rows = board.tBodies[0].rows, real = 0, confirmed = 0, previews = 0;
    for (var i = 0; i < rows.length; i++) {
      var state = rows[i].querySelector('[data-field="state"]');
      if (rows[i].dataset.category === "preview") {
        if (state.classList.contains("previewed")) { previews++; }
      } else {
        real++;
        if (state.classList.contains("sent")) { confirmed++; }
      }
    }
    document.getElementById("all-confirmed").hidden = !(real > 0 && confirmed === real);
    var note = document.getElementById("previews-made");
    note.hidden = previews === 0;
    text(note, previews === 1 ? note.dataset.one : note.dataset.many.replace("{n}", previews));
  }
  function poll() {
    status.textContent = t("polling", "Aktualisierung alle 3 s (keine Live-Verbindung frei)");
    setInterval(function () {
      fetch(board.dataset.state, {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (data) { data.deliveries.forEach(apply); }).catch(function () {});
    }, 3000);
  }
  if (!window.EventSource) { poll(); return; }
  var url = board.dataset.live + "&seit=" + board.dataset.version, opened = false;
  var source = new EventSource(url);
  source.addEventListener("open", function () { opened = true; status.textContent = t("connected", "Live verbunden"); });
  source.addEventListener("delivery", function (ev) { apply(JSON.parse(ev.data)); });
  source.addEventListener("error", function () {
    if (!opened) { source.close(); poll(); } else { status.textContent = t("reconnecting", "Live-Verbindung unterbrochen – verbinde neu …"); }
  });
})();
