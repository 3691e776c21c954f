"""`cora serve`: the app's HTTP API on localhost, read from the cloud assembly.

- :mod:`~cora_constructs.serve.plan`: routes, functions, layers, authorizers from the templates;
- :mod:`~cora_constructs.serve.matching`: API Gateway's route selection;
- :mod:`~cora_constructs.serve.events`: payload 2.0 events and response mapping;
- :mod:`~cora_constructs.serve.gateway`: one request through authorizer and function;
- :mod:`~cora_constructs.serve.workers` and ``bootstrap.py``: functions in worker processes;
- :mod:`~cora_constructs.serve.devkeys`: the development key, its JWKS and `cora token`;
- :mod:`~cora_constructs.serve.server`: the uvicorn application and ``--watch``.

Everything but ``server`` and ``workers`` is pure and tests in milliseconds.
"""
