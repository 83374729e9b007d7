// Appeal page: uploads a photo or a document as soon as it is chosen (the body is the file
// itself, with the page's CSRF token), then shows the new list. Without JavaScript the page
// still works: the input sits in a plain multipart form with its own «Добавить файлы» button,
// which this script hides, as it uploads on choosing.
(function () {
  document.querySelectorAll('input[type=file][data-appeal]').forEach(function (input) {
    var status = document.getElementById('upload-status');
    var submit = input.form && input.form.querySelector('[data-upload-submit]');
    if (submit) submit.hidden = true;
    input.addEventListener('change', function () {
      var files = Array.prototype.slice.call(input.files);
      var url = '/api/v1/appeals/' + input.dataset.appeal + '/files';
      if (input.dataset.message) url += '?message=' + encodeURIComponent(input.dataset.message) + '&';
      else url += '?';
      var next = Promise.resolve();
      files.forEach(function (f) {
        next = next.then(function () {
          status.textContent = 'Загружается ' + f.name + '…';
          return fetch(url + 'name=' + encodeURIComponent(f.name), {
            method: 'POST', credentials: 'same-origin',
            headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': input.dataset.csrf },
            body: f
          }).then(function (r) {
            return r.json().then(function (j) {
              if (!r.ok) throw new Error(j.detail || 'Файл не принят');
              var li = document.createElement('li');
              var a = document.createElement('a');
              a.href = '/api/v1/appeals/' + input.dataset.appeal + '/files/' + j.id;
              a.textContent = j.file_name;
              li.appendChild(a);
              document.getElementById('appeal-files').appendChild(li);
              status.textContent = 'Файл добавлен: ' + j.file_name;
            });
          });
        });
      });
      next.catch(function (e) { status.textContent = e.message; });
    });
  });
})();
