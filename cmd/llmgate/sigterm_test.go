package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMUnderLoad runs the real binary, loads it, sends SIGTERM in the
// middle, and checks that every request that got an answer is in the ledger.
func TestSIGTERMUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "llmgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfgFile := filepath.Join(dir, "llmgate.yaml")
	// Slow answers keep requests in flight when the signal comes.
	os.WriteFile(cfgFile, []byte("mock:\n  enabled: true\n  latency: 30ms\n"), 0o600)
	db := filepath.Join(dir, "ledger.db")
	cmd := exec.Command(bin, "--config", cfgFile, "--host", "127.0.0.1", "--port", "0", "--database-url", "sqlite:"+db)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "llmgate listening" {
				addr <- line.Addr
			}
		}
		exited <- cmd.Wait()
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a + "/llm-gate/v1/chat"
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the gateway did not start")
	}

	var answered, failed atomic.Int64
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	body := chatBody("mock", "mock-chat", "hello")
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 2000; n++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				req, _ := http.NewRequest("POST", base, strings.NewReader(body))
				req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
				req.Header.Set("X-User-Id", "load")
				req.Header.Set("client_id", "load")
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					if failed.Load() > 50 {
						return // the gateway is gone
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("status %d during shutdown", resp.StatusCode)
				}
				answered.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for answered.Load() < 200 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the gateway did not stop after SIGTERM")
	}
	close(stopLoad)
	wg.Wait()

	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var rows int64
	if err := conn.QueryRow(`SELECT count(*) FROM ledger WHERE final = 1 AND error_code = ''`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d answered before and during shutdown, %d refused after it, %d ledger rows", answered.Load(), failed.Load(), rows)
	if rows != answered.Load() {
		t.Errorf("ledger has %d rows for %d answered requests", rows, answered.Load())
	}
}
