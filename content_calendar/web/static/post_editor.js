// Live per-channel counters and problems: the server asks each channel's adapter.
(function () {
  var form = document.getElementById("post-form");
  var box = document.getElementById("counters");
  if (!form || !box) { return; }
  var timer = null;
  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = value;
    return el;
  }
  function show(data) {
    box.innerHTML = "";
    (data.channels || []).forEach(function (c) {
      var row = document.createElement("div");
      var over = c.limit !== null && c.used > c.limit;
      row.className = "counter" + (c.problems.length ? " has-problems" : "") + (over ? " over" : "");
      row.dataset.channel = c.channel;
      var count = c.limit === null ? c.used + " " + c.unit : c.used + " / " + c.limit + " " + c.unit;
      row.appendChild(text("strong", "", c.label + ": "));
      row.appendChild(text("span", "count", count));
      if (c.note) { row.appendChild(text("p", "note", c.note)); }
      c.problems.forEach(function (p) { row.appendChild(text("p", "problems", p)); });
      if (c.preview) {
        var details = document.createElement("details");
        details.appendChild(text("summary", "", box.dataset.shownAs || "So erscheint es"));
        details.appendChild(text("pre", "preview", c.preview));
        row.appendChild(details);
      }
      box.appendChild(row);
    });
    var problem = document.getElementById("time-problem");
    var warning = document.getElementById("time-warning");
    if (problem && "time_problem" in data) { problem.textContent = data.time_problem || ""; }
    if (warning) { warning.textContent = (data.warnings || []).join(" "); }
  }
  function check() {
    var body = new FormData(form);
    body.delete("image");
    fetch(form.dataset.check, {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () {});
  }
  function soon() { clearTimeout(timer); timer = setTimeout(check, 250); }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  check();
})();
