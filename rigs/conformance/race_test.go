//go:build race

package conformance_test

// raceEnabled builds the client under test with the race detector too.
const raceEnabled = true
