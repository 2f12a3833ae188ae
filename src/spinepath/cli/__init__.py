"""Command-line interface: thin verbs that call one library function each."""
