"""New projects and new Lambdas (`cora init`, `cora new lambda`): pure rendering and validation.

Nothing here touches the disk except to read what a project already holds; the CLI commands
write the rendered files.
"""
