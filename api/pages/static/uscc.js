/* USCC check without a page load: asks GET /api/v1/uscc/<code> and shows the same result
   the server renders when scripts are off (the form is a plain GET otherwise). */
(function () {
  "use strict";
  var form = document.getElementById("uscc-form");
  var out = document.getElementById("uscc-result");
  if (!form || !out || !window.fetch) { return; }
  var en = document.documentElement.lang === "en";
  function tr(zh, e) { return en ? e : zh; }
  function el(tag, text, cls) {
    var n = document.createElement(tag);
    if (text) { n.textContent = text; }
    if (cls) { n.className = cls; }
    return n;
  }
  function fact(dl, term, value) {
    dl.appendChild(el("dt", term));
    var dd = el("dd");
    if (typeof value === "string") { dd.textContent = value; } else { dd.appendChild(value); }
    dl.appendChild(dd);
  }
  function show(r) {
    out.textContent = "";
    var box = el("section", null, "card " + (r.valid ? "notice" : "alert"));
    box.appendChild(el("h2", (r.valid ? "✓ " + tr("代码有效", "Valid code") : "✗ " +
      tr("代码无效", "Invalid code")) + "：" + r.code));
    if (r.valid) {
      var dl = el("dl", null, "facts");
      if (r.authority) {
        fact(dl, tr("登记管理部门（第 1 位）", "Registration authority (position 1)"),
          r.authority.code + " · " + (en ? r.authority.name_en : r.authority.name));
      }
      if (r.category) {
        fact(dl, tr("机构类别（第 2 位）", "Entity category (position 2)"),
          r.category.code + " · " + (en ? r.category.name_en : r.category.name));
      }
      fact(dl, tr("主体类型", "Entity type"), r.entity_type_name || r.entity_type || "");
      fact(dl, tr("行政区划（第 3-8 位）", "Division (positions 3-8)"), (r.division_code || "") +
        (r.city_name ? " · " + r.city_name : (r.province_name ? " · " + r.province_name : "")));
      fact(dl, tr("江苏省登记", "Registered in Jiangsu"), r.in_jiangsu ? tr("是", "yes") :
        r.province_code === "320000" ? tr("省级登记管理机关（不属于某个地市）",
          "by a province-level authority (no city)") :
          tr("否（不是江苏省的代码）", "no (not a Jiangsu code)"));
      var reg;
      if (r.registered) {
        reg = el("a", r.registered_name);
        reg.href = form.getAttribute("action").replace(/\/uscc$/, "/enterprises/") + encodeURIComponent(r.code);
      } else { reg = tr("未登记", "not registered"); }
      fact(dl, tr("本平台登记", "On this platform"), reg);
      box.appendChild(dl);
      if (r.notes && r.notes.length) {
        var notes = el("ul", null, "notes");
        r.notes.forEach(function (n) { notes.appendChild(el("li", en ? n.message_en : n.message)); });
        box.appendChild(notes);
      }
    } else {
      box.appendChild(el("p", tr("未通过的规则：", "Rules that failed:")));
      var ul = el("ul", null, "faults");
      (r.faults || []).forEach(function (f) {
        var li = el("li");
        li.appendChild(el("strong", f.position ? tr("第 " + f.position + " 位", "Position " +
          f.position) : tr("整个代码", "The whole code")));
        li.appendChild(document.createTextNode("：" + (en ? f.message_en : f.message)));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    out.appendChild(box);
  }
  form.addEventListener("submit", function (e) {
    var code = form.elements.code.value.trim();
    if (!code) { return; }
    e.preventDefault();
    var api = form.getAttribute("data-api").replace("CODE", encodeURIComponent(code));
    fetch(api, {headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (body) {
        show(body);
        if (window.history && history.replaceState) {
          history.replaceState(null, "", form.getAttribute("action") + "?code=" + encodeURIComponent(code));
        }
      })
      .catch(function () { form.submit(); });
  });
})();
