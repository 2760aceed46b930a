package providertest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the -update flag of every test binary that imports the package:
// CheckGolden then rewrites the golden files instead of comparing.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// ReadFile returns the content of testdata/name, the fixture of a test run
// from its package's directory, and fails the test when it cannot be read.
func ReadFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// CheckGolden compares the JSON got, indented, with the golden file
// testdata/name, or rewrites the file when the test runs with -update.
// Indenting keeps key order, so the comparison is exact but for whitespace.
func CheckGolden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		tb.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}
