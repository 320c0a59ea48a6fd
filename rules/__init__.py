"""The course's rules as pure functions over plain data: no database, no network, no clock of its own."""
