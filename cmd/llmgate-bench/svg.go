package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// chart is a line chart: one line per series, a linear x axis and a
// logarithmic y axis (latency spans orders of magnitude between low and
// high load).
type chart struct {
	Title  string
	XLabel string
	YLabel string
	Series []series
}

// series is one line of a chart.
type series struct {
	Name   string
	Color  string
	Dashed bool
	Points []point
}

// point is one point of a series; Label is written next to it.
type point struct {
	X, Y  float64
	Label string
}

// Chart geometry, in SVG user units.
const (
	svgWidth   = 900
	svgHeight  = 540
	plotLeft   = 80
	plotRight  = 700
	plotTop    = 50
	plotBottom = 470
)

// writeSVG draws c as a self-contained SVG document.
func writeSVG(w io.Writer, c chart) error {
	xmax := 0.0
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Points {
			xmax = max(xmax, p.X)
			if p.Y > 0 {
				ymin, ymax = min(ymin, p.Y), max(ymax, p.Y)
			}
		}
	}
	if xmax <= 0 {
		xmax = 1
	}
	xmax = niceCeil(xmax)
	if math.IsInf(ymin, 0) {
		ymin, ymax = 0.1, 1
	}
	lo, hi := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if hi <= lo {
		hi = lo + 1
	}
	px := func(x float64) float64 { return plotLeft + x/xmax*(plotRight-plotLeft) }
	py := func(y float64) float64 {
		return plotBottom - (math.Log10(y)-lo)/(hi-lo)*(plotBottom-plotTop)
	}

	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgWidth, svgHeight, svgWidth, svgHeight)
	p(`<rect width="%d" height="%d" fill="white"/>`+"\n", svgWidth, svgHeight)
	p(`<text x="%d" y="28" font-size="16" font-weight="bold">%s</text>`+"\n", plotLeft, esc(c.Title))

	// Grid and ticks: five x divisions, one y line per decade.
	for i := 0; i <= 5; i++ {
		x := xmax * float64(i) / 5
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", px(x), plotTop, px(x), plotBottom)
		p(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(x), plotBottom+18, trimFloat(x))
	}
	for e := lo; e <= hi; e++ {
		y := math.Pow(10, e)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", plotLeft, py(y), plotRight, py(y))
		p(`<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", plotLeft-6, py(y)+4, trimFloat(y))
	}
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", plotLeft, plotBottom, plotRight, plotBottom)
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", plotLeft, plotTop, plotLeft, plotBottom)
	p(`<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (plotLeft+plotRight)/2, plotBottom+40, esc(c.XLabel))
	p(`<text x="20" y="%d" text-anchor="middle" transform="rotate(-90 20 %d)">%s</text>`+"\n", (plotTop+plotBottom)/2, (plotTop+plotBottom)/2, esc(c.YLabel))

	for i, s := range c.Series {
		pts := slices.Clone(s.Points)
		slices.SortStableFunc(pts, func(a, b point) int { return cmpFloat(a.X, b.X) })
		var coords []string
		for _, pt := range pts {
			if pt.Y > 0 {
				coords = append(coords, fmt.Sprintf("%.1f,%.1f", px(pt.X), py(pt.Y)))
			}
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		if len(coords) > 0 {
			p(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(coords, " "), esc(s.Color), dash)
		}
		for _, pt := range pts {
			if pt.Y <= 0 {
				continue
			}
			p(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(pt.X), py(pt.Y), esc(s.Color))
			if pt.Label != "" {
				p(`<text x="%.1f" y="%.1f" font-size="10" fill="%s">%s</text>`+"\n", px(pt.X)+5, py(pt.Y)-5, esc(s.Color), esc(pt.Label))
			}
		}
		// Legend.
		ly := plotTop + 10 + i*20
		p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", plotRight+15, ly, plotRight+45, ly, esc(s.Color), dash)
		p(`<text x="%d" y="%d">%s</text>`+"\n", plotRight+52, ly+4, esc(s.Name))
	}
	p("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

// trimFloat formats v without needless zeros.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// esc escapes text for XML.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// targetColors gives each target its line color.
var targetColors = map[string]string{targetDirect: "#2b7bb9", targetFloor: "#7a7a7a", targetLLMGate: "#d1495b"}

// latencyChart builds the chart of the report: p50 (solid) and p99
// (dashed) latency against achieved throughput, non-stream, at the smallest
// body size, one pair of lines per target, each point a load (c=1, an open
// rate, c=64).
func latencyChart(r *report) (chart, bool) {
	size := 0
	for _, c := range r.Cells {
		if !c.Stream && (size == 0 || c.BodyBytes < size) {
			size = c.BodyBytes
		}
	}
	if size == 0 {
		return chart{}, false
	}
	ch := chart{
		Title:  fmt.Sprintf("Latency against load: non-stream chat, %s body", sizeName(size)),
		XLabel: "throughput (requests/s)",
		YLabel: "latency (ms, log scale)",
	}
	for _, t := range []string{targetDirect, targetFloor, targetLLMGate} {
		p50 := series{Name: t + " p50", Color: targetColors[t]}
		p99 := series{Name: t + " p99", Color: targetColors[t], Dashed: true}
		for _, c := range r.Cells {
			if c.Target != t || c.Stream || c.BodyBytes != size || c.Requests == 0 {
				continue
			}
			p50.Points = append(p50.Points, point{X: c.ThroughputPerS, Y: c.Latency.P50Ms, Label: c.load()})
			p99.Points = append(p99.Points, point{X: c.ThroughputPerS, Y: c.Latency.P99Ms})
		}
		if len(p50.Points) > 0 {
			ch.Series = append(ch.Series, p50, p99)
		}
	}
	return ch, len(ch.Series) > 0
}
