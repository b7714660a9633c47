package main

// runKey is being built; the owner replaces this file.
func runKey(s *IO, args []string) error { return usageErrorf("key is not built yet") }
