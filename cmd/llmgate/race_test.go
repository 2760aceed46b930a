//go:build race

package main

// raceEnabled is true under the race detector, whose sync.Pool drops items
// at random, so that allocation counts do not hold.
const raceEnabled = true
