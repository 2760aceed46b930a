//go:build race

package ledgertest

// raceEnabled is true when the race detector instruments the build, which
// makes a pure-Go SQLite about thirty times slower.
const raceEnabled = true
