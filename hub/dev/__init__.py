"""Developer tooling: code generation and checks (not used at run time)."""
