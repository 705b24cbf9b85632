"""The `lockgate` command line: one module per command group, each imported when it runs
(the registry is in `web.cli.main`)."""
