package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
)

// TestFloorProgram builds the floor as the benchmark does, starts it, and
// sends streams and plain answers through it.
func TestFloorProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the floor binary; skipped with -short")
	}
	ctx := context.Background()
	src, err := moduleDir(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin, err := buildBinary(ctx, src, dir, "./cmd/llmgate-bench/floor", "floor-bin")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(bin) != dir {
		t.Fatalf("binary at %s, want it in %s", bin, dir)
	}
	usrv := httptest.NewServer(&upstream{APIKey: benchAPIKey})
	defer usrv.Close()
	p, err := startFloor(ctx, bin, dir, usrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient("http://"+p.addr, false, 2)
	for _, stream := range []bool{true, false} {
		first, err := c.do(ctx, chatBody(false, stream, 4<<10, fillers["plain"]), stream, nil)
		if err != nil {
			t.Fatalf("stream %v through the floor: %v", stream, err)
		}
		if stream == first.IsZero() {
			t.Fatalf("stream %v: first content at %v", stream, first)
		}
	}
	c.close()
	if err := p.stop(); err != nil {
		t.Fatalf("stopping the floor: %v", err)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("floor exited with %d; stderr: %s", code, p.stderr.String())
	}
	if _, err := startFloor(ctx, bin, dir, "not a url"); err == nil {
		t.Fatal("the floor started without a usable upstream")
	}
}

func TestBaseEnvKeepsOnlyPassedVariables(t *testing.T) {
	t.Setenv("GOMAXPROCS", "2")
	t.Setenv("LLMGATE_PPROF_ADDR", "127.0.0.1:6060")
	t.Setenv("OPENAI_API_KEY", "sk-secret")
	t.Setenv("GOGC", "")
	dir := t.TempDir()
	env := baseEnv(dir)
	for _, want := range []string{"HOME=" + dir, "GOMAXPROCS=2"} {
		if !slices.Contains(env, want) {
			t.Errorf("env %q lacks %q", env, want)
		}
	}
	for _, kv := range env {
		switch kv {
		case "OPENAI_API_KEY=sk-secret", "LLMGATE_PPROF_ADDR=127.0.0.1:6060", "GOGC=":
			t.Errorf("env %q holds %q", env, kv)
		}
	}
	if !slices.Contains(llmgateEnv(dir, "http://127.0.0.1:1"), "LLMGATE_PPROF_ADDR=127.0.0.1:6060") {
		t.Error("llm-gate's environment lacks LLMGATE_PPROF_ADDR")
	}
	if got := llmgateEnv(dir, "http://127.0.0.1:1"); slices.Contains(got, "OPENAI_API_KEY=sk-secret") {
		t.Errorf("llm-gate's environment %q holds the user's provider key", got)
	}
}
