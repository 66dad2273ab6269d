// Canned replies in the reply box: "/" at the start of a line (or after a space) opens the
// unit's templates, filled for this item by the server (review/canned_views.py); typing
// narrows them, arrows choose, Enter or a click inserts, Escape closes.
"use strict";

(function () {
  var hint = document.querySelector("[data-canned-url]");
  var box = document.querySelector("#reply textarea[name=text]");
  if (!hint || !box || !window.fetch) {
    return;
  }
  var templates = null;
  var list = document.createElement("ul");
  list.className = "canned-picker";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", hint.getAttribute("data-label"));
  list.hidden = true;
  box.insertAdjacentElement("afterend", list);
  var start = -1; // where the "/" is
  var chosen = 0;

  function fetchTemplates() {
    if (templates) {
      return Promise.resolve(templates);
    }
    return fetch(hint.getAttribute("data-canned-url"), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : []))
      .then(function (found) {
        templates = found;
        return found;
      });
  }

  function fold(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/gi, "d")
      .toLowerCase();
  }

  function query() {
    return box.value.slice(start + 1, box.selectionStart);
  }

  function matches() {
    var words = fold(query()).split(/\s+/).filter(Boolean);
    return (templates || []).filter(function (c) {
      var hay = fold(c.title + " " + c.text);
      return words.every((w) => hay.indexOf(w) >= 0);
    });
  }

  function close() {
    list.hidden = true;
    start = -1;
  }

  function render() {
    if (templates === null) {
      return; // still loading: the fetch renders when it arrives, never a false "no match"
    }
    var found = matches();
    list.innerHTML = "";
    chosen = Math.min(chosen, Math.max(0, found.length - 1));
    if (!found.length) {
      var empty = document.createElement("li");
      empty.className = "canned-empty";
      empty.textContent = hint.getAttribute("data-empty");
      list.appendChild(empty);
    }
    found.forEach(function (c, n) {
      var row = document.createElement("li");
      row.setAttribute("role", "option");
      row.setAttribute("aria-selected", n === chosen ? "true" : "false");
      var title = document.createElement("strong");
      title.textContent = c.title;
      var text = document.createElement("span");
      text.textContent = c.text.length > 120 ? c.text.slice(0, 119) + "…" : c.text;
      row.appendChild(title);
      row.appendChild(text);
      row.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the box
        insert(c);
      });
      list.appendChild(row);
    });
    list.hidden = false;
  }

  function insert(c) {
    var before = box.value.slice(0, start);
    var after = box.value.slice(box.selectionStart);
    box.value = before + c.text + after;
    var caret = before.length + c.text.length;
    box.setSelectionRange(caret, caret);
    close();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  box.addEventListener("focus", function () {
    fetchTemplates(); // ready before the officer types "/"
  });

  box.addEventListener("input", function (event) {
    var at = box.selectionStart;
    if (event.inputType === "insertText" && event.data === "/") {
      var previous = box.value.charAt(at - 2);
      if (at === 1 || previous === "" || /\s/.test(previous)) {
        start = at - 1;
        chosen = 0;
        fetchTemplates().then(render);
        return;
      }
    }
    if (start >= 0) {
      if (at <= start || box.value.charAt(start) !== "/") {
        close();
      } else {
        render();
      }
    }
  });

  box.addEventListener("keydown", function (event) {
    if (list.hidden) {
      return;
    }
    var found = matches();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      chosen = (chosen + (event.key === "ArrowDown" ? 1 : -1) + found.length) % (found.length || 1);
      render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (found.length) {
        event.preventDefault();
        insert(found[chosen]);
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  box.addEventListener("blur", close);
})();
