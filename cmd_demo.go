package main

// runDemo is being built; the owner replaces this file.
func runDemo(s *IO, args []string) error { return usageErrorf("demo is not built yet") }
