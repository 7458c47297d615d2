// Progressive enhancement only: the forms work without it.
(function () {
  "use strict";
  // The after-sales fields show only for an after-sales request.
  function toggleAfterSales() {
    var kind = document.getElementById("id_kind");
    var block = document.getElementById("after-sales");
    if (!kind || !block) { return; }
    var update = function () {
      block.hidden = kind.value !== "after_sales";
      var type = document.getElementById("id_after_sales_type");
      var amount = document.getElementById("amount-field");
      if (type && amount) { amount.hidden = type.value !== "refund"; }
    };
    kind.addEventListener("change", update);
    var type = document.getElementById("id_after_sales_type");
    if (type) { type.addEventListener("change", update); }
    update();
  }
  // Files too large are refused before the upload starts (the server checks again).
  function checkFiles() {
    var forms = document.querySelectorAll("form[data-max-file]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", function (event) {
        var maxFile = parseInt(form.getAttribute("data-max-file"), 10);
        var maxTotal = parseInt(form.getAttribute("data-max-total"), 10);
        var input = form.querySelector("input[type=file]");
        if (!input || !input.files) { return; }
        var total = 0, tooBig = null;
        Array.prototype.forEach.call(input.files, function (file) {
          total += file.size;
          if (file.size > maxFile && !tooBig) { tooBig = file.name; }
        });
        var message = "";
        if (tooBig) { message = (document.documentElement.lang.indexOf("zh") === 0 ? "文件过大：" : "File too large: ") + tooBig; }
        else if (total > maxTotal) { message = document.documentElement.lang.indexOf("zh") === 0 ? "文件总大小超出限制。" : "The files together are too large."; }
        if (message) {
          event.preventDefault();
          var box = form.querySelector(".file-error");
          if (!box) {
            box = document.createElement("p");
            box.className = "error file-error";
            box.id = input.id + "-client-error";
            box.setAttribute("role", "alert");
            input.parentNode.appendChild(box);
            input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + box.id).trim());
          }
          box.textContent = message;
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { toggleAfterSales(); checkFiles(); });
})();
