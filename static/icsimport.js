// The room import page: a chosen .ics file is read into the form's text area, which is what the
// form posts (an ordinary form, so the CSRF token travels with it). Without this script the
// file's text can be pasted.
document.querySelectorAll('input[type=file][data-fills]').forEach(function (input) {
  input.addEventListener('change', function () {
    var target = document.getElementById(input.dataset.fills);
    var file = input.files && input.files[0];
    if (!target || !file) return;
    file.text().then(function (text) { target.value = text; });
  });
});
