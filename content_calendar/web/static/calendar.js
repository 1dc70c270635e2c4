// Drag a post onto another day to move it there (its time of day stays).
(function () {
  var grid = document.querySelector("[data-move]");
  if (!grid) { return; }
  var status = document.getElementById("move-status");
  var token = document.querySelector("input[name=csrf_token]");
  var dragged = null;
  grid.addEventListener("dragstart", function (ev) {
    var entry = ev.target.closest ? ev.target.closest("[data-post]") : null;
    if (!entry) { return; }
    dragged = entry;
    ev.dataTransfer.setData("text/plain", entry.dataset.post);
  });
  grid.addEventListener("dragover", function (ev) {
    if (ev.target.closest && ev.target.closest("[data-date]")) { ev.preventDefault(); }
  });
  grid.addEventListener("drop", function (ev) {
    var day = ev.target.closest ? ev.target.closest("[data-date]") : null;
    if (!day || !dragged) { return; }
    ev.preventDefault();
    var body = new FormData();
    body.append("date", day.dataset.date);
    body.append("time", dragged.dataset.time);
    if (token) { body.append("csrf_token", token.value); }
    var url = grid.dataset.move.replace(/0$/, dragged.dataset.post);
    fetch(url, {method: "POST", body: body, credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.ok) { location.reload(); return; }
        if (status) { status.textContent = data.error; status.className = "flash error"; }
      })
      .catch(function () { if (status) { status.textContent = status.dataset.failed || "Verschieben fehlgeschlagen"; } });
  });
})();
