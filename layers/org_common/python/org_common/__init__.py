"""org_common: the runtime half of the CORA standards, shipped in the org layer.

Pure standard library: route docstrings (:mod:`org_common.routes`), cookies, token extraction,
the docstring router and JSON responses.
"""
