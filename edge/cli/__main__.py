"""`python -m edge.cli` = the `sitewarden` command."""

from edge.cli import main

main()
