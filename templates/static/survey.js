// Progressive enhancement for the survey form; the form works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary, so that screen readers and keyboards start there.
  var summary = document.getElementById("summary");
  if (summary) summary.focus();
  // A live character counter under each comment field.
  document.querySelectorAll("textarea[maxlength]").forEach(function (area) {
    var hint = document.getElementById(area.id + "-n");
    if (!hint || !hint.dataset.of) return;
    var template = hint.dataset.of;
    var update = function () { hint.textContent = template.replace("{n}", area.value.length); };
    area.addEventListener("input", update);
    update();
  });
});
