"""`python -m web.cli`: the `lockgate` command line without its console script."""

from web.cli.main import main

main()
