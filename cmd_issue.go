package main

// runIssue is being built; the owner replaces this file.
func runIssue(s *IO, args []string) error { return usageErrorf("issue is not built yet") }
