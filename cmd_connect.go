package main

// runConnect is being built; the owner replaces this file.
func runConnect(s *IO, args []string) error { return usageErrorf("connect is not built yet") }
