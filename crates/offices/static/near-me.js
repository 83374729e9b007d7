// «Ближайшие ко мне»: fills the search form with the browser's position and submits it.
(function () {
  var b = document.getElementById('near-me');
  if (!navigator.geolocation) return;
  b.hidden = false;
  b.addEventListener('click', function () {
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById('lat').value = p.coords.latitude.toFixed(5);
      document.getElementById('lon').value = p.coords.longitude.toFixed(5);
      document.getElementById('office-search').submit();
    });
  });
})();
