package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenChart is a fixed chart: two targets, points out of order, a label
// that needs escaping and a non-positive latency that cannot be drawn on a
// log scale.
func goldenChart() chart {
	return chart{
		Title:  "Latency against load: <non-stream> & 1KB",
		XLabel: "throughput (requests/s)",
		YLabel: "latency (ms, log scale)",
		Series: []series{
			{Name: "floor p50", Color: "#7a7a7a", Points: []point{{X: 3000, Y: 20, Label: "c=64"}, {X: 700, Y: 0.9, Label: "c=1"}, {X: 200, Y: 1.1, Label: "200/s"}}},
			{Name: "floor p99", Color: "#7a7a7a", Dashed: true, Points: []point{{X: 700, Y: 3}, {X: 3000, Y: 80}, {X: 200, Y: 0}}},
			{Name: "llmgate p50", Color: "#d1495b", Points: []point{{X: 650, Y: 1.2, Label: "c=1"}, {X: 2800, Y: 25, Label: "c=64"}}},
		},
	}
}

func TestWriteSVGGolden(t *testing.T) {
	var b bytes.Buffer
	if err := writeSVG(&b, goldenChart()); err != nil {
		t.Fatal(err)
	}
	assertWellFormed(t, b.Bytes())
	const golden = "testdata/chart.svg"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("writeSVG output differs from %s (run go test -update after checking it):\n%s", golden, b.String())
	}
	if n := strings.Count(b.String(), "<polyline"); n != 3 {
		t.Errorf("%d polylines, want 3", n)
	}
	if strings.Contains(b.String(), "<non-stream>") {
		t.Error("title not escaped")
	}
}

func TestWriteSVGEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := writeSVG(&b, chart{Title: "nothing"}); err != nil {
		t.Fatal(err)
	}
	assertWellFormed(t, b.Bytes())
}

func TestLatencyChart(t *testing.T) {
	r := passingReport()
	ch, ok := latencyChart(r)
	if !ok {
		t.Fatal("no chart")
	}
	if len(ch.Series) != 6 {
		t.Fatalf("%d series, want p50 and p99 for 3 targets", len(ch.Series))
	}
	for _, s := range ch.Series {
		if len(s.Points) != 2 { // c=1 and c=64 of the 1KB non-stream cells
			t.Errorf("series %s has %d points, want 2", s.Name, len(s.Points))
		}
	}
	if _, ok := latencyChart(&report{}); ok {
		t.Fatal("a chart of nothing")
	}
}

// assertWellFormed fails unless b is a well-formed XML document whose root
// is svg.
func assertWellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
}
