"""Pure rules and types of flipshelf: no I/O, no imports of other flipshelf packages."""
