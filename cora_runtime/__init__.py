"""cora_runtime: the runtime half of the CORA standards, shipped in the org layer.

Pure standard library: route docstrings (:mod:`cora_runtime.routes`), cookies, token extraction,
the docstring router and JSON responses.

- :mod:`cora_runtime.routes`: ``parse_docstring``, ``parse_source``, ``Route``: the one route
  docstring parser, shared with the CDK constructs;
- :mod:`cora_runtime.cookies`: ``parse_cookies(event)``: cookies from ``event.cookies`` (payload
  2.0) and the Cookie headers (any case, 1.0 ``multiValueHeaders`` too), first occurrence wins;
- :mod:`cora_runtime.auth`: ``extract_token(event, cookie_name)``: a Bearer Authorization header,
  else the session cookie;
- :mod:`cora_runtime.identity`: ``caller_of(event)``: the org authorizer's identity contract
  (``user_id``, ``email``, ``name``, ``groups``, ``provider``, ...) from a 1.0 or 2.0 event;
- :mod:`cora_runtime.routing`: ``Router(__doc__, source=__file__)``, ``@router.route("GET /a")``,
  ``lambda_handler = router.handler()``: dispatch by the module docstring's routes, checked at
  import;
- :mod:`cora_runtime.responses`: ``json_response``, ``error_response``, ``HTTPError`` and the one
  error shape ``{"error": {"code", "message", "request_id"}}``.
"""
