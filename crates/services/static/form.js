// Application form: shows and hides conditional fields (the same `visible_if` rules the server
// applies), saves the draft as the person types (PUT, JSON), and uploads attachments.
(function () {
  var form = document.getElementById('application-form');
  if (!form) return;
  var id = form.dataset.application, csrf = form.dataset.csrf;
  var status = document.getElementById('autosave-status');

  function value(name) {
    var el = form.elements[name];
    if (!el || el.disabled) return null;
    if (el.type === 'checkbox') return el.checked ? 'true' : '';
    return el.value;
  }

  // In page order, so a field whose condition names a hidden field is hidden too.
  function visibility() {
    var shown = {};
    form.querySelectorAll('.field[id^="field-"]').forEach(function (box) {
      var name = box.id.slice(6), f = box.dataset.visibleField;
      var ok = !f || (shown[f] && value(f) === box.dataset.visibleValue);
      shown[name] = ok;
      box.hidden = !ok;
      box.querySelectorAll('input, select, textarea').forEach(function (el) { el.disabled = !ok; });
    });
  }

  function data() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === 'csrf_token' || el.name === 'comment' || el.disabled || el.type === 'file') return;
      out[el.name] = el.type === 'checkbox' ? el.checked : el.value;
    });
    return out;
  }

  var timer = null;
  function save() {
    fetch('/api/v1/applications/' + id + '/data', {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ data: data() })
    }).then(function (r) {
      status.textContent = r.ok ? 'Черновик сохранён ' + new Date().toLocaleTimeString('ru-RU') : 'Не удалось сохранить черновик';
    }).catch(function () { status.textContent = 'Нет связи: черновик не сохранён'; });
  }
  function later() { clearTimeout(timer); timer = setTimeout(save, 800); }

  form.addEventListener('input', function (e) { if (e.target.type !== 'file') { visibility(); later(); } });
  form.addEventListener('change', function (e) { if (e.target.type !== 'file') { visibility(); later(); } });

  // Files upload as they are chosen; the no-JavaScript button that sends the form as multipart
  // is not needed then.
  form.querySelectorAll('[data-upload-submit]').forEach(function (b) { b.hidden = true; });
  form.querySelectorAll('input[type=file][data-file-field]').forEach(function (input) {
    input.addEventListener('change', function () {
      var file = input.files[0];
      if (!file) return;
      var field = input.dataset.fileField;
      status.textContent = 'Файл загружается…';
      fetch('/api/v1/applications/' + id + '/attachments?field=' + encodeURIComponent(field) + '&name=' + encodeURIComponent(file.name), {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': csrf },
        body: file
      }).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
        .then(function (res) {
          if (res[0]) {
            var li = document.createElement('li'), a = document.createElement('a');
            a.href = '/api/v1/applications/' + id + '/attachments/' + res[1].id;
            a.textContent = res[1].file_name;
            li.appendChild(a);
            document.getElementById('files-' + field).appendChild(li);
            status.textContent = 'Файл приложен.';
          } else {
            status.textContent = res[1].detail || 'Файл не принят.';
          }
          input.value = '';
        })
        .catch(function () { status.textContent = 'Нет связи: файл не загружен'; });
    });
  });
  visibility();
})();
