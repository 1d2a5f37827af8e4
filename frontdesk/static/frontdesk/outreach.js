// Outreach's template editor: show the fields of the kind chosen (email or text), and
// send the test for the contact picked in the preview (without JS the picker reloads
// the page, which fills that field).
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  var kind = document.getElementById("id_kind");
  if (form && kind) {
    kind.addEventListener("change", function () { form.dataset.kind = kind.value; });
  }
  document.addEventListener("submit", function (event) {
    var fields = event.target.querySelectorAll ? event.target.querySelectorAll("[data-follows]") : [];
    fields.forEach(function (field) {
      var source = document.getElementById(field.dataset.follows);
      if (source && source.value) field.value = source.value;
    });
  });
})();
