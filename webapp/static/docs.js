// Starts Swagger UI on /docs; kept out of the page so the CSP needs no inline script.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.specUrl, dom_id: "#swagger-ui" });
})();
