/* Search-box suggestions (ARIA 1.2 combobox with a listbox). Without this script the box
   is a plain GET form to /search. */
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  if (!input || !window.fetch) { return; }
  var list = document.getElementById(input.getAttribute("aria-controls"));
  var form = input.form;
  var url = input.getAttribute("data-suggest");
  var profile = input.getAttribute("data-profile");
  var active = -1, timer = null, seq = 0;
  var en = (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;

  function close() {
    list.hidden = true; list.textContent = ""; active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function options() { return list.querySelectorAll("[role=option]"); }
  function mark(i) {
    var opts = options();
    if (!opts.length) { return; }
    active = (i + opts.length) % opts.length;
    for (var k = 0; k < opts.length; k++) {
      opts[k].setAttribute("aria-selected", k === active ? "true" : "false");
    }
    input.setAttribute("aria-activedescendant", opts[active].id);
    opts[active].scrollIntoView({block: "nearest"});
  }
  function render(items, q) {
    list.textContent = "";
    list.setAttribute("data-for", q);  // the query these suggestions answer
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "q-opt-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var a = document.createElement("a");
      a.href = profile.replace("USCC", encodeURIComponent(item.uscc));
      a.tabIndex = -1;
      // A grade is said with its words ("CCC 信用很差"), never as a bare code, and a legal
      // finding (the serious-dishonesty list, a serious record) in words, first.
      a.appendChild(document.createTextNode(item.name));
      (item.warnings || []).forEach(function (w) {
        var warn = document.createElement("strong");
        warn.className = "tag bad warning";
        warn.textContent = "⚠ " + (en ? w.text_en : w.text);
        a.appendChild(document.createTextNode(" "));
        a.appendChild(warn);
      });
      if (item.grade) {
        var words = en ? item.grade_text_en : item.grade_text;
        var grade = document.createElement("span");
        grade.className = "grade-words";
        grade.textContent = " " + item.grade + (words ? " " + words : "");
        a.appendChild(grade);
      }
      if (item.city_name) { a.appendChild(document.createTextNode(" · " + item.city_name)); }
      var code = document.createElement("span");
      code.className = "meta";
      code.textContent = " " + item.uscc;
      a.appendChild(code);
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
    active = -1;
  }
  function ask() {
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    var mine = ++seq;
    fetch(url + "?q=" + encodeURIComponent(q) + "&size=8", {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {items: []}; })
      .then(function (body) { if (mine === seq) { render(body.items || [], q); } })
      .catch(function () { close(); });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer); timer = setTimeout(ask, 150);
  });
  input.addEventListener("keydown", function (e) {
    // Esc only closes the list (and drops a pending request); it never wipes the query,
    // which a type=search box does by default, even before the list has appeared.
    if (e.key === "Escape") { e.preventDefault(); clearTimeout(timer); seq++; close(); return; }
    if (list.hidden) { return; }
    if (e.key === "ArrowDown") { e.preventDefault(); mark(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); mark(active - 1); }
    else if (e.key === "Enter" && active >= 0) {
      e.preventDefault(); window.location.href = options()[active].querySelector("a").href;
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 200); });
  form.addEventListener("submit", function () { close(); });
})();
