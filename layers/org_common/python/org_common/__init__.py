"""org_common: the runtime half of the CORA standards, shipped in the org layer.

Pure standard library: route docstrings (:mod:`org_common.routes`), cookies, token extraction,
the docstring router and JSON responses.

- :mod:`org_common.routes`: ``parse_docstring``, ``parse_source``, ``Route``: the one route
  docstring parser, shared with the CDK constructs;
- :mod:`org_common.cookies`: ``parse_cookies(event)``: cookies from ``event.cookies`` (payload
  2.0) and the Cookie headers (any case, 1.0 ``multiValueHeaders`` too), first occurrence wins;
- :mod:`org_common.auth`: ``extract_token(event, cookie_name)``: a Bearer Authorization header,
  else the session cookie;
- :mod:`org_common.routing`: ``Router(__doc__, source=__file__)``, ``@router.route("GET /a")``,
  ``lambda_handler = router.handler()``: dispatch by the module docstring's routes, checked at
  import;
- :mod:`org_common.responses`: ``json_response``, ``error_response``, ``HTTPError`` and the one
  error shape ``{"error": {"code", "message", "request_id"}}``.
"""
