//go:build !race

package openaiwire

// raceEnabled is true when the race detector instruments the build, whose
// sync.Pool drops items at random: encoding/json then allocates the
// scanners it pools, and allocation counts do not hold.
const raceEnabled = false
