// Reload the delivery table every 3 seconds so a failure shows up without a manual reload.
(function () {
  var box = document.getElementById("delivery-box");
  if (!box) { return; }
  setInterval(function () {
    fetch(box.dataset.src, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) { box.innerHTML = html; } })
      .catch(function () {});
  }, 3000);
})();
