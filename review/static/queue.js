// The queue page: row selection for bulk actions, keyboard shortcuts, and the list's live
// refresh (pakn.js calls pakn.onChange when the server says something moved).
"use strict";

(function () {
  var queue = document.getElementById("queue");
  var bulk = document.getElementById("bulk");
  var holder = document.getElementById("queue-list");
  if (!queue || !bulk || !holder) {
    return;
  }
  var pakn = (window.pakn = window.pakn || {});
  var dialog = document.getElementById("shortcuts");
  var current = null; // id of the row the keys act on

  function rows() {
    return Array.prototype.slice.call(holder.querySelectorAll("li.row"));
  }
  function picks() {
    return Array.prototype.slice.call(holder.querySelectorAll("input.row-pick"));
  }
  function countSelected() {
    var n = picks().filter((box) => box.checked).length;
    bulk.querySelector("[data-selected]").textContent = String(n);
    var all = bulk.querySelector("[data-select-all]");
    var usable = picks().filter((box) => !box.disabled);
    all.checked = usable.length > 0 && n === usable.length;
  }

  // Only the fields of the chosen action are shown.
  var action = bulk.querySelector("select[name=action]");
  function showFields() {
    bulk.querySelectorAll(".bulk-field[data-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-for") !== action.value;
    });
  }
  action.addEventListener("change", showFields);
  showFields();

  bulk.querySelector("[data-select-all]").addEventListener("change", function (event) {
    picks().forEach(function (box) {
      box.checked = !box.disabled && event.target.checked;
    });
    countSelected();
  });
  holder.addEventListener("change", countSelected);
  bulk.addEventListener("submit", function (event) {
    if (action.value === "close" && !window.confirm(bulk.getAttribute("data-close-confirm"))) {
      event.preventDefault();
    }
  });

  // ---------------------------------------------------------------- keyboard shortcuts
  function mark(id) {
    rows().forEach(function (row) {
      var on = row.getAttribute("data-id") === id;
      row.classList.toggle("current", on);
      if (on) {
        row.scrollIntoView({ block: "nearest" });
      }
    });
    current = id;
  }
  function currentRow() {
    return rows().filter((row) => row.getAttribute("data-id") === current)[0] || null;
  }
  function move(step) {
    var all = rows();
    if (!all.length) {
      return;
    }
    var at = all.indexOf(currentRow());
    var next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
    mark(all[next].getAttribute("data-id"));
  }
  function open(hash) {
    var row = currentRow();
    var href = row && row.getAttribute("data-href");
    if (href) {
      window.location.href = href + (hash || "");
    }
  }
  function act(name) {
    // One item, the same bulk endpoint as the form: audited and checked the same way.
    var row = currentRow();
    if (!row || (name === "close" && !window.confirm(bulk.getAttribute("data-close-confirm")))) {
      return Promise.resolve(null);
    }
    var data = new FormData();
    data.append("csrf_token", bulk.querySelector("input[name=csrf_token]").value);
    data.append("action", name);
    data.append("ids", row.getAttribute("data-id"));
    // getAttribute: the form has a field named "action", which hides the form's own property.
    return fetch(bulk.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => response.json())
      .then(function (result) {
        var problem = result.error || (result.refused[0] && result.refused[0].reason);
        if (problem) {
          window.alert(problem);
        }
        return reload();
      });
  }
  pakn.act = act;

  var keys = {
    j: () => move(1),
    k: () => move(-1),
    o: () => open(""),
    Enter: () => open(""),
    t: () => act("take"),
    r: () => open("#reply"),
    c: () => act("close"),
    x: function () {
      var row = currentRow();
      var box = row && row.querySelector("input.row-pick");
      if (box && !box.disabled) {
        box.checked = !box.checked;
        countSelected();
      }
    },
    "?": function () {
      if (dialog && !dialog.open) {
        dialog.showModal();
      }
    },
  };
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (typing || event.ctrlKey || event.metaKey || event.altKey || (dialog && dialog.open)) {
      return;
    }
    var handler = keys[event.key];
    if (handler && !(event.key === "Enter" && target.closest && target.closest("a, button"))) {
      event.preventDefault();
      handler();
    }
  });
  var opener = queue.querySelector("[data-shortcuts-open]");
  if (opener && dialog) {
    opener.addEventListener("click", () => dialog.showModal());
  }
  holder.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("li.row");
    if (row) {
      mark(row.getAttribute("data-id"));
    }
  });

  // ---------------------------------------------------------------- live refresh
  function reload() {
    var chosen = picks()
      .filter((box) => box.checked)
      .map((box) => box.value);
    var at = rows().indexOf(currentRow());
    return fetch(queue.getAttribute("data-partial-url"), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : null))
      .then(function (html) {
        if (html === null) {
          return;
        }
        holder.innerHTML = html;
        picks().forEach(function (box) {
          box.checked = chosen.indexOf(box.value) >= 0;
        });
        if (current && !currentRow() && at >= 0 && rows().length) {
          // The row acted on left the view: the keys go on with the one that took its place.
          current = rows()[Math.min(at, rows().length - 1)].getAttribute("data-id");
        }
        if (current) {
          mark(current);
        }
        countSelected();
        var list = holder.querySelector("ul.rows");
        queue.setAttribute("data-rows", list ? list.getAttribute("data-count") : "0");
      });
  }
  pakn.onChange = reload;
  pakn.reloadList = reload;
})();
