package main

// runJira is being built; the owner replaces this file.
func runJira(s *IO, args []string) error { return usageErrorf("jira is not built yet") }
