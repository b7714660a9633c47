package main

// runRepos is being built; the owner replaces this file.
func runRepos(s *IO, args []string) error { return usageErrorf("repos is not built yet") }
