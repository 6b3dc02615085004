"""`python -m flipshelf`: the same as the `flipshelf` command."""

from flipshelf.cli import main

main()
